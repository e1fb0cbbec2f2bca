"""Lua scripting (EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT) against Debian's redis-server 7.0,
byte for byte: reply conversions both ways in RESP2 and RESP3, every error text, the sandbox,
shebang flags, BUSY and SCRIPT KILL. Then what only tallyd can get wrong: a script is atomic
against clients on other io threads, runs inside MULTI/EXEC, and its writes are one group (a
SIGKILL keeps all of them or none); SHUTDOWN drops an unkillable script's writes; scripts that
loop or allocate without bound do no harm; real libraries (redis-py Lock, python3-limits)."""
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

import redis

from harness import HERE, RedisServer, Tallyd, encode, exchange, install_npm, run_tests

NODE_DIR = os.path.join(HERE, "..", "..", "build", "node-scripting")
NODE_PACKAGES = {"ioredis": "ioredis@5.11.1", "rate-limiter-flexible": "rate-limiter-flexible@11.4.0"}

# Each runs on one connection after FLUSHALL and SCRIPT FLUSH on both servers.
SEQUENCES = {
    "conversions": [
        ["SET", "str", "abc"], ["EVAL", "return 1", "0"], ["EVAL", "return {1,2,{3,'x'}}", "0"],
        ["EVAL", "return redis.call('incr', KEYS[1])", "1", "k"], ["EVAL", "return 3.99", "0"],
        ["EVAL", "return -3.5", "0"], ["EVAL", "return 9007199254740993", "0"],
        ["EVAL", "return true", "0"], ["EVAL", "return false", "0"], ["EVAL", "return nil", "0"],
        ["EVAL", "return {1,nil,3}", "0"], ["EVAL", "return 'a\\0b'", "0"],
        ["EVAL", "return {err='x'}", "0"], ["EVAL", "return {ok='x\\r\\ny'}", "0"],
        ["EVAL", "local t = {} t[1]=1 t.x=2 return t", "0"], ["EVAL", "return {double=3.5}", "0"],
        ["EVAL", "return {KEYS[1],ARGV[1],ARGV[2]}", "1", "a", "b", "c"],
        ["EVAL", "return {redis.call('ping'), redis.call('get','nokey')}", "0"],
        ["EVAL", "return redis.call('set','n', 1.5)", "0"], ["GET", "n"],
        ["EVAL", "return redis.call('incrbyfloat','fl','1.5')", "0"],
        ["EVAL", "return {redis.pcall('incr','str')}", "0"],
        ["EVAL", "return tostring(redis.call('exists','str'))", "0"],
        ["EVAL", "return redis.call('time')[1] and 1", "0"],
        ["EVAL", "return redis.status_reply('FINE')", "0"],
        ["EVAL", "return redis.error_reply('MY err')", "0"],
        ["EVAL", "return redis.error_reply('noprefix')", "0"],
        ["EVAL", "return redis.error_reply()", "0"], ["EVAL", "return redis.status_reply(1)", "0"],
        ["EVAL", "return redis.sha1hex('')", "0"], ["EVAL", "return cjson.encode({a=1})", "0"],
        ["EVAL", "return cjson.decode('[1,2,3]')", "0"], ["EVAL", "return bit.band(7,3)", "0"],
        ["EVAL", "return string.format('%d', 5)", "0"], ["EVAL", "return table.getn({1,2})", "0"],
        ["EVAL", "return unpack({1,2})", "0"], ["EVAL", "return coroutine.running()", "0"],
        ["EVAL", "return redis.REDIS_VERSION", "0"],
        ["EVAL", "return redis.log(redis.LOG_WARNING, 'hello')", "0"],
        ["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
        ["EVAL", "return redis.replicate_commands()", "0"],
        ["EVAL", "return redis.breakpoint()", "0"], ["EVAL", "return redis.debug('x')", "0"],
        ["EVAL", "return redis.acl_check_cmd('get','x')", "0"],
        ["EVAL", "return pcall(function() return redis.call('nosuch') end)", "0"],
        ["EVAL", "local ok, e = pcall(function() return redis.call('incr','str') end) return e",
         "0"],
        ["EVAL", "redis.call('select','1') return redis.call('incr','sel')", "0"],
        ["INCR", "sel"], ["SELECT", "1"], ["GET", "sel"], ["SELECT", "0"],
        ["EVAL", "return loadstring('return 1+1')()", "0"],
    ],
    "errors": [
        ["SET", "str", "abc"], ["EVAL", "return redis.call('nosuch')", "0"],
        ["EVAL", "return redis.pcall('nosuch')", "0"],
        ["EVAL", "return redis.call('incr','str')", "0"],
        ["EVAL", "return redis.pcall('incr','str')", "0"], ["EVAL", "error('x')", "0"],
        ["EVAL", "error({err='MYERR oops'})", "0"], ["EVAL", "syntax error(", "0"],
        ["EVAL", "return redis.call('incr')", "0"], ["EVAL", "return redis.pcall('incr')", "0"],
        ["EVAL", "return redis.call('get','str', 1.5)", "0"],
        ["EVAL", "return redis.call('set','n', {})", "0"], ["EVAL", "return redis.call()", "0"],
        ["EVAL", "return redis.call('multi')", "0"],
        ["EVAL", "return redis.call('eval','return 1','0')", "0"],
        ["EVAL", "return redis.call('subscribe','x')", "0"],
        ["EVAL", "return redis.call('config','nosuch')", "0"],
        ["EVAL", "return redis.setresp(4)", "0"], ["EVAL", "return redis.sha1hex()", "0"],
        ["EVAL", "return redis.set_repl(99)", "0"], ["EVAL", "return redis.log(1)", "0"],
        ["EVAL", "return redis.log('x', 'y')", "0"], ["EVAL", "return redis.log(9, 'y')", "0"],
        ["EVAL_RO", "return redis.call('set','a','b')", "0"],
        ["EVAL", "return 1", "-1"], ["EVAL", "return 1", "2", "a"], ["EVAL", "return 1", "x"],
        ["EVAL", "return 1"], ["EVALSHA", "0123456789012345678901234567890123456789", "0"],
        ["EVALSHA", "abc", "0"], ["EVAL", "return 1 +", "0"],
        ["EVAL", "local t = nil return t.x", "0"], ["EVAL", "return #nil", "0"],
        ["EVAL", "error()", "0"], ["EVAL", "error(nil)", "0"], ["EVAL", "error(12)", "0"],
        ["EVAL", "local function f() error('deep') end f()", "0"],
    ],
    "sandbox": [
        ["EVAL", "foo = 1", "0"], ["EVAL", "return x", "0"], ["EVAL", "return os", "0"],
        ["EVAL", "return type(io)", "0"], ["EVAL", "return dofile", "0"],
        ["EVAL", "return print", "0"], ["EVAL", "return loadfile", "0"],
        ["EVAL", "return getfenv(1) == _G", "0"], ["EVAL", "return _G.x", "0"],
        ["EVAL", "rawset(_G,'x',1) return x", "0"], ["EVAL", "math = nil", "0"],
        ["EVAL", "string.foo = 1 return 1", "0"], ["EVAL", "redis.foo = 1", "0"],
        ["EVAL", "return require", "0"], ["EVAL", "return package", "0"],
        ["EVAL", "return debug", "0"], ["EVAL", "local a = {} a[1]=a return 1", "0"],
    ],
    "cache_and_flags": [
        ["SCRIPT", "LOAD", "return 'hi'"], ["SCRIPT", "LOAD", "return +"],
        ["SCRIPT", "EXISTS", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3",
         "0123456789012345678901234567890123456789"],
        ["EVALSHA", "2F31BA2BB6D6A0F42CC159D2E2DAD55440778DE3", "0"],
        ["EVALSHA_RO", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"],
        ["EVAL", "return 2", "0"], ["SCRIPT", "EXISTS", "7f923f79fe76194c868d7e1d0820de36700eb649"],
        ["SCRIPT", "FLUSH"], ["SCRIPT", "EXISTS", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3"],
        ["SCRIPT", "FLUSH", "ASYNC"], ["SCRIPT", "FLUSH", "SYNC"], ["SCRIPT", "FLUSH", "x"],
        ["SCRIPT", "KILL"], ["SCRIPT", "FOO"], ["SCRIPT", "EXISTS"], ["SCRIPT", "LOAD"],
        ["SCRIPT", "HELP"], ["SCRIPT"],
        ["EVAL", "#!lua\nreturn 1", "0"],
        ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','1')", "0"],
        ["EVAL", "#!lua flags=no-writes,allow-stale\nreturn redis.call('get','a')", "0"],
        ["EVAL", "#!lua name=x\nreturn 1", "0"], ["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
        ["EVAL", "#!python\nreturn 1", "0"], ["EVAL", "#!lua", "0"],
        ["MULTI"], ["EVAL", "return redis.call('incr','m')", "0"], ["INCR", "m"],
        ["EVAL", "return redis.call('get','m')", "0"], ["EXEC"],
    ],
    "resp3": [
        ["HELLO", "3"], ["EVAL", "return true", "0"], ["EVAL", "return false", "0"],
        ["EVAL", "return nil", "0"], ["EVAL", "return {double=3.5}", "0"],
        ["EVAL", "return {map={a=1}}", "0"], ["EVAL", "return {set={a=true}}", "0"],
        ["EVAL", "return {big_number='123456789012345678901234567890'}", "0"],
        ["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('config','get','databases')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('get','nokey')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('incrbyfloat','f','2.5')", "0"],
        ["EVAL", "redis.setresp(3) return {true, false}", "0"],
        ["EVAL", "redis.setresp(3) local r = redis.call('config','get','databases') "
                 "return r['map']['databases']", "0"],
        ["HELLO", "2"], ["EVAL", "return {map={a=1}}", "0"],
        ["EVAL", "return {set={a=true}}", "0"], ["EVAL", "return {double=0.5}", "0"],
        ["EVAL", "redis.setresp(3) return {true, false}", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('config','get','databases')", "0"],
    ],
}


def reply_bytes(port, commands):
    prefix = encode("FLUSHALL") + encode("SCRIPT", "FLUSH")
    got, closed = exchange(port, prefix + b"".join(encode(*c) for c in commands), timeout=10)
    assert not closed
    got = got[len(b"+OK\r\n+OK\r\n"):]
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"", got)  # HELLO's client id differs


def test_differential():
    with Tallyd() as t, RedisServer() as r:
        for name, commands in SEQUENCES.items():
            want, got = reply_bytes(r.port, commands), reply_bytes(t.port, commands)
            if want != got:
                # Find the first command whose reply differs, for the message.
                for i in range(1, len(commands) + 1):
                    a, b = reply_bytes(r.port, commands[:i]), reply_bytes(t.port, commands[:i])
                    assert a == b, (name, commands[i - 1], a[-300:], b[-300:])
            assert want == got, name


def busy_scenario(port, script, settle=0.6):
    """Runs `script` (which loops) on one connection; meanwhile a second one sends PING (BUSY
    once past the threshold) and SCRIPT KILL. Returns (ping reply, kill reply, script reply)."""
    c = redis.Redis(port=port)
    c.config_set("busy-reply-threshold", "200")
    out = {}

    def run():
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(encode("EVAL", script, "0"))
        s.settimeout(20)
        out["script"] = s.recv(65536)
        s.close()

    th = threading.Thread(target=run)
    th.start()
    time.sleep(settle)
    other = socket.create_connection(("127.0.0.1", port))
    other.settimeout(10)
    other.sendall(encode("PING"))
    ping = other.recv(65536)
    other.sendall(encode("SCRIPT", "KILL"))
    kill = other.recv(65536)
    return ping, kill, th, out


def test_busy_and_script_kill_match_redis():
    with Tallyd() as t, RedisServer() as r:
        results = []
        for port in (r.port, t.port):
            ping, kill, th, out = busy_scenario(port, "local i = 0 while true do i = i + 1 end")
            th.join(20)
            results.append((ping, kill, out["script"]))
            assert redis.Redis(port=port).ping()
        assert results[0] == results[1], results
        assert results[1][0].startswith(b"-BUSY"), results
        assert results[1][1] == b"+OK\r\n"
        assert b"Script killed by user with SCRIPT KILL" in results[1][2]


def test_unkillable_script_and_shutdown_nosave():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.set("before", "1")
        script = "redis.call('set', 'partial', '1') while true do end"
        ping, kill, th, out = busy_scenario(t.port, script)
        assert ping.startswith(b"-BUSY"), ping
        assert kill.startswith(b"-UNKILLABLE Sorry the script already executed write commands"), kill
        s = socket.create_connection(("127.0.0.1", t.port))
        s.sendall(encode("SHUTDOWN", "NOSAVE"))
        assert t.proc.wait(timeout=30) == 0
        th.join(20)
        t.stop()
        t.start()
        c = redis.Redis(port=t.port)
        assert c.get("before") == b"1"
        assert c.get("partial") is None  # the script never finished: none of its writes stay


def test_atomic_against_other_io_threads():
    with Tallyd(extra=["--io-threads", "2"]) as t:
        script = "for i = 1, 300 do redis.call('incr', 'k' .. i) end return 1"
        stop = threading.Event()
        seen = []

        def reader():
            c = redis.Redis(port=t.port)
            while not stop.is_set():
                a, b = c.mget("k1", "k300")
                seen.append((a, b))
                assert a == b, (a, b)

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for th in readers:
            th.start()
        c = redis.Redis(port=t.port)
        sha = c.script_load(script)
        for _ in range(100):
            assert c.evalsha(sha, 0) == 1
        stop.set()
        for th in readers:
            th.join()
        assert c.mget("k1", "k300") == [b"100", b"100"]
        assert len(seen) > 10 and all(a == b for a, b in seen)


def test_script_writes_are_one_group_across_sigkill():
    """Clients run a script that sets 200 keys to one run number while tallyd is SIGKILLed at
    random moments: after each restart the 200 keys all hold the same number."""
    script = "for i = 1, 200 do redis.call('set', 'g' .. i, ARGV[1]) end return 1"
    kills = int(os.environ.get("TALLY_SCRIPT_KILLS", "5"))
    with Tallyd() as t:
        for k in range(kills):
            stop = threading.Event()

            def writer(base):
                c = redis.Redis(port=t.port)
                n = base
                while not stop.is_set():
                    try:
                        c.eval(script, 0, n)
                    except redis.RedisError:
                        return
                    n += 1

            writers = [threading.Thread(target=writer, args=(w * 10**6,)) for w in range(3)]
            for th in writers:
                th.start()
            time.sleep(random.uniform(0.2, 0.8))
            t.kill()
            stop.set()
            for th in writers:
                th.join()
            t.start()
            values = redis.Redis(port=t.port).mget([f"g{i}" for i in range(1, 201)])
            assert len(set(values)) == 1, (k, sorted(set(values), key=str)[:5])


def test_bad_scripts_do_no_harm():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.set("keep", "1")
        for body in ["return string.rep('x', 2^30)",
                     "local s = 'x' while true do s = s .. s end",
                     "local t = {} for i = 1, 1e9 do t[i] = i end"]:
            try:
                c.eval(body, 0)
                raise AssertionError("expected an error for " + body)
            except redis.ResponseError as e:
                assert "not enough memory" in str(e) or "memory" in str(e), (body, str(e))
        # Deep tables and every Lua type as a reply.
        assert c.eval("local t = {} local x = t for i = 1, 5 do x[1] = {} x = x[1] end "
                      "return t", 0) == [[[[[[]]]]]]
        # A table that contains itself: the reply stops at Lua's stack limit with an error.
        got, closed = exchange(t.port, encode("EVAL", "local a = {} a[1] = a return a", "0"))
        assert not closed and got.endswith(b"-ERR reached lua stack limit\r\n"), got[-100:]
        assert c.eval("return {function() end, coroutine.create(function() end), 1}", 0) == \
            [None, None, 1]
        assert c.eval("return redis.call('get', 'keep')", 0) == b"1"
        # A huge argument list and a huge reply.
        big = c.eval("local t = {} for i = 1, 100000 do t[i] = i end return t", 0)
        assert len(big) == 100000 and big[-1] == 100000
        assert c.eval("return #ARGV", 0, *range(10000)) == 10000
        assert c.ping()


def test_redis_py_lock():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        lock = c.lock("res", timeout=5)
        assert lock.acquire(blocking=False)
        assert not c.lock("res", timeout=5).acquire(blocking=False)
        assert lock.extend(10)
        assert 9000 < c.pttl("res") <= 15000
        assert lock.reacquire()
        lock.release()
        assert c.get("res") is None
        try:
            lock.release()
            raise AssertionError("released twice")
        except redis.exceptions.LockError:
            pass
        # Contention from several processes: an unprotected read-modify-write under the lock
        # must lose nothing.
        code = ("import redis, sys, time\n"
                "c = redis.Redis(port=int(sys.argv[1]))\n"
                "for _ in range(40):\n"
                "    with c.lock('counter-lock', timeout=10, blocking_timeout=30):\n"
                "        v = int(c.get('counter') or 0)\n"
                "        time.sleep(0.001)\n"
                "        c.set('counter', v + 1)\n")
        procs = [subprocess.Popen([sys.executable, "-c", code, str(t.port)]) for _ in range(4)]
        assert all(p.wait(timeout=300) == 0 for p in procs)
        assert c.get("counter") == b"160"


def test_python_limits():
    import limits
    import limits.storage
    import limits.strategies
    with Tallyd() as t:
        storage = limits.storage.storage_from_string(f"redis://127.0.0.1:{t.port}")
        assert storage.check()
        for strategy in (limits.strategies.FixedWindowRateLimiter,
                         limits.strategies.FixedWindowElasticExpiryRateLimiter):
            limiter = strategy(storage)
            item = limits.parse("5/minute")
            results = [limiter.hit(item, strategy.__name__) for _ in range(7)]
            assert results == [True] * 5 + [False] * 2, (strategy, results)
            assert not limiter.test(item, strategy.__name__)
            reset, remaining = limiter.get_window_stats(item, strategy.__name__)
            assert remaining == 0 and reset > time.time()
            limiter.clear(item, strategy.__name__)
            assert limiter.hit(item, strategy.__name__)
        assert storage.reset() >= 1  # the clear_keys script


def test_rate_limiter_flexible():
    install_npm(NODE_DIR, NODE_PACKAGES)
    script = os.path.join(HERE, "clients", "rate_limiter_flexible.js")
    with Tallyd() as t:
        out = subprocess.run(["node", script, str(t.port), "user1", "3", "5"], timeout=60,
                             capture_output=True, text=True,
                             env=dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules")))
        assert out.returncode == 0, out.stderr
        lines = [json.loads(line) for line in out.stdout.splitlines()]
        assert [x["ok"] for x in lines[:5]] == [True, True, True, False, False], lines
        assert [x["remaining"] for x in lines[:3]] == [2, 1, 0], lines
        assert 0 < lines[3]["ms"] <= 60000
        assert lines[5] == {"consumed": 5}, lines
        assert 0 < redis.Redis(port=t.port).ttl("rlflx:user1") <= 60


if __name__ == "__main__":
    run_tests([test_differential, test_busy_and_script_kill_match_redis,
               test_unkillable_script_and_shutdown_nosave, test_atomic_against_other_io_threads,
               test_script_writes_are_one_group_across_sigkill, test_bad_scripts_do_no_harm,
               test_redis_py_lock, test_python_limits, test_rate_limiter_flexible])
