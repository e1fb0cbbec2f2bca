"""Pub/sub against Debian's redis-server 7.0, byte for byte: the subscribe family's replies
(RESP2 and RESP3 pushes), subscribed mode's rules, PUBSUB, and the messages subscribers get.
Then what only tallyd's threads can get wrong: messages from one publisher arrive in order at
subscribers on every io thread, and a subscriber that stops reading is cut off at
client-output-buffer-limit-pubsub-bytes while the others and the publisher go on."""
import json
import os
import re
import subprocess
import socket
import threading
import time

import redis

from harness import HERE, RedisServer, Tallyd, encode, exchange, install_npm, run_tests

NODE_DIR = os.path.join(HERE, "..", "..", "build", "node-pubsub")
NODE_PACKAGES = {"ioredis5": "ioredis@5.11.1", "ioredis6": "ioredis@6.0.0",
                 "redis4": "redis@4.7.0", "redis6": "redis@6.3.1"}

LEAVE = encode("UNSUBSCRIBE") + encode("PUNSUBSCRIBE") + encode("SUNSUBSCRIBE")


def same(t, r, data, leave=True):
    data = data + (LEAVE if leave else b"")
    got, want = (re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"", exchange(port, data)[0])
                 for port in (t.port, r.port))  # HELLO's client id differs
    assert got == want, (data, want, got)
    return got


def test_subscribe_family_replies():
    with Tallyd() as t, RedisServer() as r:
        for hello in (b"", encode("HELLO", "3")):
            same(t, r, hello + encode("SUBSCRIBE", "a", "b", "a") + encode("SUBSCRIBE", "c") +
                 encode("UNSUBSCRIBE", "b", "zz") + encode("PSUBSCRIBE", "x*", "y?") +
                 encode("PUNSUBSCRIBE", "y?") + encode("SSUBSCRIBE", "s1", "s2") +
                 encode("SUNSUBSCRIBE", "s1") + encode("PING") + encode("PING", "hi") +
                 encode("UNSUBSCRIBE", "c"))  # UNSUBSCRIBE-all goes in hash order in Redis
            same(t, r, hello + encode("UNSUBSCRIBE") + encode("PUNSUBSCRIBE") +
                 encode("SUNSUBSCRIBE") + encode("UNSUBSCRIBE", "never"))
            same(t, r, hello + encode("SUBSCRIBE", "a") + encode("GET", "k") +
                 encode("SET", "k", "v") + encode("CONFIG", "GET", "databases") + encode("QUIT"),
                 leave=False)
            # Shard subscriptions alone: subscribed mode too.
            same(t, r, hello + encode("SSUBSCRIBE", "s") + encode("GET", "k") + encode("PING"))
            same(t, r, hello + encode("SUBSCRIBE") + encode("PSUBSCRIBE") +
                 encode("SSUBSCRIBE"), leave=False)
        # After leaving every channel a RESP2 client runs commands again.
        same(t, r, encode("SUBSCRIBE", "a") + encode("UNSUBSCRIBE", "a") + encode("PING") +
             encode("GET", "k"), leave=False)


def test_reset():
    with Tallyd() as t, RedisServer() as r:
        same(t, r, encode("SUBSCRIBE", "a") + encode("PSUBSCRIBE", "b*") + encode("RESET") +
             encode("PUBSUB", "NUMSUB", "a") + encode("PUBSUB", "NUMPAT") + encode("GET", "k"),
             leave=False)
        same(t, r, encode("SELECT", "3") + encode("SET", "k3", "v") + encode("CLIENT", "SETNAME",
                                                                            "n") +
             encode("MULTI") + encode("SET", "k", "v") + encode("RESET") + encode("EXEC") +
             encode("CLIENT", "GETNAME") + encode("GET", "k3") + encode("HELLO", "3") +
             encode("RESET") + encode("GET", "k") + encode("RESET", "x"), leave=False)
    with Tallyd(extra=["--requirepass", "pw"]) as t, \
            RedisServer(extra=["--requirepass", "pw"]) as r:
        same(t, r, encode("RESET") + encode("AUTH", "pw") + encode("GET", "k") + encode("RESET") +
             encode("GET", "k"), leave=False)


def test_pubsub_introspection():
    with Tallyd() as t, RedisServer() as r:
        holders = []
        for port in (t.port, r.port):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(encode("SUBSCRIBE", "news", "sport") + encode("PSUBSCRIBE", "n*", "n*x") +
                      encode("SSUBSCRIBE", "shard1"))
            holders.append(s)
        time.sleep(0.3)
        same(t, r, encode("PUBSUB", "NUMSUB", "news", "nothing") + encode("PUBSUB", "NUMPAT") +
             encode("PUBSUB", "NUMSUB") + encode("PUBSUB", "SHARDNUMSUB", "shard1", "x") +
             encode("PUBSUB", "CHANNELS", "s*") + encode("PUBSUB", "SHARDCHANNELS") +
             encode("PUBSUB", "CHANNELS", "a", "b") + encode("PUBSUB", "NUMPAT", "x") +
             encode("PUBSUB", "NOSUCH") + encode("PUBSUB") + encode("PUBSUB", "HELP") +
             encode("PUBLISH", "news", "x") + encode("PUBLISH", "nobody", "x") +
             encode("SPUBLISH", "shard1", "x") + encode("PUBLISH", "a") + encode("SPUBLISH"),
             leave=False)
        # Channel order is a hash table's in Redis: compare as sets.
        for port in (t.port, r.port):
            names = sorted(redis.Redis(port=port).pubsub_channels())
            assert names == [b"news", b"sport"], names
        for s in holders:
            s.close()
        time.sleep(0.2)
        assert redis.Redis(port=t.port).pubsub_numsub("news") == [(b"news", 0)]


def read_for(s, seconds):
    s.settimeout(0.05)
    buf = b""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        except socket.timeout:
            pass
    return buf


def test_messages_match_redis():
    with Tallyd() as t, RedisServer() as r:
        for hello in (b"", encode("HELLO", "3")):
            got = []
            for port in (t.port, r.port):
                sub = socket.create_connection(("127.0.0.1", port))
                sub.sendall(hello + encode("SUBSCRIBE", "ch") + encode("PSUBSCRIBE", "c*") +
                            encode("SSUBSCRIBE", "sh"))
                time.sleep(0.2)
                pub = redis.Redis(port=port)
                pub.publish("ch", "one")
                pub.publish("cx", b"\x00binary\r\n")
                pub.execute_command("SPUBLISH", "sh", "sharded")
                pub.publish("other", "nobody")
                got.append(re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"", read_for(sub, 0.5)))
                sub.close()
            assert got[0] == got[1], got


def test_order_across_io_threads_and_redis_py():
    with Tallyd(extra=["--io-threads", "4"]) as t:
        subs = []
        for _ in range(8):
            p = redis.Redis(port=t.port).pubsub()
            p.subscribe("seq")
            assert p.get_message(timeout=2)["type"] == "subscribe"
            subs.append(p)
        publishers = []

        def publish(name):
            c = redis.Redis(port=t.port)
            for i in range(500):
                c.publish("seq", f"{name}:{i}")

        for name in ("a", "b"):
            th = threading.Thread(target=publish, args=(name,))
            th.start()
            publishers.append(th)
        for th in publishers:
            th.join()
        for p in subs:
            seen = {"a": [], "b": []}
            deadline = time.time() + 10
            while len(seen["a"]) + len(seen["b"]) < 1000 and time.time() < deadline:
                m = p.get_message(timeout=1)
                if m and m["type"] == "message":
                    name, i = m["data"].decode().split(":")
                    seen[name].append(int(i))
            assert seen == {"a": list(range(500)), "b": list(range(500))}
            p.close()


def test_slow_subscriber_is_cut_off():
    with Tallyd(extra=["--client-output-buffer-limit-pubsub-bytes", "1mb"]) as t:
        slow = socket.create_connection(("127.0.0.1", t.port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(encode("SUBSCRIBE", "flood"))
        good = redis.Redis(port=t.port).pubsub()
        good.subscribe("flood")
        good.get_message(timeout=2)
        time.sleep(0.2)
        pub = redis.Redis(port=t.port)
        payload = "x" * 10000
        start = time.time()
        received = 0
        for i in range(2000):  # 20 MB: far past the slow one's limit and its socket buffers
            pub.publish("flood", payload)
            # The good subscriber keeps up: never more than 50 messages (500 KB) behind, so
            # only the slow one can pass the 1 MB limit, however loaded the machine.
            while received < i + 1 - 50:
                if good.get_message(timeout=1) is not None:
                    received += 1
            while good.get_message(timeout=0) is not None:
                received += 1
        assert time.time() - start < 30  # the publisher never waited for the slow subscriber
        deadline = time.time() + 10
        while received < 2000 and time.time() < deadline:
            if good.get_message(timeout=1) is not None:
                received += 1
        assert received == 2000, received
        assert redis.Redis(port=t.port).pubsub_numsub("flood") == [(b"flood", 1)]
        # (Not read to the end: a 4 KB receive window drains the server's send buffer slowly.)
        deadline = time.time() + 10
        while "fell more than" not in t.log_text() and time.time() < deadline:
            time.sleep(0.1)
        assert "fell more than" in t.log_text()
        slow.close()



def test_node_clients():
    """ioredis 5/6 and node-redis 4/6, pinned from npm, in their default settings: every message
    on the channel and the pattern, in publish order, and PUBLISH's receiver counts."""
    install_npm(NODE_DIR, NODE_PACKAGES)
    script = os.path.join(HERE, "clients", "node_pubsub.js")
    with Tallyd() as t:
        for lib in NODE_PACKAGES:
            out = subprocess.run(["node", script, lib, str(t.port), "50"], capture_output=True,
                                 text=True, timeout=60,
                                 env=dict(os.environ,
                                          NODE_PATH=os.path.join(NODE_DIR, "node_modules")))
            assert out.returncode == 0, (lib, out.stderr)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            assert got["channel"] == [f"news:m{i}" for i in range(50)], (lib, got)
            assert got["pattern"] == [f"ev:*:ev:{i}:e{i}" for i in range(50)], (lib, got)
            assert got["receivers"] == [1] * 50, (lib, got)

def test_huge_messages():
    """An 8 MB message reaches subscribers intact; a 40 MB one (past the 32 MB pub/sub output
    limit) cuts off the subscribers it cannot reach, as Redis's hard limit does, while the
    publisher, a pattern subscriber on another channel and the keyspace go on."""
    with Tallyd() as t:
        sub = redis.Redis(port=t.port).pubsub()
        sub.subscribe("big")
        assert sub.get_message(timeout=2)["type"] == "subscribe"
        other = redis.Redis(port=t.port).pubsub()
        other.psubscribe("small:*")
        assert other.get_message(timeout=2)["type"] == "psubscribe"
        pub = redis.Redis(port=t.port)
        pub.set("k", "1")
        eight = os.urandom(8 << 20)
        assert pub.publish("big", eight) == 1
        msg = sub.get_message(timeout=30)
        assert msg["type"] == "message" and msg["data"] == eight
        assert pub.publish("big", b"x" * (40 << 20)) == 1  # counted, then cut off
        deadline = time.time() + 20
        while pub.pubsub_numsub("big") != [(b"big", 0)] and time.time() < deadline:
            time.sleep(0.1)
        assert pub.pubsub_numsub("big") == [(b"big", 0)]
        assert pub.publish("small:1", "hello") == 1
        msg = other.get_message(timeout=5)
        assert msg["type"] == "pmessage" and msg["data"] == b"hello"
        assert pub.incr("k") == 2
        sub.close()
        other.close()


if __name__ == "__main__":
    run_tests([test_huge_messages, test_node_clients, test_subscribe_family_replies, test_reset,
               test_pubsub_introspection, test_messages_match_redis, test_order_across_io_threads_and_redis_py,
               test_slow_subscriber_is_cut_off])
