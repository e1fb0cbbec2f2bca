"""Functions (FUNCTION LOAD DELETE FLUSH LIST STATS KILL DUMP RESTORE HELP, FCALL FCALL_RO)
against Debian's redis-server 7.0, byte for byte; DUMP payloads restored across the two servers
both ways; libraries surviving restarts and SIGKILL; FUNCTION KILL and STATS while a function
is busy."""
import socket
import threading
import time

import redis

from harness import RedisServer, Tallyd, encode, exchange, run_tests

LIB = ("#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) "
       "return redis.call('incr', keys[1]) end)")
RO_LIB = ("#!lua name=rolib\nredis.register_function{function_name='ro', callback="
          "function(keys, args) return args[1] end, flags={'no-writes'}, description='echo'}")

SEQUENCE = [
    ["FUNCTION", "LOAD", LIB], ["FUNCTION", "LOAD", LIB], ["FUNCTION", "LOAD", "REPLACE", LIB],
    ["FUNCTION", "LOAD", "BOGUS", LIB], ["FUNCTION", "LOAD", "REPLACE"],
    ["FUNCTION", "LIST"], ["FUNCTION", "LIST", "WITHCODE"],
    ["FUNCTION", "LOAD", RO_LIB], ["FCALL", "myfunc", "1", "k"], ["FCALL", "myfunc", "1", "k"],
    ["FCALL_RO", "ro", "0", "hello"], ["FCALL_RO", "myfunc", "1", "k"], ["FCALL", "nosuch", "0"],
    ["FCALL", "myfunc", "x"], ["FCALL", "myfunc", "5", "a"], ["FCALL", "myfunc", "-1"],
    # (Two libraries list in Redis's hash order: one at a time.)
    ["FUNCTION", "LIST", "LIBRARYNAME", "my*"], ["FUNCTION", "LIST", "LIBRARYNAME", "zz*"],
    ["FUNCTION", "LIST", "withcode", "LIBRARYNAME", "RO*"], ["FUNCTION", "LIST", "FOO"],
    ["FUNCTION", "LIST", "LIBRARYNAME"], ["FUNCTION", "STATS"],
    ["FUNCTION", "LOAD", "return 1"], ["FUNCTION", "LOAD", "#!lua\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"],
    ["FUNCTION", "LOAD", "#!py name=x\nreturn 1"], ["FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', 5)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function(5, function() end)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f')"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end, 3)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('myfunc', function() end)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a b', function() end)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end) "
                         "redis.register_function('f', function() end)"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', "
                         "callback=function() end, flags={'bogus'}}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', "
                         "callback=function() end, flags=1}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{callback=function() end}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f'}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', "
                         "callback=function() end, bogus=1}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', "
                         "callback=function() end, description=1}"],
    ["FUNCTION", "LOAD", "#!lua name=x\nsyntax error"],
    ["FUNCTION", "LOAD", "#!lua name=x\nerror('boom')"],
    ["FUNCTION", "LOAD", "#!lua name=x\nx = 1"],
    ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f2', function(k, a) "
                         "return {k, a} end)"],
    ["FCALL", "f2", "2", "a", "b", "c"], ["FUNCTION", "DELETE", "x"],
    ["FUNCTION", "DELETE", "x"], ["FCALL", "f2", "0"],
    ["FUNCTION", "KILL"], ["FUNCTION", "FLUSH", "x"], ["FUNCTION", "FOO"], ["FUNCTION"],
    ["FUNCTION", "LOAD", "#!lua name=g\nredis.register_function('gf', function(k, a) "
                         "return redis.call('set', k[1], a[1]) end)"],
    ["FCALL_RO", "gf", "1", "a", "b"], ["FCALL", "gf", "1", "a", "b"], ["GET", "a"],
    ["FUNCTION", "LOAD", "#!lua name=h\nlocal x = 1\nredis.register_function('hf', "
                         "function() return x end)"], ["FCALL", "hf", "0"],
    ["FUNCTION", "LOAD", "#!lua name=i\nredis.register_function('if1', function() "
                         "return foo end)"], ["FCALL", "if1", "0"],
    ["FUNCTION", "LOAD", "#!lua name=j\nredis.register_function('jf', function() "
                         "error('bad') end)"], ["FCALL", "jf", "0"],
    ["FUNCTION", "LOAD", "#!lua name=k\nredis.register_function('kf', function() "
                         "return redis.call('nosuch') end)"], ["FCALL", "kf", "0"],
    ["FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('lf', function(k) "
                         "return KEYS end)"], ["FCALL", "lf", "0"],
    ["EVAL", "return redis.call('fcall', 'hf', '0')", "0"],
    ["FUNCTION", "RESTORE", "bad"], ["FUNCTION", "RESTORE", "x", "BOGUS"],
    ["FUNCTION", "HELP"], ["FUNCTION", "FLUSH"], ["FUNCTION", "LIST"], ["FCALL", "hf", "0"],
    ["FUNCTION", "LOAD", RO_LIB], ["FUNCTION", "LIST"],
]


def test_differential():
    with Tallyd() as t, RedisServer() as r:
        data = b"".join(encode(*c) for c in SEQUENCE)
        want, got = exchange(r.port, data, timeout=10)[0], exchange(t.port, data, timeout=10)[0]
        if want != got:
            for i in range(1, len(SEQUENCE) + 1):
                part = b"".join(encode(*c) for c in SEQUENCE[:i])
                a, b = exchange(r.port, encode("FUNCTION", "FLUSH") + part)[0], \
                    exchange(t.port, encode("FUNCTION", "FLUSH") + part)[0]
                assert a == b, (SEQUENCE[i - 1], a[-300:], b[-300:])
        assert want == got


def test_dump_and_restore_across_servers():
    with Tallyd() as t, RedisServer() as r:
        rc, tc = redis.Redis(port=r.port), redis.Redis(port=t.port)
        long_lib = LIB.replace("mylib", "big") .replace("myfunc", "bigf") + "\n--" + "x" * 500
        for code in (LIB, RO_LIB, long_lib):  # Redis compresses the long one with LZF
            rc.function_load(code)
        assert tc.function_restore(rc.function_dump())
        assert tc.fcall("bigf", 1, "n") == 1 and tc.fcall_ro("ro", 0, "x") == b"x"
        try:
            tc.function_restore(rc.function_dump())
            raise AssertionError("APPEND over existing libraries")
        except redis.ResponseError as e:
            assert "already exists" in str(e), e
        assert tc.function_restore(rc.function_dump(), "REPLACE")
        rc.function_flush()
        assert rc.function_restore(tc.function_dump())  # and back into Redis
        assert sorted(lib[b"library_name"] if isinstance(lib, dict) else lib[1]
                      for lib in rc.function_list()) == [b"big", b"mylib", b"rolib"]
        payload = tc.function_dump()
        for bad in (payload[:-1] + bytes([payload[-1] ^ 1]), payload[:5], b""):
            try:
                tc.function_restore(bad, "FLUSH")
                raise AssertionError("a damaged payload was restored")
            except redis.ResponseError as e:
                assert str(e) == "DUMP payload version or checksum are wrong", e
        assert tc.fcall("myfunc", 1, "n") == 2  # nothing was flushed by the failures


def test_libraries_survive_restart_and_sigkill():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.function_load(LIB)
        c.function_load(RO_LIB)
        c.function_load(RO_LIB.replace("rolib", "gone").replace("'ro'", "'gone_f'"))
        c.function_delete("gone")
        t.kill()
        t.start()
        c = redis.Redis(port=t.port)
        assert c.fcall("myfunc", 1, "n") == 1
        assert c.fcall_ro("ro", 0, "y") == b"y"
        try:
            c.fcall("gone_f", 0)
            raise AssertionError("a deleted library came back")
        except redis.ResponseError as e:
            assert str(e) == "Function not found"
        c.script_flush()  # SCRIPT FLUSH keeps the libraries
        assert c.fcall("myfunc", 1, "n") == 2
        c.function_flush()
        t.restart()
        assert redis.Redis(port=t.port).function_list() == []
        assert redis.Redis(port=t.port).dbsize() == 1  # libraries are not keys


def test_busy_function_stats_and_kill():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.config_set("busy-reply-threshold", "200")
        c.function_load("#!lua name=spin\nredis.register_function{function_name='spin', "
                        "callback=function() while true do end end, flags={'no-writes'}}")
        out = {}

        def run():
            try:
                redis.Redis(port=t.port).fcall("spin", 0)
            except redis.ResponseError as e:
                out["error"] = str(e)

        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.6)
        raw, _ = exchange(t.port, encode("GET", "x"), marker=False, timeout=2)
        assert raw == b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL " \
                      b"or SHUTDOWN NOSAVE.\r\n", raw
        stats = c.function_stats()
        running = stats[b"running_script"] if isinstance(stats, dict) else stats[1]
        assert running is not None and b"spin" in running, stats
        assert c.execute_command("FUNCTION", "KILL")
        th.join(10)
        assert out["error"].startswith("Script killed by user with SCRIPT KILL..."), out
        assert c.ping()


if __name__ == "__main__":
    run_tests([test_differential, test_dump_and_restore_across_servers,
               test_libraries_survive_restart_and_sigkill, test_busy_function_stats_and_kill])
