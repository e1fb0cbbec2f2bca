"""Damaged files: a truncated or torn WAL tail is dropped and start-up continues (and later
writes append after it); damage in the middle of the log refuses to start with a clear message
rather than silently skipping records."""
import glob
import os
import signal

import redis

from harness import Tallyd, run_tests


def wal_file(t):
    """The newest non-empty segment of Tally's write-ahead log."""
    logs = [p for p in sorted(glob.glob(os.path.join(t.dir, "log", "*.tlog")))
            if os.path.getsize(p) > 0]
    assert logs, os.listdir(os.path.join(t.dir, "log"))
    return logs[-1]


def crash_and_damage(t, damage):
    """Kills the server and calls damage(file, size) on its newest log segment, where size is
    the end of its records."""
    t.kill()
    wal = wal_file(t)
    # The newest segment is preallocated: its records end where its zeros begin.
    with open(wal, "rb") as f:
        size = len(f.read().rstrip(b"\0"))
    assert size > 0, wal
    with open(wal, "r+b") as f:
        damage(f, size)


def write_counters(t, n):
    r = redis.Redis(port=t.port)
    for i in range(n):
        r.incr(f"k{i}")
    return r


def test_torn_tail_is_dropped_and_later_writes_append():
    with Tallyd() as t:
        write_counters(t, 200)
        crash_and_damage(t, lambda f, size: f.truncate(size - 7))  # the last record cut short
        t.start()
        r = redis.Redis(port=t.port)
        values = [r.get(f"k{i}") for i in range(200)]
        assert values[:199] == [b"1"] * 199, values[:5]
        assert values[199] in (None, b"1")
        # Writes after the recovery land after the valid prefix and survive another crash.
        for i in range(200, 300):
            r.incr(f"k{i}")
        t.kill()
        t.start()
        assert [r.get(f"k{i}") for i in range(200, 300)] == [b"1"] * 100
        assert r.get("k0") == b"1"


def test_zeroed_tail_is_dropped():
    with Tallyd() as t:
        write_counters(t, 100)

        def zero_last_sector(f, size):
            # The last sector never reached the disk: it reads back as zeros (an unwritten
            # extent after a power cut), its length unchanged.
            start = (size - 1) // 512 * 512
            f.seek(start)
            f.write(b"\0" * (size - start))

        crash_and_damage(t, zero_last_sector)
        t.start()
        r = redis.Redis(port=t.port)
        values = [r.get(f"k{i}") for i in range(100)]
        # The records in the zeroed sector are gone, everything before it is there: a prefix.
        # A record of this workload is at least 20 bytes, so at most 512 / 20 are lost.
        kept = values.index(None) if None in values else 100
        assert values == [b"1"] * kept + [None] * (100 - kept), values
        assert kept >= 100 - 512 // 20, kept


def test_damage_in_the_middle_refuses_to_start():
    with Tallyd() as t:
        write_counters(t, 300)

        def flip_a_byte(f, size):
            f.seek(size // 3)
            b = f.read(1)
            f.seek(size // 3)
            f.write(bytes([b[0] ^ 0xFF]))

        crash_and_damage(t, flip_a_byte)
        try:
            t.start()
            started = True
        except RuntimeError:
            started = False
        assert not started, "tallyd started on a log damaged in the middle"
        log = t.log_text()
        assert "Corruption" in log and "refuses to start" in log, log[-2000:]
        t.stop(signal.SIGKILL)


if __name__ == "__main__":
    run_tests([test_torn_tail_is_dropped_and_later_writes_append, test_zeroed_tail_is_dropped,
               test_damage_in_the_middle_refuses_to_start])
