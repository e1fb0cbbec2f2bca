"""Backups and restore (issue 14): SAVE, BGSAVE, LASTSAVE and INFO persistence's rdb_* fields
as Redis has them; `tallyd --restore BACKUP --dir DIR` fills an empty directory, and tallyd
started on it holds exactly the state of the snapshot. A backup taken during a write flood
restores to a state that existed (a prefix of the log in LSN order). Real tallyd, redis-py,
redis-cli; the reply bytes of the argument errors are compared with Debian's redis-server."""
import os
import subprocess
import tempfile
import threading
import time

import redis

from harness import TALLYD, RedisServer, Tallyd, encode, exchange, run_tests


def info(r):
    return r.info("persistence")


def backups_of(t, root=None):
    root = root or os.path.join(t.dir, "backups")
    return sorted(os.path.join(root, d) for d in os.listdir(root)) if os.path.isdir(root) else []


def restore(backup, target):
    return subprocess.run([TALLYD, "--restore", backup, "--dir", target], capture_output=True,
                          text=True, timeout=120)


def start_on(target):
    return Tallyd(data_dir=target)  # started by `with`


def test_save_restores_exactly_the_saved_state():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        before = r.lastsave()
        assert info(r)["rdb_saves"] == 0
        r.set("plain", "10")
        r.set(b"bin\x00\xff", b"\x00\x01\xfe\r\n")
        r.set("ttl", "5", ex=1000)
        for i in range(2000):
            r.incrby(f"n{i}", i)
        r3 = redis.Redis(port=t.port, db=3)
        r3.set("in-db3", "3")
        r3.set("gone", "x")
        r3.delete("gone")
        assert info(r)["rdb_changes_since_last_save"] > 2000
        time.sleep(1.1)  # LASTSAVE has second resolution
        assert r.save() is True
        after = info(r)
        assert after["rdb_saves"] == 1
        assert after["rdb_last_bgsave_status"] == "ok"
        assert after["rdb_changes_since_last_save"] == 0
        assert r.lastsave() > before
        [backup] = backups_of(t)
        assert after["tally_last_backup"] == backup
        # Writes after the backup are not in it.
        r.set("later", "1")
        r.incr("plain")
        r3.delete("in-db3")
        assert info(r)["rdb_changes_since_last_save"] == 3
        target = tempfile.mkdtemp(prefix="tally-restore-")
        out = restore(backup, target)
        assert out.returncode == 0, out.stderr
        assert "restored" in out.stdout
        with start_on(target) as t2:
            q = redis.Redis(port=t2.port)
            q3 = redis.Redis(port=t2.port, db=3)
            assert q.get("plain") == b"10"
            assert q.get(b"bin\x00\xff") == b"\x00\x01\xfe\r\n"
            assert 990 < q.ttl("ttl") <= 1000
            assert q.get("later") is None
            assert q.dbsize() == 2003
            assert [int(q.get(f"n{i}")) for i in range(0, 2000, 97)] == list(range(0, 2000, 97))
            assert q3.get("in-db3") == b"3" and q3.get("gone") is None and q3.dbsize() == 1
            q.incr("plain")  # and it is a working server
            assert q.get("plain") == b"11"


def test_bgsave_during_a_write_flood_restores_a_state_that_existed():
    with Tallyd() as t:
        stop = threading.Event()
        acked = {}

        def ordered():
            # x then y, each acknowledged before the next: any prefix of the log has
            # x == y or x == y + 1.
            c = redis.Redis(port=t.port)
            n = 0
            while not stop.is_set():
                n += 1
                assert c.incr("x") == n
                assert c.incr("y") == n
            acked["ordered"] = n

        def flood(i):
            c = redis.Redis(port=t.port)
            p = c.pipeline(transaction=False)
            while not stop.is_set():
                for j in range(50):
                    p.incr(f"f{i}:{j % 7}")
                p.execute()

        threads = [threading.Thread(target=ordered)] + [
            threading.Thread(target=flood, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        r = redis.Redis(port=t.port)
        time.sleep(0.5)
        x_before = int(r.get("x"))
        assert r.bgsave() is True
        deadline = time.time() + 60
        while info(r)["rdb_bgsave_in_progress"] and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        for th in threads:
            th.join()
        assert info(r)["rdb_last_bgsave_status"] == "ok"
        [backup] = backups_of(t)
        target = tempfile.mkdtemp(prefix="tally-restore-")
        out = restore(backup, target)
        assert out.returncode == 0, out.stderr
        with start_on(target) as t2:
            q = redis.Redis(port=t2.port)
            x, y = int(q.get("x")), int(q.get("y"))
            assert x in (y, y + 1), (x, y)
            # Everything acknowledged before BGSAVE is in it; it stops before the end.
            assert x_before <= x < acked["ordered"], (x_before, x, acked["ordered"])


def test_second_backup_while_one_runs_is_refused_like_redis():
    # The applier is slowed so that the backup, which waits for every acknowledged write to be
    # applied, is still running when the next request comes.
    with Tallyd(extra=["--debug-apply-delay-ms", "800"]) as t:
        r = redis.Redis(port=t.port)
        r.incr("k")
        assert exchange(t.port, encode("BGSAVE"))[0] == b"+Background saving started\r\n"
        assert exchange(t.port, encode("BGSAVE"))[0] == (
            b"-ERR Background save already in progress\r\n")
        assert exchange(t.port, encode("SAVE"))[0] == (
            b"-ERR Background save already in progress\r\n")
        assert info(r)["rdb_bgsave_in_progress"] == 1
        deadline = time.time() + 30
        while info(r)["rdb_bgsave_in_progress"] and time.time() < deadline:
            time.sleep(0.05)
        assert exchange(t.port, encode("BGSAVE", "SCHEDULE"))[0] == (
            b"+Background saving started\r\n")
        # Shutdown waits for the running backup; both are whole.
        t.stop()
        assert len(backups_of(t)) == 2
        for b in backups_of(t):
            assert os.path.exists(os.path.join(b, "TALLY_BACKUP"))


def test_backup_dir_option_and_failures():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        root = tempfile.mkdtemp(prefix="tally-backups-")
        r.config_set("backup-dir", os.path.join(root, "nested"))
        assert r.config_get("backup-dir") == {"backup-dir": os.path.join(root, "nested")}
        r.set("a", "1")
        assert r.save() is True
        [backup] = backups_of(t, os.path.join(root, "nested"))
        # A backup root that cannot be created: SAVE fails with the reason, status err.
        r.config_set("backup-dir", "/proc/no-such/dir")
        try:
            r.save()
            raise AssertionError("SAVE into /proc succeeded")
        except redis.ResponseError as e:
            assert str(e).startswith("backup failed: "), e
        assert info(r)["rdb_last_bgsave_status"] == "err"
        assert info(r)["rdb_saves"] == 1
        # Restore refuses a non-empty directory and a directory that is not a backup.
        out = restore(backup, t.dir)
        assert out.returncode == 1 and "is not empty" in out.stderr, out
        out = restore(root, tempfile.mkdtemp())
        assert out.returncode == 1 and "is not a Tally backup" in out.stderr, out


def test_argument_errors_match_redis():
    cases = [encode("BGSAVE", "now"), encode("BGSAVE", "schedule", "x"), encode("SAVE", "x"),
             encode("LASTSAVE", "x")]
    with Tallyd() as t, RedisServer() as rs:
        for c in cases:
            assert exchange(t.port, c) == exchange(rs.port, c), c
        # LASTSAVE is an integer (the start time until the first save) in both.
        for port in (t.port, rs.port):
            reply = exchange(port, encode("LASTSAVE"))[0]
            assert reply.startswith(b":") and abs(int(reply[1:]) - time.time()) < 120


if __name__ == "__main__":
    run_tests([
        test_save_restores_exactly_the_saved_state,
        test_bgsave_during_a_write_flood_restores_a_state_that_existed,
        test_second_backup_while_one_runs_is_refused_like_redis,
        test_backup_dir_option_and_failures,
        test_argument_errors_match_redis,
    ])
