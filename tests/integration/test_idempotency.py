"""Retry-safe increments under crashes (issue 13): clients send INCREX ... IDMP <id> and retry
each logical increment with the same id until they get a reply, reconnecting as needed, while
tallyd is SIGKILLed and restarted in a loop. Afterwards the ledger must show every logical
increment applied exactly once: the counter equals the sum of all increments, every reply
reports the increment as applied, and a final retry of every id changes nothing. For each
appendfsync policy. TALLY_IDMP_KILLS kills per policy (default 8)."""
import os
import random
import threading
import time

import redis

from harness import Tallyd, run_tests

KILLS = int(os.environ.get("TALLY_IDMP_KILLS", "8"))
CLIENTS = 4


def amount(worker, i):
    return (worker * 7919 + i * 31) % 9 + 1


def client(port, worker, replies, retried, stop, done):
    rng = random.Random(worker)
    i = 0
    r = None
    while not stop.is_set():  # each logical increment is finished before stopping
        try:
            if r is None:
                r = redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=1)
            reply = r.execute_command("INCREX", "ledger", "BYINT", amount(worker, i), "IDMP",
                                      f"w{worker}-op{i}")
            replies[(worker, i)] = reply
            i += 1
            if rng.random() < 0.02:  # now and then, a retry that is not needed
                again = r.execute_command("INCREX", "ledger", "BYINT", amount(worker, i - 1),
                                          "IDMP", f"w{worker}-op{i - 1}")
                assert again == reply, (again, reply)
        except (redis.ConnectionError, redis.TimeoutError):
            r = None  # the server is down or restarting: retry the same id
            retried.add((worker, i))
            time.sleep(0.02)
    done.set()


def run(policy):
    rng = random.Random(policy)
    with Tallyd(extra=["--appendfsync", policy]) as t:
        replies, retried = {}, set()
        stop = threading.Event()
        done = [threading.Event() for _ in range(CLIENTS)]
        threads = [threading.Thread(target=client, args=(t.port, w, replies, retried, stop, done[w]))
                   for w in range(CLIENTS)]
        for th in threads:
            th.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.05, 0.5))
            t.kill()
            time.sleep(rng.uniform(0, 0.1))  # clients retry into a closed port meanwhile
            t.start()
        time.sleep(0.2)
        stop.set()
        for th in threads:
            th.join(timeout=120)
        assert all(d.is_set() for d in done), "clients did not finish"
        c = redis.Redis(port=t.port)
        expected = sum(amount(w, i) for (w, i) in replies)
        value = int(c.get("ledger"))
        assert value == expected, (policy, value, expected)
        for (w, i), (_, applied) in replies.items():
            assert applied == amount(w, i), (w, i, applied)
        # Every id, retried once more after everything: the first reply, nothing applied.
        for (w, i), reply in replies.items():
            assert c.execute_command("INCREX", "ledger", "BYINT", amount(w, i), "IDMP",
                                     f"w{w}-op{i}") == reply
        assert int(c.get("ledger")) == expected
        print(f"  {policy}: {KILLS} kills, {len(replies)} increments ({len(retried)} retried "
              f"after a lost connection), value {value}", flush=True)


def test_exactly_once_always():
    run("always")


def test_exactly_once_everysec():
    run("everysec")


if __name__ == "__main__":
    run_tests([test_exactly_once_always, test_exactly_once_everysec])
