"""INCREX as Redis 8.8 defines it (src/commands/increx.json and the INCREX cases of
tests/unit/type/incr.tcl, ported case by case: Debian's redis-server 7.0 has no INCREX, so the
expected replies are the documented ones), Tally's IDMP request ids on it, its HTTP form, and
50 clients on one bounded counter."""
import concurrent.futures
import math
import time

import redis
import requests

from harness import Tallyd, encode, exchange, run_tests

MAX = 9223372036854775807
MIN = -9223372036854775808
BIG = "1e4932"  # big + big overflows a long double (Redis's ldbl_overflow_operand)


def client(t):
    return redis.Redis(port=t.port, decode_responses=True)


def ix(c, *args):
    """INCREX's reply; float-mode bulk strings rounded as Redis's roundFloat does."""
    reply = c.execute_command("INCREX", *args)
    return [v if isinstance(v, int) else round(float(v), 10) for v in reply]


def error(c, *args):
    try:
        c.execute_command("INCREX", *args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError(f"INCREX {args} did not fail")


def test_defaults_and_byint():
    with Tallyd() as t:
        c = client(t)
        assert ix(c, "mykey") == [1, 1]
        c.set("mykey", 10)
        assert ix(c, "mykey") == [11, 1]
        c.set("mykey", 100)
        assert ix(c, "mykey", "BYINT", 5) == [105, 5]
        assert ix(c, "mykey", "BYINT", -10) == [95, -10]
        assert ix(c, "mykey", "BYINT", 0) == [95, 0]
        c.set("mykey", 50)
        assert ix(c, "mykey", "BYINT", 100, "UBOUND", 80, "SATURATE") == [80, 30]
        c.set("mykey", 10)
        assert ix(c, "mykey", "BYINT", -100, "LBOUND", 0, "SATURATE") == [0, -10]
        c.set("mykey", 5)
        assert ix(c, "mykey", "BYINT", 1, "LBOUND", 0, "UBOUND", 10) == [6, 1]
        # The reply types on the wire: integers in integer mode, in RESP2 and RESP3.
        c.delete("foo")
        raw, _ = exchange(t.port, encode("INCREX", "foo", "BYINT", "5") + encode("INCREX", "foo"))
        assert raw == b"*2\r\n:5\r\n:5\r\n*2\r\n:6\r\n:1\r\n", raw


def test_overflow_and_saturate_int():
    with Tallyd() as t:
        c = client(t)
        c.set("k", MAX - 7)
        assert ix(c, "k", "BYINT", MAX - 7, "SATURATE") == [MAX, 7]
        c.set("k", MAX - 7)
        assert ix(c, "k", "BYINT", MAX - 7, "UBOUND", MAX) == [MAX - 7, 0]
        assert ix(c, "k", "BYINT", MAX - 7, "UBOUND", MAX, "SATURATE") == [MAX, 7]
        c.set("k", MIN + 8)
        assert ix(c, "k", "BYINT", MIN + 8, "SATURATE") == [MIN, -8]
        c.set("k", MIN + 8)
        assert ix(c, "k", "BYINT", MIN + 8, "LBOUND", MIN) == [MIN + 8, 0]
        assert ix(c, "k", "BYINT", MIN + 8, "LBOUND", MIN, "SATURATE") == [MIN, -8]
        c.set("k", MAX - 7)
        assert ix(c, "k", "BYINT", MAX - 7) == [MAX - 7, 0]  # overflow without a bound: refused
        assert c.get("k") == str(MAX - 7)
        c.set("k", MAX)
        assert ix(c, "k", "BYINT", 1, "SATURATE") == [MAX, 0]
        c.set("k", 10)
        assert ix(c, "k", "BYINT", MAX, "UBOUND", 100, "SATURATE") == [100, 90]
        c.set("k", 10)
        assert ix(c, "k", "BYINT", MAX, "UBOUND", 100) == [10, 0]
        c.set("k", -10)
        assert ix(c, "k", "BYINT", -MAX, "LBOUND", -100, "SATURATE") == [-100, -90]
        c.set("k", MAX - 7)
        assert error(c, "k", "BYINT", 1, "SATURATE", "UBOUND", MIN) == \
            "applied increment would overflow"
        assert c.get("k") == str(MAX - 7)


def test_bounds_refuse_or_saturate():
    with Tallyd() as t:
        c = client(t)
        cases = [  # (stored, args, reply, stored after)
            (10, ("BYINT", 10, "UBOUND", 15), [10, 0], "10"),
            (10, ("BYINT", 10, "UBOUND", 15, "SATURATE"), [15, 5], "15"),
            (10, ("BYINT", -10, "LBOUND", 5), [10, 0], "10"),
            (10, ("BYINT", -10, "LBOUND", 5, "SATURATE"), [5, -5], "5"),
            (10, ("BYINT", 5, "UBOUND", 5, "SATURATE"), [5, -5], "5"),  # against the increment
            (10, ("BYINT", -5, "LBOUND", 20, "SATURATE"), [20, 10], "20"),
            (10, ("BYINT", 5, "LBOUND", 10, "UBOUND", 10), [10, 0], "10"),
            (10, ("BYINT", 5, "LBOUND", 10, "UBOUND", 10, "SATURATE"), [10, 0], "10"),
            (10, ("BYINT", 5, "SATURATE"), [15, 5], "15"),
            (10, ("BYINT", -5, "UBOUND", 5), [5, -5], "5"),  # bounds the result, not direction
            (5, ("BYINT", 5, "UBOUND", 10), [10, 5], "10"),  # landing on a bound is allowed
            (5, ("BYINT", -10, "LBOUND", -5), [-5, -10], "-5"),
            (50, ("BYINT", 5, "UBOUND", 30), [50, 0], "50"),  # already outside: refused
            (50, ("BYINT", 5, "UBOUND", 30, "SATURATE"), [30, -20], "30"),
            (-50, ("BYINT", -5, "LBOUND", -30, "SATURATE"), [-30, 20], "-30"),
            (50, ("BYINT", -25, "UBOUND", 30), [25, -25], "25"),
            ("10.0", ("BYFLOAT", "10.0", "UBOUND", "15.5"), [10, 0], "10.0"),
            ("10.0", ("BYFLOAT", "10.0", "UBOUND", "15.5", "SATURATE"), [15.5, 5.5], "15.5"),
            ("10.0", ("BYFLOAT", "-10.0", "LBOUND", "5.5", "SATURATE"), [5.5, -4.5], "5.5"),
            ("50.5", ("BYFLOAT", "5.5", "UBOUND", "30"), [50.5, 0], "50.5"),
            ("50.5", ("BYFLOAT", "5.5", "UBOUND", "30", "SATURATE"), [30, -20.5], "30"),
            ("-50.5", ("BYFLOAT", "-5.5", "LBOUND", "-30", "SATURATE"), [-30, 20.5], "-30"),
            ("5.0", ("BYFLOAT", "5.0", "UBOUND", "10.0"), [10, 5], "10"),
            ("1.5", ("BYFLOAT", "0.25", "UBOUND", "10.0", "SATURATE"), [1.75, 0.25], "1.75"),
            (10, ("BYFLOAT", "1.0", "UBOUND", "inf"), [11, 1], "11"),
            (10, ("BYFLOAT", "1.0", "LBOUND", "-inf"), [11, 1], "11"),
            (10, ("BYFLOAT", "1.0", "LBOUND", "-inf", "UBOUND", "-inf"), [10, 0], "10"),
            (10, ("BYFLOAT", "1.0", "LBOUND", "0.5", "UBOUND", "15.5"), [11, 1], "11"),
            (10, ("BYFLOAT", BIG, "UBOUND", "100", "SATURATE"), [100, 90], "100"),
            (10, ("BYFLOAT", BIG, "UBOUND", "100"), [10, 0], "10"),
            (10, ("BYFLOAT", "-" + BIG, "LBOUND", "-100", "SATURATE"), [-100, -110], "-100"),
        ]
        for stored, args, reply, after in cases:
            c.set("k", stored)
            assert ix(c, "k", *args) == reply, (stored, args)
            assert c.get("k") == after, (stored, args, c.get("k"))


def test_missing_key_creation_depends_on_bounds():
    with Tallyd() as t:
        c = client(t)
        for args, reply, exists in [
                (("BYINT", 5, "UBOUND", 10), [5, 5], 1),
                (("BYINT", 15, "UBOUND", 10), [0, 0], 0),
                (("BYFLOAT", "5.5", "UBOUND", "10"), [5.5, 5.5], 1),
                (("BYFLOAT", "15.5", "UBOUND", "10"), [0, 0], 0),
                (("BYINT", 5, "LBOUND", 10), [0, 0], 0),
                (("BYFLOAT", "-0.5", "UBOUND", "-1.5"), [0, 0], 0),
                (("UBOUND", 5), [1, 1], 1),
                (("UBOUND", 0), [0, 0], 0),
                (("UBOUND", 0, "SATURATE"), [0, 0], 1),
                (("LBOUND", 5, "SATURATE"), [5, 5], 1),
                (("EXAT", 1), [1, 1], 0)]:  # past expiry: replied, not stored
            c.delete("k")
            assert ix(c, "k", *args) == reply, args
            assert c.exists("k") == exists, args


def test_floats():
    with Tallyd() as t:
        c = client(t)
        c.set("mykey", "1.5")
        assert ix(c, "mykey", "BYFLOAT", "0.25") == [1.75, 0.25]
        assert ix(c, "mykey", "BYFLOAT", "1") == [2.75, 1]
        c.set("mykey", 10)
        assert ix(c, "mykey", "BYFLOAT", "100", "UBOUND", "42.5", "SATURATE") == [42.5, 32.5]
        c.set("mykey", 0)
        assert ix(c, "mykey", "BYFLOAT", "-100", "LBOUND", "-5.5", "SATURATE") == [-5.5, -5.5]
        c.delete("foo")
        c.execute_command("INCREX", "foo", "BYFLOAT", repr(1 / 41))
        c.execute_command("INCREX", "foo", "BYFLOAT", repr(-1 / 41))
        assert c.get("foo") == "0"  # no negative zero
        # Overflow of the sum: refused, value and TTL left alone.
        c.set("foo", BIG, ex=100)
        assert ix(c, "foo", "BYFLOAT", BIG, "EX", 60)[1] == 0
        assert c.get("foo") == BIG and 61 <= c.ttl("foo") <= 100
        # ... saturated to the type's limit with SATURATE, stored as replied.
        res = c.execute_command("INCREX", "foo", "BYFLOAT", BIG, "SATURATE")
        assert c.get("foo") == res[0] and float(res[0]) == math.inf  # past double's range
        # An applied increment that is infinite is an error.
        c.set("k", "-" + BIG)
        assert error(c, "k", "BYFLOAT", BIG, "LBOUND", BIG, "SATURATE") == \
            "applied increment would be Infinity"
        c.set("k", 10)
        for bound in ("-inf", "inf"):
            assert error(c, "k", "BYFLOAT", "1.0", "LBOUND", bound, "UBOUND", bound,
                         "SATURATE") == "applied increment would be Infinity"
        # new == old + applied for values a long double cannot hold exactly.
        for seed, incr in [("100000000000000000000", "7"), ("1000000000000000000000000000000",
                                                             "100000000000")]:
            c.set("foo", seed)
            assert ix(c, "foo", "BYFLOAT", "0")[1] == 0
            old = float(c.get("foo"))
            new, applied = c.execute_command("INCREX", "foo", "BYFLOAT", incr)
            assert new == c.get("foo") and float(new) == old + float(applied)
        # Reply types: bulk strings in RESP2, doubles in RESP3.
        c.delete("f")
        raw, _ = exchange(t.port, encode("INCREX", "f", "BYFLOAT", "2.5"))
        assert raw == b"*2\r\n$3\r\n2.5\r\n$3\r\n2.5\r\n", raw
        c.delete("f")
        raw, _ = exchange(t.port, encode("HELLO", "3")[:0] + encode("HELLO", "3") +
                          encode("INCREX", "f", "BYFLOAT", "2.5") +
                          encode("INCREX", "f", "BYFLOAT", "1", "UBOUND", "0"))
        assert raw.endswith(b"*2\r\n,2.5\r\n,2.5\r\n*2\r\n,2.5\r\n,0\r\n"), raw


def test_errors():
    with Tallyd() as t:
        c = client(t)
        syntax = [("FOO",), ("BYINT", 1, "FOO"), ("BYINT", 1, "BYFLOAT", 1.5),
                  ("BYFLOAT", 1.5, "BYINT", 1), ("BYINT", 1, "EX", 10, "PX", 5000),
                  ("BYINT", 1, "EX", 10, "EXAT", 9999999999), ("PX", 5000, "PXAT", 9999999999000),
                  ("EX", 10, "PERSIST"), ("PERSIST", "EX", 10), ("PERSIST", "ENX"),
                  ("ENX", "PERSIST"), ("BYINT", 1, "BYINT", 2), ("BYFLOAT", 1, "BYFLOAT", 2),
                  ("LBOUND", 0, "LBOUND", 1), ("UBOUND", 9, "UBOUND", 8),
                  ("SATURATE", "SATURATE", "LBOUND", 0), ("SAT", "LBOUND", 0),
                  ("ENX", "ENX", "EX", 10), ("PERSIST", "PERSIST"), ("EX", 10, "EX", 20),
                  ("PX", 10, "PX", 20), ("EXAT", 9999999999, "EXAT", 9999999998),
                  ("BYINT",), ("LBOUND",), ("UBOUND",), ("EX",), ("NX",), ("XX",),
                  ("IDMP",), ("IDMP", "a", "IDMP", "b")]
        for args in syntax:
            assert error(c, "mykey", *args) == "syntax error", args
        for args, text in [
                (("BYINT", 1, "ENX"), "ENX flag requires an expiration"),
                (("ENX",), "ENX flag requires an expiration"),
                (("BYINT", "abc"), "Increment is not an integer or out of range"),
                (("BYINT", "1.5"), "Increment is not an integer or out of range"),
                (("BYFLOAT", "abc"), "Increment is not a valid float"),
                (("BYFLOAT", "nan"), "Increment is not a valid float"),
                (("BYFLOAT", "1e99999"), "Increment is not a valid float"),
                (("BYFLOAT", "+inf"), "BYFLOAT increment cannot be Infinity"),
                (("BYFLOAT", "-inf"), "BYFLOAT increment cannot be Infinity"),
                (("BYINT", 1, "LBOUND", 10, "UBOUND", 5), "LBOUND can't be greater than UBOUND"),
                (("BYFLOAT", 0.5, "LBOUND", 10.5, "UBOUND", 1.5),
                 "LBOUND can't be greater than UBOUND"),
                (("BYFLOAT", 1.0, "UBOUND", "-inf"), "LBOUND can't be greater than UBOUND"),
                (("BYFLOAT", 1.0, "LBOUND", "inf"), "LBOUND can't be greater than UBOUND"),
                (("BYINT", 5, "UBOUND", "12.5"), "UBOUND is not an integer or out of range"),
                (("UBOUND", "abc"), "UBOUND is not an integer or out of range"),
                (("LBOUND", "abc"), "LBOUND is not an integer or out of range"),
                (("UBOUND", "inf"), "UBOUND is not an integer or out of range"),
                (("BYFLOAT", 1.0, "UBOUND", "abc"), "UBOUND is not a valid float"),
                (("BYFLOAT", 1.0, "LBOUND", "abc"), "LBOUND is not a valid float"),
                (("BYINT", 1, "EX", 0), "invalid expire time in 'increx' command"),
                (("BYINT", 1, "PX", 0), "invalid expire time in 'increx' command"),
                (("BYINT", 1, "EX", -1), "invalid expire time in 'increx' command")]:
            assert error(c, "mykey", *args) == text, args
        raw, _ = exchange(t.port, encode("INCREX"))
        assert raw == b"-ERR wrong number of arguments for 'increx' command\r\n", raw
        # Stored values that are not numbers.
        c.set("mykey", "hello")
        assert error(c, "mykey", "BYFLOAT", 1.5) == "value is not a valid float"
        assert error(c, "mykey", "BYINT", 1) == "value is not an integer or out of range"
        assert error(c, "mykey", "EXAT", 1) == "value is not an integer or out of range"
        c.set("mykey", "inf")
        assert error(c, "mykey", "BYFLOAT", 1) == "value cannot be Infinity"
        assert error(c, "mykey", "BYINT", 1) == "value is not an integer or out of range"
        c.set("mykey", "-inf")
        assert error(c, "mykey", "BYFLOAT", 0, "LBOUND", -100) == "value cannot be Infinity"
        assert c.get("mykey") == "-inf"
        # Arguments are case-insensitive and may come in any order.
        c.delete("mykey")
        c.execute_command("INCREX", "mykey", "ex", 100, "byint", 5)
        assert c.get("mykey") == "5" and c.ttl("mykey") > 0
        c.set("mykey", 5)
        assert ix(c, "mykey", "LBOUND", 0, "BYINT", 100, "UBOUND", 10, "SATURATE") == [10, 5]


def test_expiration():
    with Tallyd() as t:
        c = client(t)
        now = int(time.time())
        for args, low, high in [(("EX", 100), 1, 100), (("PX", 100000), 1, 100),
                                (("EXAT", now + 100), 1, 100),
                                (("PXAT", (now + 100) * 1000), 1, 100)]:
            c.delete("k")
            c.execute_command("INCREX", "k", "BYINT", 1, *args)
            assert low <= c.ttl("k") <= high, args
        c.set("k", 5, ex=1000)
        c.execute_command("INCREX", "k", "BYINT", 1)
        assert c.ttl("k") > 990  # no option keeps the TTL
        c.execute_command("INCREX", "k", "PERSIST")
        assert c.ttl("k") == -1
        c.set("k", 10)
        assert ix(c, "k", "EX", 100, "ENX") == [11, 1] and 1 <= c.ttl("k") <= 100
        c.set("k", 10, ex=500)
        assert ix(c, "k", "EX", 100, "ENX") == [11, 1] and 400 <= c.ttl("k") <= 500
        assert ix(c, "k", "PX", 100000, "ENX") == [12, 1] and 400 <= c.ttl("k") <= 500
        c.delete("k")
        assert ix(c, "k", "BYINT", 5, "EX", 100, "ENX") == [5, 5] and c.ttl("k") > 0
        c.set("k", 10)
        assert ix(c, "k", "EXAT", 100, "ENX") == [11, 1] and c.exists("k") == 0
        c.set("k", 10, ex=500)
        assert ix(c, "k", "EXAT", 1, "ENX") == [11, 1] and c.get("k") == "11"
        assert c.ttl("k") > 400
        c.set("k", 10)
        c.execute_command("INCREX", "k", "PXAT", 1)
        assert c.exists("k") == 0
        # Refused: neither value nor TTL changes.
        c.set("k", 10)
        assert ix(c, "k", "BYINT", 100, "UBOUND", 15, "EX", 100) == [10, 0] and c.ttl("k") == -1
        c.set("k", 10, ex=500)
        assert ix(c, "k", "BYINT", 5, "UBOUND", 5, "PERSIST") == [10, 0]
        assert 400 <= c.ttl("k") <= 500
        c.set("k", MAX)
        assert ix(c, "k", "BYINT", 1, "EX", 100, "ENX") == [MAX, 0] and c.ttl("k") == -1
        c.set("k", 10)
        assert ix(c, "k", "BYINT", 100, "UBOUND", 15, "SATURATE", "EX", 200) == [15, 5]
        assert c.ttl("k") > 0
        # Durable like any write: the value and TTL survive a restart.
        t.restart()
        c = client(t)
        assert c.get("k") == "15" and c.ttl("k") > 0


def test_idmp_retries_apply_once():
    with Tallyd(extra=["--idempotency-window", "2"]) as t:
        c = client(t)
        assert ix(c, "k", "BYINT", 5, "IDMP", "req-1") == [5, 5]
        assert ix(c, "k", "BYINT", 5, "IDMP", "req-1") == [5, 5]  # the first reply again
        assert ix(c, "k", "BYINT", 9, "IDMP", "req-1") == [5, 5]  # same id: same reply
        assert c.get("k") == "5"
        assert ix(c, "other", "BYINT", 5, "IDMP", "req-1") == [5, 5]  # ids are per key
        assert ix(c, "k", "BYINT", 2, "IDMP", "req-2", "UBOUND", 6) == [5, 0]  # a refusal...
        c.set("k", 0)
        assert ix(c, "k", "BYINT", 2, "IDMP", "req-2", "UBOUND", 6) == [5, 0]  # ...is kept too
        assert c.get("k") == "0"
        assert ix(c, "f", "BYFLOAT", "0.5", "IDMP", "x") == [0.5, 0.5]
        assert ix(c, "f", "BYFLOAT", "0.5", "IDMP", "x") == [0.5, 0.5]
        # Ids are not keys: not in DBSIZE, SCAN or FLUSHALL's reach, and kept across restarts.
        assert c.dbsize() == 3 and sorted(c.scan_iter()) == ["f", "k", "other"]
        t.restart()
        c = client(t)
        assert ix(c, "f", "BYFLOAT", "0.5", "IDMP", "x") == [0.5, 0.5]
        c.flushall()
        assert ix(c, "f", "BYFLOAT", "0.5", "IDMP", "x") == [0.5, 0.5] and c.exists("f") == 0
        # Past the window the id is forgotten.
        time.sleep(2.2)
        assert ix(c, "f", "BYFLOAT", "0.5", "IDMP", "x") == [0.5, 0.5] and c.get("f") == "0.5"


def test_idmp_limit_is_enforced():
    with Tallyd(extra=["--idempotency-max-ids", "3"]) as t:
        c = client(t)
        first = ix(c, "k", "IDMP", "id0")
        for i in range(1, 3):
            ix(c, "k", "IDMP", f"id{i}")
        # The count is taken from what RocksDB has, which lags the log by up to the applier's
        # gather window, so a burst of new ids gets past the limit until the count catches up.
        deadline = time.time() + 5
        sent = 3
        while time.time() < deadline:  # new ids until the lagging count refuses one
            try:
                c.execute_command("INCREX", "k", "IDMP", f"x{sent}")
                sent += 1
            except redis.ResponseError as e:
                assert "idempotency-max-ids" in str(e)
                break
        else:
            raise AssertionError("idempotency-max-ids was not enforced")
        assert ix(c, "k", "IDMP", "id0") == first  # known ids still answer
        ix(c, "k")  # and plain INCREX still works
        c.config_set("idempotency-max-ids", sent + 1)  # room for one more than were kept
        ix(c, "k", "IDMP", "now-allowed")


def test_http_incr_with_bounds_and_idempotency_key():
    with Tallyd() as t:
        url = t.url("/v1/counters/seats/incr")
        r = requests.post(url, json={"by": 3, "max": 5})
        assert r.status_code == 200 and r.json() == {"key": "seats", "value": 3, "applied": 3}
        r = requests.post(url, json={"by": 3, "max": 5})
        assert r.json() == {"key": "seats", "value": 3, "applied": 0}, r.text
        r = requests.post(url, json={"by": 3, "max": 5, "saturate": True})
        assert r.json() == {"key": "seats", "value": 5, "applied": 2}, r.text
        r = requests.post(url, json={"by": -10, "min": 0, "saturate": True})
        assert r.json() == {"key": "seats", "value": 0, "applied": -5}, r.text
        r = requests.post(url, json={"by": 1, "min": 5, "max": 1})
        assert r.status_code == 400 and "LBOUND" in r.text, r.text
        r = requests.post(url, json={"by": 1, "max": "x"})
        assert r.status_code == 400, r.text
        headers = {"Idempotency-Key": "order-17"}
        first = requests.post(url, json={"by": 2}, headers=headers)
        again = requests.post(url, json={"by": 2}, headers=headers)
        assert first.json() == again.json() == {"key": "seats", "value": 2, "applied": 2}
        assert requests.get(t.url("/v1/counters/seats")).json()["value"] == 2
        r = requests.post(t.url("/v1/counters/seats/decr"), json={"by": 1}, headers=headers)
        assert r.json() == {"key": "seats", "value": 2, "applied": 2}  # same key, same id


def test_fifty_clients_never_pass_the_bound():
    with Tallyd() as t:
        bound = 5000

        def worker(n):
            c = client(t)
            applied = 0
            for i in range(150):
                applied += ix(c, "quota", "BYINT", 1 + (n + i) % 3, "UBOUND", bound)[1]
            return applied

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            total = sum(pool.map(worker, range(50)))
        value = int(client(t).get("quota"))
        assert value == total and bound - 2 <= value <= bound, (value, total)


if __name__ == "__main__":
    run_tests([test_defaults_and_byint, test_overflow_and_saturate_int,
               test_bounds_refuse_or_saturate, test_missing_key_creation_depends_on_bounds,
               test_floats, test_errors, test_expiration, test_idmp_retries_apply_once,
               test_idmp_limit_is_enforced, test_http_incr_with_bounds_and_idempotency_key,
               test_fifty_clients_never_pass_the_bound])
