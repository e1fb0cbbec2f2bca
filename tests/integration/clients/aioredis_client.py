"""The client scenario for Debian's python3-aioredis (1.3, asyncio): aioredis_client.py <port>
<password> <db>."""
import asyncio
import sys

import aioredis


async def main(port, password, db):
    r = await aioredis.create_redis_pool(f"redis://localhost:{port}", db=db,
                                         password=password or None)
    assert await r.incr("c") == 1
    assert await r.incrby("c", 10) == 11
    assert await r.decr("c") == 10
    assert await r.set("s", "v", expire=100) is True
    assert await r.get("s") == b"v"
    assert await r.mset("a", "1", "b", "2") is True
    assert await r.mget("a", "b", "nokey") == [b"1", b"2", None]
    assert await r.delete("a") == 1
    tr = r.multi_exec()
    f1, f2 = tr.incr("t"), tr.incr("t")
    assert await tr.execute() == [1, 2]
    assert await f1 == 1 and await f2 == 2
    p = r.pipeline()
    futures = [p.incr("p") for _ in range(1000)]
    results = await p.execute()
    assert results[-1] == 1000 and await futures[-1] == 1000
    print("PHASE1 OK", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for attempt in range(50):  # the pool drops dead connections and opens new ones
        try:
            assert await r.get("c") == b"10"
            break
        except (aioredis.ConnectionClosedError, ConnectionError, OSError):
            if attempt == 49:
                raise
            await asyncio.sleep(0.1)
    assert await r.get("p") == b"1000"
    assert await r.get("t") == b"2"
    assert await r.incr("c") == 11
    print("PHASE2 OK", flush=True)
    r.close()
    await r.wait_closed()


asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
