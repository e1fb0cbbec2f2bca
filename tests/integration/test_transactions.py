"""Transactions as Redis apps use them: redis-py's default pipeline() (MULTI/EXEC), a rate
limiter (MULTI INCR EXPIRE EXEC from many clients: no count lost, the window resets), WATCH-based
optimistic locking under contention (no lost update), and atomicity (no client sees half of a
transaction), across io-threads."""
import threading
import time

import redis

from harness import Tallyd, run_tests


def test_default_pipeline_is_a_transaction():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        r = redis.Redis(port=t.port)
        p = r.pipeline()  # transaction=True: MULTI ... EXEC
        p.incr("a").incrby("a", 10).set("b", "x").get("b")
        assert p.execute() == [1, 11, True, b"x"]
        p = r.pipeline()
        p.set("c", "v").incr("c")
        res = p.execute(raise_on_error=False)
        assert res[0] is True and isinstance(res[1], redis.ResponseError)
        t.kill()
        t.start()
        assert r.get("a") == b"11" and r.get("c") == b"v"


def test_rate_limiter():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        clients, per_client = 20, 100
        errors = []

        def worker():
            try:
                r = redis.Redis(port=t.port)
                for _ in range(per_client):
                    p = r.pipeline()
                    p.incr("rl").expire("rl", 5, nx=True)
                    count, _ = p.execute()
                    assert count >= 1
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors
        r = redis.Redis(port=t.port)
        assert int(r.get("rl")) == clients * per_client
        assert 0 < r.ttl("rl") <= 5
        deadline = time.time() + 10
        while r.exists("rl") and time.time() < deadline:
            time.sleep(0.2)
        assert not r.exists("rl")  # the window ended
        p = r.pipeline()
        p.incr("rl").expire("rl", 5, nx=True)
        assert p.execute() == [1, True]  # and a new one starts at 1


def test_watch_optimistic_locking():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        r = redis.Redis(port=t.port)
        r.set("balance", 0)
        threads_n, per_thread = 8, 50

        def add_one(pipe):
            v = int(pipe.get("balance"))
            pipe.multi()
            pipe.set("balance", v + 1)

        def worker():
            c = redis.Redis(port=t.port)
            for _ in range(per_thread):
                c.transaction(add_one, "balance")

        threads = [threading.Thread(target=worker) for _ in range(threads_n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert int(r.get("balance")) == threads_n * per_thread


def assert_exec_aborts(pipeline):
    try:
        pipeline.execute()
    except redis.WatchError:
        return
    raise AssertionError("EXEC should have failed")


def test_watched_key_changed_by_another_client():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        a = redis.Redis(port=t.port)
        b = redis.Redis(port=t.port)
        a.set("k", "1")
        p = a.pipeline()
        p.watch("k")
        b.set("k", "2")
        p.multi()
        p.set("k", "3")
        assert_exec_aborts(p)
        assert a.get("k") == b"2"
        # An expiring watched key aborts too.
        a.set("e", "1", px=100)
        p = a.pipeline()
        p.watch("e")
        time.sleep(0.2)
        p.multi()
        p.set("e", "2")
        assert_exec_aborts(p)


def test_no_partial_transaction_is_visible():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        stop = threading.Event()
        bad = []

        def writer():
            r = redis.Redis(port=t.port)
            while not stop.is_set():
                p = r.pipeline()
                p.incr("x").incr("y")
                p.execute()

        def reader():
            r = redis.Redis(port=t.port)
            while not stop.is_set():
                x, y = r.mget("x", "y")
                if (x or b"0") != (y or b"0"):
                    bad.append((x, y))

        threads = [threading.Thread(target=writer) for _ in range(2)]
        threads += [threading.Thread(target=reader) for _ in range(2)]
        for th in threads:
            th.start()
        time.sleep(3)
        stop.set()
        for th in threads:
            th.join()
        assert not bad, bad[:5]
        assert int(redis.Redis(port=t.port).get("x")) > 0


def test_whole_keyspace_reads_inside_a_transaction_and_a_script():
    """INFO, DBSIZE and SCAN inside MULTI/EXEC and inside EVAL run in the transaction (which
    holds every shard): they answer, counting the transaction's own writes, and other clients
    are served once it ends."""
    with Tallyd(extra=["--io-threads", "2"]) as t:
        r = redis.Redis(port=t.port, socket_timeout=10)
        r.set("before", "1")
        p = r.pipeline()
        p.set("inside", "1").dbsize().info("keyspace").info("memory").scan(0, count=100)
        _, size, keyspace, memory, (_, keys) = p.execute()
        assert size == 2
        assert keyspace["db0"]["keys"] == 2
        assert memory["tally_table_bytes"] > 0
        assert sorted(keys) == [b"before", b"inside"]
        script = "redis.call('SET', KEYS[1], '1'); return {redis.call('DBSIZE'), " \
                 "redis.call('INFO', 'keyspace')}"
        size, info = r.eval(script, 1, "scripted")
        assert size == 3 and b"db0:keys=3," in info
        other = redis.Redis(port=t.port, socket_timeout=10)
        assert other.dbsize() == 3


if __name__ == "__main__":
    run_tests([test_default_pipeline_is_a_transaction, test_rate_limiter,
               test_watch_optimistic_locking, test_watched_key_changed_by_another_client,
               test_no_partial_transaction_is_visible,
               test_whole_keyspace_reads_inside_a_transaction_and_a_script])
