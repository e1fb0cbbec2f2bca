"""Expiry as apps rely on it: keys expire without being touched (active expiry through the
expiry index: DBSIZE and INFO Keyspace drop within seconds, expired_keys counts them), TTLs
survive restarts (a key set with EX 2 before a restart is gone 2 s later, one with EX 1000 keeps
its TTL), and INFO Keyspace reports expires and avg_ttl truthfully."""
import time

import redis

from harness import Tallyd, run_tests


def wait_for(pred, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_active_expiry_without_access():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        p = r.pipeline(transaction=False)
        for i in range(300):
            p.set(f"tmp:{i}", i, px=300)
            p.set(f"keep:{i}", i)
        p.execute()
        assert r.dbsize() == 600
        assert r.info("keyspace")["db0"]["expires"] == 300
        assert wait_for(lambda: r.dbsize() == 300), r.dbsize()
        info = r.info("keyspace")["db0"]
        assert info["keys"] == 300 and info["expires"] == 0
        assert r.info("stats")["expired_keys"] == 300
        assert r.get("keep:7") == b"7"
        # Re-set keys are not expired by their old index entries.
        r.set("re", "1", px=200)
        r.set("re", "2")
        time.sleep(0.6)
        assert r.get("re") == b"2" and r.ttl("re") == -1


def test_expiry_survives_restart():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        r.set("short", "v", ex=2)
        r.set("long", "v", ex=1000)
        r.set("plain", "v")
        t.kill()
        t.start()
        assert 990 <= r.ttl("long") <= 1000
        assert r.ttl("plain") == -1
        # Gone 2 s later without anyone asking for it.
        assert wait_for(lambda: r.dbsize() == 2, timeout=6), r.dbsize()
        assert r.exists("short") == 0
        t.restart()
        assert r.dbsize() == 2 and 990 <= r.ttl("long") <= 1000


def test_avg_ttl_is_reported():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        for i in range(10):
            r.set(f"k{i}", 1, ex=100)
        info = r.info("keyspace")["db0"]
        assert info["expires"] == 10
        assert 90_000 <= info["avg_ttl"] <= 100_000, info


def test_scan_under_writes_returns_every_stable_key():
    import threading
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        p = r.pipeline(transaction=False)
        for i in range(2000):
            p.set(f"stable:{i}", i)
        p.execute()
        stop = threading.Event()

        def churn():
            w = redis.Redis(port=t.port)
            n = 0
            while not stop.is_set():
                w.set(f"churn:{n}", n)
                w.delete(f"churn:{n - 50}")
                w.incr("stable:7")
                n += 1

        threads = [threading.Thread(target=churn) for _ in range(2)]
        for th in threads:
            th.start()
        try:
            seen = set()
            for key in r.scan_iter(count=37):
                seen.add(key)
        finally:
            stop.set()
            for th in threads:
                th.join()
        stable = {f"stable:{i}".encode() for i in range(2000)}
        assert stable <= seen, len(stable - seen)


if __name__ == "__main__":
    run_tests([test_active_expiry_without_access, test_expiry_survives_restart,
               test_avg_ttl_is_reported, test_scan_under_writes_returns_every_stable_key])
