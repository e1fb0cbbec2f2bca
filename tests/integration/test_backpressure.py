"""Back-pressure: with applying slowed down by the test hook (debug-apply-delay-ms), a flood of
writes from several clients is held to apply-max-pending-bytes (INFO's tally_apply_pending_bytes,
sampled throughout, never passes the bound by more than one append per writer; writers are
counted waiting), nothing is lost (after SIGKILL and a restart every key is there), and the log
is replayed to bring RocksDB up to date."""
import threading
import time

import redis

from harness import Tallyd, run_tests

BOUND = 256 * 1024
WRITERS = 8
KEYS_PER_WRITER = 1500
VALUE = b"v" * 1000


def info(r):
    return r.info("persistence")


def writer(port, w, errors):
    try:
        r = redis.Redis(port=port, socket_timeout=60)
        for start in range(0, KEYS_PER_WRITER, 50):
            p = r.pipeline(transaction=False)
            for i in range(start, start + 50):
                p.set(f"w{w}:{i}", VALUE + str(i).encode())
            p.execute()
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append(e)


def test_writer_flood_is_held_to_the_bound_and_nothing_is_lost():
    extra = ["--apply-max-pending-bytes", str(BOUND), "--debug-apply-delay-ms", "30",
             "--appendfsync", "everysec"]
    with Tallyd(extra=extra) as t:
        r = redis.Redis(port=t.port)
        samples = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(info(r)["tally_apply_pending_bytes"])
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        errors = []
        threads = [threading.Thread(target=writer, args=(t.port, w, errors))
                   for w in range(WRITERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=300)
        done.set()
        sampler.join()
        assert not errors, errors
        stats = info(r)
        assert stats["tally_apply_writer_waits"] > 0, stats
        slack = WRITERS * 2 * (len(VALUE) + 200)
        assert max(samples) <= BOUND + slack, (max(samples), BOUND + slack)
        assert max(samples) > BOUND // 2, max(samples)  # the flood did reach the bound
        t.kill()
        t.start()
        r = redis.Redis(port=t.port)
        assert r.dbsize() == WRITERS * KEYS_PER_WRITER
        for w in range(WRITERS):
            for i in (0, KEYS_PER_WRITER // 2, KEYS_PER_WRITER - 1):
                assert r.get(f"w{w}:{i}") == VALUE + str(i).encode(), (w, i)
        assert "log records replayed" in t.log_text()


if __name__ == "__main__":
    run_tests([test_writer_flood_is_held_to_the_bound_and_nothing_is_lost])
