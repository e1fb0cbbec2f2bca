"""Many clients incrementing the same keys at once lose no increment: 50 clients x 1,000 INCR on
one key, then on 100 keys; the totals are exact, and still exact after a SIGKILL and restart."""
import threading

import redis

from harness import Tallyd, run_tests

CLIENTS = 50
PER_CLIENT = 1000


def hammer(port, key_for):
    errors = []

    def worker(n):
        try:
            r = redis.Redis(port=port)
            for i in range(PER_CLIENT):
                r.incr(key_for(n, i))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_same_key():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        hammer(t.port, lambda n, i: "hot")
        r = redis.Redis(port=t.port)
        assert int(r.get("hot")) == CLIENTS * PER_CLIENT
        t.kill()
        t.start()
        assert int(r.get("hot")) == CLIENTS * PER_CLIENT


def test_hundred_keys():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        hammer(t.port, lambda n, i: f"key:{(n * PER_CLIENT + i) % 100}")
        r = redis.Redis(port=t.port)
        values = [int(r.get(f"key:{k}")) for k in range(100)]
        assert values == [CLIENTS * PER_CLIENT // 100] * 100, values
        t.kill()
        t.start()
        assert sum(int(r.get(f"key:{k}")) for k in range(100)) == CLIENTS * PER_CLIENT
        assert r.dbsize() == 100


if __name__ == "__main__":
    run_tests([test_same_key, test_hundred_keys])
