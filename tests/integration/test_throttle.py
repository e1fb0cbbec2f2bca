"""CL.THROTTLE as redis-cell defines it (GCRA: max_burst + 1 at once, count_per_period per
period; reply [limited, limit, remaining, retry_after, reset_after]), its durability, its
errors, and POST /v1/limits/{key} (200, or 429 with Retry-After)."""
import concurrent.futures
import time

import redis
import requests

from harness import Tallyd, encode, exchange, run_tests


def throttle(c, *args):
    return c.execute_command("CL.THROTTLE", *args)


def test_burst_then_limited():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        # redis-cell's README: 15 burst, 30 per 60 s -> 16 at once.
        assert throttle(c, "user123", 15, 30, 60) == [0, 16, 15, -1, 2]
        assert throttle(c, "user123", 15, 30, 60, 1) == [0, 16, 14, -1, 4]
        # redis-cell's own test table (limit 5, 1 per second), at one instant.
        rows = [throttle(c, "foo", 4, 1, 1) for _ in range(6)]
        assert rows[:5] == [[0, 5, 4 - i, -1, i + 1] for i in range(5)], rows
        assert rows[5] == [1, 5, 0, 1, 5], rows
        # Quantity 0 looks without taking; a quantity past the limit can never pass.
        assert throttle(c, "foo", 4, 1, 1, 0) == [0, 5, 0, -1, 5]  # as redis-cell's case 12
        assert throttle(c, "fresh", 4, 1, 1, 6) == [1, 5, 5, -1, 0]
        assert c.exists("fresh") == 0
        assert throttle(c, "fresh", 4, 1, 1, 0) == [0, 5, 5, -1, 0] and c.exists("fresh") == 0
        # The key holds the theoretical arrival time (ns) with a TTL until the limiter is full.
        tat = int(c.get("foo"))
        assert abs(tat / 1e9 - (time.time() + 5)) < 2 and 3000 < c.pttl("foo") <= 5000
        # One emission interval later one more is allowed.
        time.sleep(1.1)
        assert throttle(c, "foo", 4, 1, 1)[0] == 0
        assert throttle(c, "foo", 4, 1, 1)[0] == 1


def test_state_is_durable():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        for _ in range(3):
            throttle(c, "k", 2, 1, 3600)
        assert throttle(c, "k", 2, 1, 3600)[0] == 1
        t.kill()
        t.start()
        c = redis.Redis(port=t.port)
        limited, limit, remaining, retry, reset = throttle(c, "k", 2, 1, 3600)
        assert (limited, limit, remaining) == (1, 3, 0) and 3590 <= retry <= 3600
        assert 3 * 3600 - 20 <= reset <= 3 * 3600


def test_concurrent_callers_share_one_budget():
    with Tallyd() as t:
        def worker(_):
            c = redis.Redis(port=t.port)
            return sum(1 for _ in range(20) if throttle(c, "shared", 99, 1, 3600)[0] == 0)

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            allowed = sum(pool.map(worker, range(20)))
        assert allowed == 100, allowed  # exactly max_burst + 1 of 400


def test_errors():
    with Tallyd() as t:
        usage = (b"-Cell error: Usage: cl.throttle <key> <max_burst> <count per period> <period> "
                 b"[<quantity>]\r\n")
        for args in [("CL.THROTTLE",), ("CL.THROTTLE", "k", "1", "1"),
                     ("CL.THROTTLE", "k", "1", "1", "1", "1", "1")]:
            raw, closed = exchange(t.port, encode(*args))
            assert raw == usage and not closed, (args, raw)
        raw, _ = exchange(t.port, encode("CL.THROTTLE", "k", "1", "x", "1"))
        assert raw == b"-Cell error: Couldn't parse as integer: x\r\n", raw
        c = redis.Redis(port=t.port)
        for args in [("k", -1, 1, 1), ("k", 1, 0, 1), ("k", 1, 1, 0), ("k", 1, 1, 1, -1),
                     ("k", 1, 10 ** 9, 1), ("k", 2 ** 62, 1, 1), ("k", 1, 1, 2 ** 62)]:
            try:
                throttle(c, *args)
                raise AssertionError(f"{args} did not fail")
            except redis.ResponseError as e:
                assert str(e).startswith("Cell error: max_burst and quantity must be"), (args, str(e))
        assert throttle(c, "k", "+1", "1", "1") == [0, 2, 1, -1, 1]  # Rust's i64 parser
        c.set("text", "hello")
        try:
            throttle(c, "text", 1, 1, 1)
            raise AssertionError("a non-integer value was used")
        except redis.ResponseError as e:
            assert str(e) == "value is not an integer or out of range"
        raw, _ = exchange(t.port, encode("COMMAND", "INFO", "cl.throttle"))
        assert raw.startswith(b"*1\r\n*10\r\n$11\r\ncl.throttle\r\n:-1\r\n"), raw


def test_http_limits():
    with Tallyd() as t:
        url = t.url("/v1/limits/api%2Fuser-7")
        body = {"max_burst": 1, "count_per_period": 1, "period": 60}
        r = requests.post(url, json=body)
        assert r.status_code == 200, r.text
        assert r.json() == {"key": "api/user-7", "limited": False, "limit": 2, "remaining": 1,
                            "retry_after": -1, "reset_after": 60}
        assert requests.post(url, json=dict(body, quantity=1)).status_code == 200
        r = requests.post(url, json=body)
        assert r.status_code == 429 and r.json()["limited"] is True, r.text
        assert 59 <= int(r.headers["Retry-After"]) <= 60 and r.json()["retry_after"] >= 59
        r = requests.post(url, json=dict(body, quantity=5))  # can never pass: no Retry-After
        assert r.status_code == 429 and "Retry-After" not in r.headers
        assert requests.post(url, json={"max_burst": 1}).status_code == 400
        assert requests.post(url, json=dict(body, period="60")).status_code == 400
        assert requests.post(url, json=dict(body, period=0)).status_code == 400
        assert requests.get(url).status_code == 405
        assert requests.post(t.url("/v1/limits/"), json=body).status_code == 404
        # The same limiter over RESP.
        c = redis.Redis(port=t.port)
        assert throttle(c, "api/user-7", 1, 1, 60)[0] == 1


if __name__ == "__main__":
    run_tests([test_burst_then_limited, test_state_is_durable,
               test_concurrent_callers_share_one_budget, test_errors, test_http_limits])
