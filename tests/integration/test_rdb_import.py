"""Migration from Redis (issue 14): Debian's redis-server 7.0 writes an RDB of 200,000 keys
(integers, binary strings, compressible strings that Redis stores LZF-compressed, TTLs, several
databases) plus hashes, lists, sets, sorted sets, a stream with a consumer group and a function
library in each of their encodings; `tallyd --import-rdb` loads it into an empty directory, and
every string key reads back from tallyd with the same bytes and TTL, in the same database. Keys
of the other types are counted by type in the report. Also the live path: `redis-cli --rdb`
against the running server, then import. Damaged files are refused and leave the directory
empty."""
import os
import random
import shutil
import subprocess
import tempfile
import time

import redis

from harness import TALLYD, RedisServer, Tallyd, run_tests

N_KEYS = 200_000
DBS = (0, 1, 5, 15)


def fill(r0, port):
    """Writes the data set; returns {db: {key: (value, has_ttl)}} for the string keys."""
    rng = random.Random(7)
    expected = {db: {} for db in DBS}
    clients = {db: redis.Redis(port=port, db=db) for db in DBS}
    pipes = {db: c.pipeline(transaction=False) for db, c in clients.items()}
    for i in range(N_KEYS):
        db = DBS[i % len(DBS)] if i % 10 == 0 else 0
        p = pipes[db]
        kind = i % 7
        if kind <= 2:  # integers: small, negative, 64-bit
            key, value = f"n:{i}", str([i, -i, (1 << 62) + i][kind])
        elif kind == 3:  # binary bytes, keys too
            key = b"b:" + rng.randbytes(rng.randint(0, 12)) + str(i).encode()
            value = rng.randbytes(rng.randint(0, 60))
        elif kind == 4:  # compressible: stored LZF-compressed (rdbcompression yes)
            key, value = f"z:{i}", ("abc%d" % (i % 10)) * rng.randint(6, 200)
        else:
            key, value = f"s:{i}", f"v{i}"
        key = key if isinstance(key, bytes) else key.encode()
        value = value if isinstance(value, bytes) else value.encode()
        ttl = i % 9 == 0
        if ttl:
            p.set(key, value, px=3_600_000 + i)
        else:
            p.set(key, value)
        expected[db][key] = (value, ttl)
        if len(p) >= 5000:
            p.execute()
    big = b"x" * 100_000 + b"tail"  # one large compressible value
    pipes[1].set("big", big)
    expected[1][b"big"] = (big, False)
    pipes[5].set("empty", "")
    expected[5][b"empty"] = (b"", False)
    for p in pipes.values():
        p.execute()
    # Other types, in each of their encodings.
    r0.hset("h:small", mapping={"a": 1, "b": 2})
    r0.hset("h:big", mapping={f"f{i}": i for i in range(300)})
    r0.rpush("l:small", *range(5))
    r0.rpush("l:big", *[f"item{i}" * 20 for i in range(2000)])
    r0.rpush("l:ints", *[-70000, -200, 0, 7, 127, 128, 5000, 2**40, -2**63, 2**63 - 1, "x" * 70])
    r0.rpush("l:ttl", "a", "b")
    r0.pexpire("l:ttl", 3_600_000)
    r0.sadd("set:int", *range(10))
    r0.sadd("set:str", *[f"m{i}" for i in range(300)])
    r0.zadd("zs:small", {"a": 1.5, "b": 2})
    r0.zadd("zs:big", {f"m{i}": i / 3 for i in range(300)})
    r0.xadd("stream", {"f": "v"})
    r0.xadd("stream", {"f": "w"})
    r0.xgroup_create("stream", "g", id="0")
    r0.xreadgroup("g", "consumer", {"stream": ">"}, count=1)
    r0.function_load("#!lua name=tallylib\nredis.register_function('f', function() return 1 end)")
    # Keys that expire between the dumps and the import: Redis writes them (its active expiry
    # is off, so it cannot delete them first), the import drops them.
    for i in range(50):
        r0.set(f"soon:{i}", "x", px=300)
    return expected


LISTS = {
    "l:small": [str(i).encode() for i in range(5)],
    "l:big": [(f"item{i}" * 20).encode() for i in range(2000)],
    "l:ints": [str(v).encode() for v in (-70000, -200, 0, 7, 127, 128, 5000, 2**40, -2**63,
                                          2**63 - 1)] + [b"x" * 70],
    "l:ttl": [b"a", b"b"],
}


def import_rdb(rdb, target):
    return subprocess.run([TALLYD, "--import-rdb", rdb, "--dir", target], capture_output=True,
                          text=True, timeout=600)


def check(expected, target):
    with Tallyd(data_dir=target) as t:
        for db, keys in expected.items():
            c = redis.Redis(port=t.port, db=db)
            names = list(keys)
            lists = len(LISTS) if db == 0 else 0
            assert c.dbsize() == len(names) + lists, (db, c.dbsize(), len(names))
            for start in range(0, len(names), 2000):
                chunk = names[start:start + 2000]
                assert c.mget(chunk) == [keys[k][0] for k in chunk], (db, start)
                p = c.pipeline(transaction=False)
                for k in chunk:
                    p.pttl(k)
                for k, ttl in zip(chunk, p.execute()):
                    if keys[k][1]:
                        assert 3_000_000 < ttl <= 3_600_000 + N_KEYS, (k, ttl)
                    else:
                        assert ttl == -1, (k, ttl)
        # Lists come in element for element (Redis packs small integers: they come back as
        # the same decimal text), with their TTLs.
        c = redis.Redis(port=t.port)
        for key, items in LISTS.items():
            assert c.type(key) == b"list" and c.lrange(key, 0, -1) == items, key
        assert 3_000_000 < c.pttl("l:ttl") <= 3_600_000 and c.ttl("l:big") == -1
        # An imported counter counts on.
        assert c.incr("n:0") == 1


def test_import_of_a_redis_rdb_and_of_redis_cli_rdb():
    with RedisServer(extra=["--save", "", "--enable-debug-command", "yes"]) as rs:
        r = redis.Redis(port=rs.port)
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        expected = fill(r, rs.port)
        assert r.save()
        saved = os.path.join(tempfile.mkdtemp(), "dump.rdb")
        shutil.copy(os.path.join(rs.dir, "dump.rdb"), saved)
        live = os.path.join(tempfile.mkdtemp(), "live.rdb")
        out = subprocess.run(["redis-cli", "-p", str(rs.port), "--rdb", live],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    time.sleep(0.4)  # the soon:* keys expire
    for rdb in (saved, live):
        target = tempfile.mkdtemp(prefix="tally-import-")
        out = import_rdb(rdb, target)
        assert out.returncode == 0, out.stderr
        report = out.stdout
        strings = sum(len(k) for k in expected.values())
        for line in (f"string keys imported: {strings}\n",
                     f"list keys imported: {len(LISTS)}\n",
                     "keys already expired (not imported): 50\n",
                     "hash keys not imported (not a type Tally has): 2\n",
                     "set keys not imported (not a type Tally has): 2\n",
                     "zset keys not imported (not a type Tally has): 2\n",
                     "stream keys not imported (not a type Tally has): 1\n",
                     "function libraries not imported: 1\n"):
            assert line in report, (line, report)
        check(expected, target)
        shutil.rmtree(target)


def test_damaged_or_foreign_files_are_refused_and_leave_the_directory_empty():
    with RedisServer(extra=["--save", ""]) as rs:
        r = redis.Redis(port=rs.port)
        for i in range(1000):
            r.set(f"k{i}", f"value-{i}" * 3)
        r.save()
        good = open(os.path.join(rs.dir, "dump.rdb"), "rb").read()
    work = tempfile.mkdtemp()
    cases = {
        "truncated": good[: len(good) // 2],
        "flipped": good[:200] + bytes([good[200] ^ 0x10]) + good[201:],  # checksum catches it
        "not-rdb": b"hello world, not an RDB file",
        "future": b"REDIS0012" + good[9:],
    }
    for name, data in cases.items():
        path = os.path.join(work, name)
        open(path, "wb").write(data)
        target = tempfile.mkdtemp(prefix="tally-import-")
        out = import_rdb(path, target)
        assert out.returncode == 1, (name, out.stdout)
        assert "import of" in out.stderr and "failed" in out.stderr, (name, out.stderr)
        assert os.listdir(target) == [], (name, os.listdir(target))
    # Into a directory that already holds data: refused.
    target = tempfile.mkdtemp(prefix="tally-import-")
    open(os.path.join(work, "good"), "wb").write(good)
    assert import_rdb(os.path.join(work, "good"), target).returncode == 0
    out = import_rdb(os.path.join(work, "good"), target)
    assert out.returncode == 1 and "is not empty" in out.stderr, out
    # A database number past `databases`.
    out = subprocess.run([TALLYD, "--import-rdb", os.path.join(work, "good"), "--dir",
                          tempfile.mkdtemp(), "--databases", "1"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr  # every key is in db 0
    with RedisServer(extra=["--save", ""]) as rs:
        redis.Redis(port=rs.port, db=3).set("x", "1")
        redis.Redis(port=rs.port).save()
        shutil.copy(os.path.join(rs.dir, "dump.rdb"), os.path.join(work, "db3"))
    out = subprocess.run([TALLYD, "--import-rdb", os.path.join(work, "db3"), "--dir",
                          tempfile.mkdtemp(), "--databases", "2"], capture_output=True, text=True)
    assert out.returncode == 1 and "database 3 but databases is 2" in out.stderr, out.stderr


if __name__ == "__main__":
    run_tests([
        test_import_of_a_redis_rdb_and_of_redis_cli_rdb,
        test_damaged_or_foreign_files_are_refused_and_leave_the_directory_empty,
    ])
