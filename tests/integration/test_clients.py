"""Real clients against tallyd in their default configuration: redis-cli (one-shot, the
interactive REPL fed from a pipe, which asks COMMAND DOCS; -3 for RESP3), redis-benchmark (runs
to the end with exit status 0), and Debian's python3-redis."""
import subprocess

import redis

from harness import Tallyd, run_tests


def run(cmd, stdin=None, timeout=120):
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout, out.stderr


def test_redis_cli_one_shot():
    with Tallyd() as t:
        p = ["redis-cli", "-p", str(t.port)]
        assert run(p + ["INCR", "a"])[1].strip() == "1"
        assert run(p + ["INCRBY", "a", "41"])[1].strip() == "42"
        assert run(p + ["GET", "a"])[1].strip() == "42"
        assert run(p + ["-n", "3", "SET", "b", "x"])[1].strip() == "OK"
        assert run(p + ["-n", "3", "GET", "b"])[1].strip() == "x"
        assert run(p + ["GET", "b"])[1].strip() == ""
        rc, out, _ = run(p + ["-3", "HELLO", "3"])
        assert rc == 0 and "proto" in out and "3" in out
        assert run(p + ["-3", "GET", "nokey"])[1].strip() == ""  # RESP3 null, as with Redis
        assert "redis_version:" in run(p + ["INFO", "server"])[1]


def test_redis_cli_interactive_from_pipe():
    with Tallyd() as t:
        rc, out, err = run(["redis-cli", "-p", str(t.port)], stdin="INCR x\nINCR x\nGET x\nPING\n")
        assert rc == 0, err
        assert out.split() == ["1", "2", "2", "PONG"], out


def test_redis_cli_with_password():
    with Tallyd(extra=["--requirepass", "pw"]) as t:
        rc, out, _ = run(["redis-cli", "-p", str(t.port), "INCR", "a"])
        assert "NOAUTH" in out
        rc, out, _ = run(["redis-cli", "-p", str(t.port), "-a", "pw", "--no-auth-warning", "INCR",
                          "a"])
        assert out.strip() == "1"


def test_redis_benchmark_completes():
    with Tallyd() as t:
        rc, out, err = run(["redis-benchmark", "-p", str(t.port), "-t", "ping,set,get,incr,mset",
                            "-n", "2000", "-c", "10", "-q"])
        assert rc == 0, err + out
        for name in ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET"):
            assert name in out, out
        rc, out, err = run(["redis-benchmark", "-p", str(t.port), "-t", "ping,incr", "-n", "5000",
                            "-P", "16", "-q"])
        assert rc == 0 and "PING_INLINE" in out, err + out
        assert "Could not fetch server CONFIG" not in err + out


def test_python_redis():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        assert r.ping()
        assert r.incr("c") == 1
        assert r.incrby("c", 10) == 11
        assert r.decr("c") == 10
        assert r.incrbyfloat("f", 1.5) == 1.5
        assert r.set("k", "v", ex=100) and 0 < r.ttl("k") <= 100
        assert r.mset({"a": "1", "b": "2"}) and r.mget("a", "b", "z") == [b"1", b"2", None]
        assert r.delete("a", "b") == 2
        assert r.client_setname("me") and r.client_getname() in ("me", b"me")
        assert r.info()["redis_version"]
        assert r.config_get("databases") == {"databases": "16"}
        assert r.dbsize() == 3
        p = r.pipeline(transaction=False)
        for _ in range(1000):
            p.incr("piped")
        assert p.execute()[-1] == 1000
        r2 = redis.Redis(port=t.port, db=5)
        r2.set("in5", "x")
        assert r2.get("in5") == b"x" and r.get("in5") is None
        t.restart()
        assert int(r.get("c")) == 10 and int(r.get("piped")) == 1000


if __name__ == "__main__":
    run_tests([test_redis_cli_one_shot, test_redis_cli_interactive_from_pipe,
               test_redis_cli_with_password, test_redis_benchmark_completes, test_python_redis])
