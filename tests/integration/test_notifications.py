"""Keyspace notifications (notify-keyspace-events) against Debian's redis-server 7.0, byte for
byte: the same commands on both, a raw PSUBSCRIBE connection on each, the messages compared.
Then "expired" from active expiry through redis-py's pubsub (a listener as apps write one),
notifications from MULTI/EXEC and scripts, and CONFIG's flag strings."""
import socket
import time

import redis

from harness import RedisServer, Tallyd, encode, exchange, run_tests

COMMANDS = [
    ["SET", "a", "1"], ["SET", "a", "2", "EX", "100"], ["SETNX", "a", "3"], ["SETNX", "b", "3"],
    ["SETEX", "c", "100", "v"], ["PSETEX", "c", "100000", "v"], ["GETSET", "c", "w"],
    ["MSET", "d", "1", "e", "2"], ["MSETNX", "d", "1", "f", "2"], ["MSETNX", "g", "1", "h", "2"],
    ["INCR", "n"], ["INCRBY", "n", "5"], ["DECR", "n"], ["DECRBY", "n", "2"],
    ["INCRBYFLOAT", "fl", "1.5"], ["APPEND", "s", "x"], ["SETRANGE", "s", "3", "y"],
    ["SETRANGE", "s", "1", ""], ["GET", "nokey"], ["GET", "a"], ["MGET", "a", "nokey2", "b"],
    ["GETDEL", "b"], ["GETDEL", "b"], ["GETEX", "a", "PERSIST"], ["GETEX", "a", "EX", "50"],
    ["GETEX", "nokey", "EX", "50"], ["STRLEN", "nokey"], ["GETRANGE", "nokey", "0", "1"],
    ["SET", "empty", ""], ["STRLEN", "empty"], ["GETRANGE", "empty", "0", "1"],
    ["EXISTS", "a", "nokey", "nokey2"], ["TYPE", "nokey"], ["TTL", "nokey"], ["PTTL", "nokey"],
    ["EXPIRETIME", "nokey"], ["PEXPIRETIME", "nokey"], ["GETSET", "newkey", "v"], ["EXPIRE", "c", "100"], ["EXPIRE", "nokey", "100"],
    ["PEXPIRE", "c", "100000"], ["EXPIREAT", "c", "4102444800"], ["PERSIST", "c"],
    ["PERSIST", "c"], ["EXPIRE", "d", "-1"], ["DEL", "e", "nokey", "f"], ["UNLINK", "g", "h"],
    ["SET", "r", "1"], ["RENAME", "r", "r2"], ["RENAMENX", "r2", "a"], ["RENAMENX", "r2", "r3"],
    ["COPY", "r3", "r4"], ["COPY", "r3", "r5", "DB", "1"], ["MOVE", "r4", "2"],
    ["SET", "x1", "1"], ["SET", "x2", "2"], ["RENAME", "x1", "x2"], ["COPY", "x2", "a", "REPLACE"],
    ["COPY", "x2", "a"], ["COPY", "nosrc", "a"], ["COPY", "nosrc", "zz"],
    ["SET", "x2", "3", "GET"], ["SET", "x3", "3", "GET"], ["SET", "x3", "4", "NX"],
    ["SET", "x4", "4", "XX"], ["SET", "x4", "4", "NX", "GET"], ["MSETNX", "x5", "1", "x5", "2"],
    ["EVAL", "redis.call('set', 'sc2', 1) redis.call('rename', 'sc2', 'sc3') return 1", "0"],
    ["MULTI"], ["INCR", "m"], ["SET", "m2", "x"], ["EXEC"],
    ["EVAL", "redis.call('incr', 'sc') redis.call('del', 'sc') return 1", "0"],
    ["RPUSH", "L", "a", "b", "c"], ["LPUSH", "L", "z"], ["LPUSHX", "nolist", "a"],
    ["RPUSHX", "L", "d"], ["LPOP", "L"], ["RPOP", "L", "2"], ["LSET", "L", "0", "q"],
    ["LINSERT", "L", "BEFORE", "q", "p"], ["LINSERT", "L", "AFTER", "nope", "p"],
    ["LREM", "L", "0", "p"], ["LREM", "L", "0", "nope"], ["LTRIM", "L", "0", "-1"],
    ["LMOVE", "L", "L2", "LEFT", "RIGHT"], ["RPOPLPUSH", "L2", "L3"], ["LRANGE", "nol", "0", "1"],
    ["LLEN", "nol"], ["LINDEX", "nol", "0"], ["LPOS", "nol", "x"], ["LPOP", "nol"],
    ["RPUSH", "T", "1", "2"], ["LTRIM", "T", "5", "1"], ["RPUSH", "T", "1"], ["LPOP", "T", "5"],
    ["RPUSH", "U", "1", "1"], ["LREM", "U", "0", "1"], ["RPUSH", "V", "1", "2"],
    ["LMPOP", "2", "nol", "V", "RIGHT", "COUNT", "1"], ["LMPOP", "1", "V", "LEFT", "COUNT", "9"], ["LPUSH", "a", "x"], ["LLEN", "a"],
    ["SET", "k", "v", "KEEPTTL"], ["INCRBY", "s", "1"], ["FLUSHALL"], ["SET", "last", "1"],
    ["DEL", "last"],
]


def last_message(flags):
    """The message the sequence's last event (SET or DEL of "last") ends with."""
    event = b"del" if ("g" in flags or "A" in flags) else b"set"
    if "E" in flags:
        return b"__keyevent@0__:" + event + b"\r\n$4\r\nlast\r\n"
    return b"__keyspace@0__:last\r\n$3\r\n" + event + b"\r\n"


def subscribe(port, pattern="__key*__:*"):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    s.sendall(encode("PSUBSCRIBE", pattern))
    want = b"*3\r\n$10\r\npsubscribe\r\n"
    buf = b""
    while not buf.endswith(b":1\r\n"):
        buf += s.recv(4096)
    assert buf.startswith(want), buf
    return s


def drain(s, until, timeout=10.0):
    """Reads messages until the last command's event has arrived."""
    buf = b""
    deadline = time.time() + timeout
    while until not in buf and time.time() < deadline:
        try:
            buf += s.recv(65536)
        except socket.timeout:
            break
    return buf


def run(port, flags):
    c = redis.Redis(port=port)
    c.config_set("notify-keyspace-events", flags)
    sub = subscribe(port)
    exchange(port, b"".join(encode(*cmd) for cmd in COMMANDS), timeout=10)
    got = drain(sub, last_message(flags))
    sub.close()
    c.config_set("notify-keyspace-events", "")
    return got


def test_messages_match_redis():
    for flags in ("KEA", "K$", "Eg", "KEAm", "E$gx", "KEAn", "En", "Kn$", "Kl", "Elg"):
        with Tallyd() as t, RedisServer() as r:
            want, got = run(r.port, flags), run(t.port, flags)
            if want != got:
                w, g = want.split(b"*4\r\n"), got.split(b"*4\r\n")
                for i, (a, b) in enumerate(zip(w, g)):
                    assert a == b, (flags, i, a, b)
            assert want == got, (flags, len(want), len(got))
            assert b"pmessage" in got or flags == "Eg"


def test_nothing_without_flags():
    with Tallyd() as t:
        sub = subscribe(t.port)
        c = redis.Redis(port=t.port)
        c.set("x", "1")
        c.incr("n")
        c.config_set("notify-keyspace-events", "E$")
        c.set("last", "1")
        got = drain(sub, last_message("E$"))
        assert got.count(b"pmessage") == 1, got


def test_expired_from_active_expiry_with_redis_py():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.config_set("notify-keyspace-events", "Ex")
        p = c.pubsub()
        p.psubscribe("__keyevent@*__:expired")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        c.set("session:1", "x", px=100)
        c.set("session:2", "x", px=100)
        c.select(3)
        c.set("other-db", "x", px=100)
        seen = set()
        deadline = time.time() + 10
        while len(seen) < 3 and time.time() < deadline:  # no reads: only active expiry
            m = p.get_message(timeout=1)
            if m and m["type"] == "pmessage":
                seen.add((m["channel"], m["data"]))
        assert seen == {(b"__keyevent@0__:expired", b"session:1"),
                        (b"__keyevent@0__:expired", b"session:2"),
                        (b"__keyevent@3__:expired", b"other-db")}, seen
        # Lazy expiry (a read finds the key expired) notifies too.
        c.config_set("notify-keyspace-events", "Kx")
        c.set("lazy", "x", px=1)
        time.sleep(0.01)
        p.psubscribe("__keyspace@3__:lazy")
        p.get_message(timeout=5)
        assert c.get("lazy") is None
        m = p.get_message(timeout=5)
        while m and m["type"] != "pmessage":
            m = p.get_message(timeout=5)
        assert m["channel"] == b"__keyspace@3__:lazy" and m["data"] == b"expired", m


def test_config_flag_strings_match_redis():
    cases = ["KEA", "AKEmn", "$gxK", "gK$E", "A", "Km", "", "x", "Q", "KEAQ", "n", "KA$"]
    with Tallyd() as t, RedisServer() as r:
        data = b"".join(encode("CONFIG", "SET", "notify-keyspace-events", f) +
                        encode("CONFIG", "GET", "notify-keyspace-events") for f in cases)
        want, got = exchange(r.port, data)[0], exchange(t.port, data)[0]
        assert want == got, (want, got)


if __name__ == "__main__":
    run_tests([test_messages_match_redis, test_nothing_without_flags,
               test_expired_from_active_expiry_with_redis_py, test_config_flag_strings_match_redis])
