"""The client scenario for Debian's python3-redis: python_client.py <port> <password> <db>
<parser: hiredis|python>. Uses the default pipeline() (a MULTI/EXEC transaction)."""
import sys

import redis
from redis.connection import HiredisParser, PythonParser

port, password, db, parser = int(sys.argv[1]), sys.argv[2] or None, int(sys.argv[3]), sys.argv[4]
pool = redis.ConnectionPool(port=port, password=password, db=db,
                            parser_class=HiredisParser if parser == "hiredis" else PythonParser)
r = redis.Redis(connection_pool=pool, retry_on_error=[redis.ConnectionError])
assert r.incr("c") == 1
assert r.incrby("c", 10) == 11
assert r.decr("c") == 10
assert r.set("s", "v", ex=100) is True
assert r.get("s") == b"v"
assert r.mset({"a": "1", "b": "2"}) is True
assert r.mget("a", "b", "nokey") == [b"1", b"2", None]
assert r.delete("a") == 1
assert r.pipeline().incr("t").incr("t").execute() == [1, 2]
p = r.pipeline(transaction=False)
for _ in range(1000):
    p.incr("p")
assert p.execute()[-1] == 1000
print("PHASE1 OK", flush=True)
sys.stdin.readline()
pool.disconnect()  # the old sockets are dead: the pool opens new ones
assert r.get("c") == b"10"
assert r.get("p") == b"1000"
assert r.get("t") == b"2"
assert r.incr("c") == 11
print("PHASE2 OK", flush=True)
