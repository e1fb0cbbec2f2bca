"""CLIENT PAUSE / UNPAUSE as Redis 7.0: the errors byte for byte against redis-server 7.0;
under WRITE reads go on while writes (and EVAL, PUBLISH, an EXEC with a write) wait for
UNPAUSE; under ALL every command waits until the pause ends (UNPAUSE too, as in Redis); no key
expires during a pause; and a waiting client holds up nobody but itself."""
import socket
import threading
import time

import redis

from harness import RedisServer, Tallyd, encode, exchange, run_tests

ERRORS = [["CLIENT", "PAUSE"], ["CLIENT", "PAUSE", "x"], ["CLIENT", "PAUSE", "-1"],
          ["CLIENT", "PAUSE", "10", "foo"], ["CLIENT", "PAUSE", "10", "all", "extra"],
          ["CLIENT", "PAUSE", "0"], ["CLIENT", "PAUSE", "0", "WRITE"], ["CLIENT", "UNPAUSE"],
          ["CLIENT", "UNPAUSE", "x"], ["COMMAND", "INFO", "client|pause"]]


def test_replies_match_redis():
    outs = []
    for server in (RedisServer(), Tallyd()):
        with server:
            got, _ = exchange(server.port, b"".join(encode(*c) for c in ERRORS))
            outs.append(got)
    assert outs[0] == outs[1], outs


def send_later(port, *commands):
    """Sends `commands` on a new connection in a thread; returns (thread, result dict) where
    result gets the replies and the time they arrived."""
    result = {}

    def run():
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"".join(encode(*c) for c in commands))
            buf = b""
            while buf.count(b"\r\n") < len(commands):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            result["reply"] = buf
            result["at"] = time.time()

    t = threading.Thread(target=run)
    t.start()
    return t, result


def test_write_pause_holds_writes_until_unpause():
    with Tallyd() as t:
        admin = redis.Redis(port=t.port)
        admin.set("k", "1")
        assert admin.execute_command("CLIENT", "PAUSE", "60000", "WRITE") == b"OK"
        reader = redis.Redis(port=t.port)
        assert reader.get("k") == b"1"  # reads go on
        waiting = [send_later(t.port, ["INCR", "k"]),
                   send_later(t.port, ["EVAL", "return redis.call('incr', 'k')", "0"]),
                   send_later(t.port, ["PUBLISH", "ch", "m"]),
                   send_later(t.port, ["MULTI"], ["INCR", "k"], ["EXEC"])]
        time.sleep(0.5)
        assert all("reply" not in r for _, r in waiting), [r for _, r in waiting]
        assert reader.get("k") == b"1"  # nothing written while paused
        assert admin.execute_command("CLIENT", "UNPAUSE") == b"OK"
        for th, _ in waiting:
            th.join(10)
        replies = sorted(r["reply"] for _, r in waiting)
        assert b":0\r\n" in replies, replies  # PUBLISH, to nobody
        assert reader.get("k") == b"4"


def test_all_pause_holds_everything_until_it_ends():
    with Tallyd() as t:
        admin = redis.Redis(port=t.port)
        admin.set("e", "v", px=300)
        start = time.time()
        assert admin.execute_command("CLIENT", "PAUSE", "1500", "ALL") == b"OK"
        th_get, get = send_later(t.port, ["GET", "e"])
        th_unpause, unpause = send_later(t.port, ["CLIENT", "UNPAUSE"])
        time.sleep(0.8)
        assert "reply" not in get and "reply" not in unpause  # both wait for the end
        th_get.join(10)
        th_unpause.join(10)
        assert get["at"] - start >= 1.2 and unpause["at"] - start >= 1.2, (get, unpause)
        assert get["reply"] == b"$-1\r\n"  # expired, seen once the pause is over
        assert unpause["reply"] == b"+OK\r\n"


if __name__ == "__main__":
    run_tests([test_replies_match_redis, test_write_pause_holds_writes_until_unpause,
               test_all_pause_holds_everything_until_it_ends])
