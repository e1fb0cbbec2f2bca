"""Crash loop (Jepsen's counter check): clients INCRBY random keys while a ledger records, per
key, what was attempted and what was acknowledged; tallyd is SIGKILLed at a random moment and
restarted, and every key must satisfy acknowledged <= value <= attempted. For each appendfsync
policy. Then the same for lists (RPUSH and LTRIM, every acknowledged push present and in
order), half as many kills, under always and everysec. CI runs TALLY_CRASH_KILLS kills per
policy (default 10, so 30 in all, and 10 for lists); a long run:

    TALLY_CRASH_KILLS=50 TALLY_CRASH_MAX_SECONDS=30 TALLYD=build/tallyd \\
        /usr/bin/python3 tests/integration/test_crash_loop.py

(A process kill cannot show whether tallyd fsyncs at all; the power-loss tests do that.)"""
import os
import random
import threading
import time

import redis

from harness import Tallyd, run_tests

KILLS = int(os.environ.get("TALLY_CRASH_KILLS", "10"))
MAX_SECONDS = float(os.environ.get("TALLY_CRASH_MAX_SECONDS", "1.0"))
KEYS = [f"ctr:{i}" for i in range(20)]
CLIENTS = 4


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.attempted = {k: 0 for k in KEYS}
        self.acked = {k: 0 for k in KEYS}


def client(port, ledger, seed, stop):
    rng = random.Random(seed)
    try:
        r = redis.Redis(port=port, socket_timeout=5)
        while not stop.is_set():
            key, delta = rng.choice(KEYS), rng.randint(1, 5)
            with ledger.lock:
                ledger.attempted[key] += delta
            r.incrby(key, delta)
            with ledger.lock:
                ledger.acked[key] += delta
    except (redis.ConnectionError, redis.TimeoutError):
        pass  # the server was killed: whatever was in flight stays "attempted"


def kill_during(t, rng, targets):
    """Runs one thread per (function, args) in `targets` against tallyd, SIGKILLs it at a
    random moment, lets the threads finish and starts tallyd again."""
    stop = threading.Event()
    threads = [threading.Thread(target=fn, args=args + (stop,)) for fn, args in targets]
    for th in threads:
        th.start()
    time.sleep(rng.uniform(0.1, MAX_SECONDS))
    t.kill()
    stop.set()
    for th in threads:
        th.join()
    t.start()


def crash_loop(policy):
    ledger = Ledger()
    rng = random.Random(policy)
    total_acked = 0
    with Tallyd(extra=["--appendfsync", policy]) as t:
        for kill in range(KILLS):
            kill_during(t, rng, [(client, (t.port, ledger, rng.random())) for _ in range(CLIENTS)])
            r = redis.Redis(port=t.port)
            for k in KEYS:
                v = int(r.get(k) or 0)
                assert ledger.acked[k] <= v <= ledger.attempted[k], (
                    f"{policy} kill {kill}: {k}={v}, acked {ledger.acked[k]}, "
                    f"attempted {ledger.attempted[k]}")
                total_acked += ledger.acked[k]
                # In-doubt increments are settled by what survived: start the next round there.
                ledger.acked[k] = ledger.attempted[k] = v
    print(f"  {policy}: {KILLS} kills survived, every acknowledged increment present")


def list_client(port, key, ledger, stop):
    """RPUSHes 0, 1, 2... to its own list, trimming it to its last 50 every 10 pushes (as a
    moving window does); ledger[key] = [acknowledged pushes, attempted pushes]."""
    try:
        r = redis.Redis(port=port, socket_timeout=5)
        while not stop.is_set():
            n = ledger[key][1]
            ledger[key][1] += 1
            r.rpush(key, n)
            ledger[key][0] += 1
            if n % 10 == 9:
                r.ltrim(key, -50, -1)
    except (redis.ConnectionError, redis.TimeoutError):
        pass


def list_crash_loop(policy):
    """The same for lists: after each kill every list is a run of consecutive numbers ending
    at its last surviving push m - 1, with acknowledged <= m <= attempted."""
    rng = random.Random("list" + policy)
    keys = [f"list:{i}" for i in range(CLIENTS)]
    ledger = {k: [0, 0] for k in keys}
    with Tallyd(extra=["--appendfsync", policy]) as t:
        for kill in range(max(1, KILLS // 2)):
            kill_during(t, rng, [(list_client, (t.port, k, ledger)) for k in keys])
            r = redis.Redis(port=t.port)
            for k in keys:
                items = [int(x) for x in r.lrange(k, 0, -1)]
                acked, attempted = ledger[k]
                m = items[-1] + 1 if items else 0
                assert acked <= m <= attempted, (policy, kill, k, acked, m, attempted)
                assert items == list(range(m - len(items), m)), (policy, kill, k, items)
                assert m == 0 or 0 < len(items) <= 60, (policy, kill, k, len(items))
                ledger[k] = [m, m]  # in-doubt pushes are settled by what survived
    print(f"  lists, {policy}: {max(1, KILLS // 2)} kills survived, every acknowledged push "
          "present and in order")


def make(policy, loop=crash_loop, name="crash_loop"):
    def test():
        loop(policy)
    test.__name__ = f"test_{name}_{policy}"
    return test


if __name__ == "__main__":
    run_tests([make(p) for p in ("always", "everysec", "no")] +
              [make(p, list_crash_loop, "list_crash_loop") for p in ("always", "everysec")])
