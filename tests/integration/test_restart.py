"""The user's restart scenarios: a counter at 10 restarts at 10; at 10 then one INCR restarts at
11; at 10 then five INCRs restarts at 15. Each with a clean stop (SIGTERM, and SHUTDOWN) and with
SIGKILL right after the acknowledgements. Writes through redis-cli, reads through redis-py."""
import signal
import subprocess

import redis

from harness import Tallyd, run_tests


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def scenario(increments, stop):
    with Tallyd() as t:
        assert cli(t.port, "SET", "counter", "10") == "OK"
        for i in range(increments):
            assert cli(t.port, "INCR", "counter") == str(11 + i)
        if stop == "sigterm":
            assert t.stop(signal.SIGTERM) == 0
        elif stop == "shutdown":
            cli(t.port, "SHUTDOWN")
            assert t.proc.wait(timeout=30) == 0
            t.stop()
        else:
            t.kill()
        t.start()
        r = redis.Redis(port=t.port)
        assert r.get("counter") == str(10 + increments).encode(), r.get("counter")
        # And the counter goes on from there after the restart.
        assert r.incr("counter") == 11 + increments


def make(increments, stop):
    def test():
        scenario(increments, stop)
    test.__name__ = f"test_counter_10_plus_{increments}_{stop}"
    return test


def test_pipelined_writes_survive_sigkill():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        p = r.pipeline(transaction=False)
        for i in range(1000):
            p.incr(f"k{i % 10}")
        p.execute()
        t.kill()
        t.start()
        assert [int(r.get(f"k{i}")) for i in range(10)] == [100] * 10
        assert r.dbsize() == 10


def test_expiry_and_flush_survive_restart():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        r.set("ttl", "v", ex=1000)
        r.set("gone", "v")
        r.delete("gone")
        t.kill()
        t.start()
        assert 990 <= r.ttl("ttl") <= 1000
        assert r.get("gone") is None
        r.flushall()
        t.kill()
        t.start()
        assert r.dbsize() == 0 and r.get("ttl") is None


tests = [make(n, s) for n in (0, 1, 5) for s in ("sigterm", "shutdown", "sigkill")]
tests += [test_pipelined_writes_survive_sigkill, test_expiry_and_flush_survive_restart]

if __name__ == "__main__":
    run_tests(tests)
