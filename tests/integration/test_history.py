"""History of counter values (issue 13): keys matching history-keys keep one sample per
history-resolution interval (the last value in it) for history-retention, written in the same
log group as the value. TALLY.HISTORY key [FROM ms] [TO ms] [COUNT n] and
GET /v1/counters/{key}/history; CONFIG SET at run time; restarts and crashes; retention
enforced in the background; DEL keeps or drops history as history-keep-on-delete says."""
import random
import threading
import time

import redis
import requests

from harness import Tallyd, run_tests


def history(c, key, *args):
    return [(t, v if v is None else v.decode()) for t, v in
            c.execute_command("TALLY.HISTORY", key, *args)]


def info_int(c, field):
    return int(c.info("memory")[field])


def test_samples_per_interval():
    with Tallyd(extra=["--history-keys", "views:* orders", "--history-resolution", "200"]) as t:
        c = redis.Redis(port=t.port)
        values = []
        for i in range(4):
            boundary = (time.time() * 1000 // 200 + 1) * 200
            time.sleep(max(0, boundary / 1000 - time.time()) + 0.01)  # a fresh interval
            for _ in range(3):  # several writes in one interval: the last one is kept
                values.append(c.incr("views:home"))
        c.incr("other")
        h = history(c, "views:home")
        # Each group's last write is the last of its interval; the others are replaced by a
        # later write of the same interval (all of them unless a group straddles a boundary).
        got = [int(v) for _, v in h]
        assert set(values[2::3]) <= set(got) <= set(values) and got == sorted(got), (h, values)
        times = [t for t, _ in h]
        assert times == sorted(times) and all(t % 200 == 0 for t in times), times
        assert all(b - a >= 200 for a, b in zip(times, times[1:])), times
        assert abs(times[-1] - time.time() * 1000) < 5000
        assert history(c, "other") == []
        assert len(h) >= 4 and history(c, "views:home", "COUNT", 2) == h[:2]
        assert history(c, "views:home", "FROM", times[1], "TO", times[2]) == h[1:3]
        assert history(c, "views:home", "FROM", times[-1] + 1) == []
        # Every write that changes the value is sampled: SET, INCRBYFLOAT, INCREX, MULTI/EXEC.
        c.set("orders", 10)
        time.sleep(0.25)
        c.execute_command("INCREX", "orders", "BYINT", 5, "UBOUND", 100)
        time.sleep(0.25)
        with c.pipeline(transaction=True) as p:
            p.incr("orders")
            p.incrbyfloat("orders", 0.5)
            p.execute()
        assert [v for _, v in history(c, "orders")] == ["10", "15", "16.5"]
        # Errors.
        for args, text in [(("COUNT", 0), "value is out of range, must be positive"),
                           (("FROM", "x"), "value is not an integer or out of range"),
                           (("FROM", 1, "FROM", 2), "syntax error"), (("LIMIT", 1), "syntax error"),
                           (("COUNT",), "syntax error")]:
            try:
                c.execute_command("TALLY.HISTORY", "orders", *args)
                raise AssertionError(f"{args} did not fail")
            except redis.ResponseError as e:
                assert str(e) == text, (args, str(e))


def test_config_set_at_run_time_and_http():
    with Tallyd(extra=["--history-resolution", "100"]) as t:
        c = redis.Redis(port=t.port)
        c.incr("k")
        assert history(c, "k") == []
        c.config_set("history-keys", "k q*")
        c.incr("k")
        time.sleep(0.12)
        c.incrby("k", 10)
        assert [v for _, v in history(c, "k")] == ["2", "12"]
        r = requests.get(t.url("/v1/counters/k/history"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["key"] == "k" and [p["value"] for p in body["history"]] == [2, 12]
        first = body["history"][0]["t"]
        r = requests.get(t.url(f"/v1/counters/k/history?from={first + 1}&limit=5"))
        assert [p["value"] for p in r.json()["history"]] == [12], r.text
        assert requests.get(t.url("/v1/counters/k/history?limit=0")).status_code == 400
        assert requests.post(t.url("/v1/counters/k/history")).status_code == 405
        c.config_set("history-keys", "")
        c.incr("k")
        assert len(history(c, "k")) == 2  # no new sample, old ones kept


def test_delete_keeps_or_drops_history():
    with Tallyd(extra=["--history-keys", "*", "--history-resolution", "50"]) as t:
        c = redis.Redis(port=t.port)
        c.set("k", 1)
        time.sleep(0.06)
        c.delete("k")
        time.sleep(0.06)
        c.set("k", 5)
        assert [v for _, v in history(c, "k")] == ["1", None, "5"]
        c.config_set("history-keep-on-delete", "no")
        assert [v for _, v in history(c, "k")] == ["5"]
        c.delete("k")
        assert history(c, "k") == []


def test_history_survives_restart_and_crash():
    with Tallyd(extra=["--history-keys", "c:*", "--history-resolution", "50"]) as t:
        c = redis.Redis(port=t.port)
        acked = []
        for i in range(5):
            acked.append(c.incrby("c:a", i + 1))
            time.sleep(0.06)
        t.restart()
        c = redis.Redis(port=t.port)
        assert [int(v) for _, v in history(c, "c:a")] == acked
        t.kill()
        t.start()
        c = redis.Redis(port=t.port)
        assert [int(v) for _, v in history(c, "c:a")] == acked
        # SIGKILL while clients write: after each restart, every key's last sample is its value
        # (they are in the same group of records), and acknowledged values are all there.
        rng = random.Random(7)
        for _ in range(4):
            stop = threading.Event()

            def writer(seed):
                r = redis.Redis(port=t.port, socket_timeout=2)
                w = random.Random(seed)
                try:
                    while not stop.is_set():
                        r.incrby(f"c:{w.randint(0, 9)}", w.randint(1, 5))
                except (redis.ConnectionError, redis.TimeoutError):
                    pass

            threads = [threading.Thread(target=writer, args=(rng.random(),)) for _ in range(4)]
            for th in threads:
                th.start()
            time.sleep(rng.uniform(0.2, 0.6))
            t.kill()
            stop.set()
            for th in threads:
                th.join()
            t.start()
            c = redis.Redis(port=t.port)
            for i in range(10):
                value = c.get(f"c:{i}")
                h = history(c, f"c:{i}")
                if value is None:
                    assert h == [], (i, h)
                else:
                    assert h and h[-1][1] == value.decode(), (i, value, h[-3:])
                    assert [int(v) for _, v in h] == sorted(int(v) for _, v in h)


def test_retention_in_the_background():
    with Tallyd(extra=["--history-keys", "r", "--history-resolution", "10",
                       "--history-retention", "1"]) as t:
        c = redis.Redis(port=t.port)
        for _ in range(20):
            c.incr("r")
            time.sleep(0.012)
        assert len(history(c, "r")) >= 10
        deadline = time.time() + 10
        while time.time() < deadline and info_int(c, "tally_history_samples") < 10:
            time.sleep(0.05)  # counted once RocksDB has them
        assert info_int(c, "tally_history_samples") >= 10
        time.sleep(1.2)
        assert history(c, "r") == []  # past retention: never shown
        deadline = time.time() + 15
        while time.time() < deadline and info_int(c, "tally_history_samples") > 0:
            time.sleep(0.1)
        assert info_int(c, "tally_history_samples") == 0  # and deleted by active expiry
        assert c.get("r") == b"20"


if __name__ == "__main__":
    run_tests([test_samples_per_interval, test_config_set_at_run_time_and_http,
               test_delete_keeps_or_drops_history, test_history_survives_restart_and_crash,
               test_retention_in_the_background])
