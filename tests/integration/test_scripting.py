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
    # The struct library (lua_struct.cc): formats, alignment, byte orders, limits, errors.
    "struct": [
        ["EVAL", "return struct.pack('>i2<i2bBhHlLi', 1, 2, -1, 255, -2, 65535, -3, 4, 5)", "0"],
        ["EVAL", "return struct.pack('!4 b i4 b d', 1, 2, 3, 1.5)", "0"],
        ["EVAL", "return struct.pack('! b d', 1, 1.5)", "0"],
        ["EVAL", "return struct.pack('!2 b h b i8 >d', 1, 2, 3, 4, 1.5)", "0"],
        ["EVAL", "return struct.pack('c3 c0 s x f T', 'abcdef', 'xy', 'zz', 1.5, 7)", "0"],
        ["EVAL", "return struct.pack('=I3', 1)", "0"], ["EVAL", "return struct.pack('i33', 1)", "0"],
        ["EVAL", "return struct.pack('i3 >I3 <I16 >i16', 1, 2, -1, -2)", "0"],
        ["EVAL", "return struct.pack('!3 i', 1)", "0"], ["EVAL", "return struct.pack('y', 1)", "0"],
        ["EVAL", "return struct.pack('c5', 'ab')", "0"], ["EVAL", "return struct.pack('i')", "0"],
        ["EVAL", "return struct.pack('i', 'x')", "0"], ["EVAL", "return struct.pack('s', {})", "0"],
        ["EVAL", "return struct.pack('i99999999999', 1)", "0"],
        ["EVAL", "return struct.pack('i8 I8 i L l', 2^63, 2^64, 2^40, -1, -2^63)", "0"],
        ["EVAL", "return struct.pack('i8 I8 l L b', 1/0, -1/0, 0/0, 2^70, 300.7)", "0"],
        ["EVAL", "return struct.pack('>f <f d', 0.1, -2.5, 0/0)", "0"],
        ["EVAL", "return struct.pack('s c0 c2', 'a\\0b', '', 'xyz')", "0"],
        ["EVAL", "return {struct.unpack('>i2 <i2 b B s c2', struct.pack('>i2 <i2 b B s c2', -5, 300,"
         " -7, 200, 'hi', 'zz'))}", "0"],
        ["EVAL", "return {struct.unpack('b c0', string.char(3) .. 'abcd')}", "0"],
        ["EVAL", "return {struct.unpack('c0', 'abcd')}", "0"],
        ["EVAL", "return {struct.unpack('s c0', 'ab\\0cd')}", "0"],
        ["EVAL", "return {struct.unpack('i4', 'ab')}", "0"],
        ["EVAL", "return {struct.unpack('s', 'ab')}", "0"],
        ["EVAL", "return {struct.unpack('b', 'abc', 2)}", "0"],
        ["EVAL", "return {struct.unpack('b', 'abc', 5)}", "0"],
        ["EVAL", "return {struct.unpack('b', 'abc', 0)}", "0"],
        ["EVAL", "return {struct.unpack('b', 'abc', -1)}", "0"],
        ["EVAL", "return {struct.unpack('y', 'abc')}", "0"],
        ["EVAL", "return {struct.unpack('x b !4 i', 'abcdefgh')}", "0"],
        ["EVAL", "return {struct.size('i4 b d'), struct.size('!i4 b d'), struct.size('c10'),"
         " struct.size('y b'), struct.size('>!2 b h')}", "0"],
        ["EVAL", "return struct.size('s')", "0"], ["EVAL", "return struct.size('c0')", "0"],
        ["EVAL", "return struct.size('=')", "0"], ["EVAL", "return struct.size('!5')", "0"],
        ["EVAL", "local a, b = struct.unpack('f d', struct.pack('f d', 0.1, 0.1))"
         " return {tostring(a), tostring(b)}", "0"],
        ["EVAL", "return {struct.unpack('I16', string.rep(string.char(255), 16))}", "0"],
        ["EVAL", "return {struct.unpack('i16', string.rep(string.char(255), 16))}", "0"],
        ["EVAL", "return {struct.unpack('i9 >I9 >i3 <i3', string.rep(string.char(1), 9) .."
         " string.rep(string.char(200), 15))}", "0"],
        ["EVAL", "return {struct.unpack('>d <d', struct.pack('>d <d', 1e300, -0.5))}", "0"],
        ["EVAL", "struct.foo = 1", "0"],
    ],
    # The cmsgpack library (lua_cmsgpack.cc): every encoding choice, decoding, errors, limits.
    "cmsgpack": [
        ["EVAL", "return cmsgpack.pack(1.5, 0.1, 3, -1, -33, 300, 70000, 5000000000, -5000000000,"
         " true, false, nil)", "0"],
        ["EVAL", "return cmsgpack.pack(1/0, -1/0, 0/0, 2^53, 2^63, -2^63, 2^64, 1e300, -0.0)", "0"],
        ["EVAL", "return cmsgpack.pack(-128, -129, -32768, -32769, 2^31, -2^31, -2^31-1, 255, 256,"
         " 65535, 65536, 2^32-1, 2^32, 127, 128, -32)", "0"],
        ["EVAL", "return cmsgpack.pack(string.rep('a',31), string.rep('b',32), string.rep('c',255),"
         " string.rep('d',256), string.rep('e',65535), string.rep('f',65536), '')", "0"],
        ["EVAL", "return cmsgpack.pack({1,2,3},{a=1},{},{[1]=1,[3]=3},{1,nil,3},{['1']=1},"
         "{[1.5]=1},{[0]=1},{[2^31]=1},{[1]=1,[2^31]=1})", "0"],
        ["EVAL", "local t={} for i=1,16 do t[i]=i end local m={} for i=1,16 do m['k'..i]=i end"
         " local big={} for i=1,70000 do big[i]=i%7 end"
         " return cmsgpack.pack(t, m, big)", "0"],
        ["EVAL", "local t={} t[1]=t return cmsgpack.pack(t, function() end,"
         " coroutine.create(function() end))", "0"],
        ["EVAL", "return cmsgpack.pack(setmetatable({}, {__index=function(t,k) return k end}),"
         " setmetatable({1,2}, {__index=function(t,k) return k*10 end}))", "0"],
        ["EVAL", "return cmsgpack.pack({a={b={c={1,2,{d='e'}}}}, x={true,false}})", "0"],
        ["EVAL", "return cmsgpack.pack()", "0"], ["EVAL", "return cmsgpack.pack(nil, nil)", "0"],
        ["EVAL", "local t={} for i=1,5000 do t[i]=i end return cmsgpack.pack(unpack(t))", "0"],
        ["EVAL", "local t={} for i=1,3900 do t[i]=i end return #cmsgpack.pack(unpack(t))", "0"],
        ["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1,'x',{1,2},{a='b'},1.5,-7,2^40))}", "0"],
        ["EVAL", "return cmsgpack.unpack(cmsgpack.pack({a={b={1,2,3}}})).a.b", "0"],
        ["EVAL", "local a,b,c,d,e = cmsgpack.unpack(string.char(0xd1,0xff,0x00, 0xd2,0xff,0xff,"
         "0xff,0x00, 0xd0,0x80, 0xcf,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff, 0xd3,0xff,0xff,0xff,"
         "0xff,0xff,0xff,0xff,0xfe)) return {tostring(a),tostring(b),tostring(c),tostring(d),"
         "tostring(e)}", "0"],
        ["EVAL", "return {cmsgpack.unpack(string.char(0xcc,0xff,0xcd,0xff,0xfe,0xce,0xff,0xff,0xff,"
         "0xff,0xca,0x3f,0xc0,0,0,0xcb,0x3f,0xb9,0x99,0x99,0x99,0x99,0x99,0x9a,0xd9,2,65,66,0xda,0,1,"
         "67,0xdb,0,0,0,1,68,0xdc,0,1,5,0xdd,0,0,0,1,6,0xde,0,1,1,2,0xdf,0,0,0,1,3,4,0xff,0xe0,0xc3,"
         "0xc2,0xc0))}", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0xc4,1,65))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0xc1))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0xa5,65))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0x81,0xc0,0x01))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0x92,0xc0,0x01))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.char(0xc7,1,1,65))", "0"],
        ["EVAL", "return {cmsgpack.unpack(string.char(0xdd,0xff,0xff,0xff,0xff))}", "0"],
        ["EVAL", "return {cmsgpack.unpack(string.char(0x93,1,2))}", "0"],
        ["EVAL", "return {cmsgpack.unpack(string.char(0xcd,1))}", "0"],
        ["EVAL", "return {cmsgpack.unpack('')}", "0"], ["EVAL", "return cmsgpack.unpack()", "0"],
        ["EVAL", "return {cmsgpack.unpack(12)}", "0"], ["EVAL", "return cmsgpack.unpack({})", "0"],
        ["EVAL", "return #{cmsgpack.unpack(string.rep(string.char(1),7000))}", "0"],
        ["EVAL", "return #{cmsgpack.unpack(string.rep(string.char(1),10000))}", "0"],
        ["EVAL", "return cmsgpack.unpack(string.rep(string.char(0x81,1),100000))", "0"],
        ["EVAL", "return cmsgpack.unpack(string.rep(string.char(0x81),100000))", "0"],
        # Decodes 3000 deep; the reply is 500 deep (tallyd's replies stop at 1,000 levels).
        ["EVAL", "local v = cmsgpack.unpack(string.rep(string.char(0x91),3000) .. string.char(1))"
         " for i=1,2500 do v = v[1] end return v", "0"],
        ["EVAL", "return cmsgpack.unpack(string.rep(string.char(0x91),9000) .. string.char(1))",
         "0"],
        ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}", "0"],
        ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 1.7)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_one('abc', 3)}", "0"],
        ["EVAL", "return cmsgpack.unpack_one('abc', -1)", "0"],
        ["EVAL", "return cmsgpack.unpack_one('abc', 5)", "0"],
        ["EVAL", "return cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 'x')", "0"],
        ["EVAL", "return cmsgpack.unpack_one()", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0, 1)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), -1)}", "0"],
        ["EVAL", "return cmsgpack.unpack_limit(cmsgpack.pack(1,2,3))", "0"],
        ["EVAL", "cmsgpack.foo = 1", "0"],
        ["EVAL", "math.randomseed(1) return {tostring(math.random()), tostring(math.random()),"
         " math.random(10), math.random(-5, 5)}", "0"],
        ["EVAL", "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT,"
         " cmsgpack._DESCRIPTION}", "0"],
        ["EVAL", "local s = cmsgpack.pack({n=1, list={'a','b'}, f=2.5}) redis.call('set', KEYS[1], s)"
         " return cmsgpack.unpack(redis.call('get', KEYS[1])).list", "1", "packed"],
        ["GET", "packed"],
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


def test_lua_libraries_fuzz_match_redis():
    """Random bytes into cmsgpack.unpack (and what it decodes packed again), random values
    packed, random struct formats packed and unpacked: the same reply bytes from both servers,
    and tallyd stays up."""
    rng = random.Random(7)
    # Type bytes weighted toward containers and lengths, so inputs nest and run short.
    alphabet = [0x91, 0x92, 0x81, 0x82, 0xdc, 0xde, 0xa3, 0xd9, 0xcb, 0xca, 0xcf, 0xd3, 0xc0,
                0xc3, 0x00, 0x01, 0x7f, 0xff, 0xe0, 0xc1, 0xc4, 0xdd, 0xdf]
    unpack = ("local r = {pcall(cmsgpack.unpack, ARGV[1])} if r[1] then"
              " r[1] = cmsgpack.pack(unpack(r, 2)) end return r")
    pack = ("local function v(d) local k = math.random(1, d > 3 and 4 or 7)"
            " if k == 1 then return math.random(-2^40, 2^40) elseif k == 2 then"
            " return math.random() * 10^math.random(-5, 40) elseif k == 3 then"
            " return string.rep('x', math.random(0, 300)) elseif k == 4 then return k % 2 == 0"
            " elseif k == 5 then local t = {} for i = 1, math.random(0, 20) do t[i] = v(d+1) end"
            " return t elseif k == 6 then local t = {} for i = 1, math.random(0, 5) do"
            " t['k' .. i] = v(d+1) end return t else local t = {} t[math.random(1,3)] = v(d+1)"
            " t[5] = 1 return t end end math.randomseed(tonumber(ARGV[1]))"
            " return cmsgpack.pack(v(0), v(0))")
    commands = []
    for i in range(300):
        data = bytes(rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256)
                     for _ in range(rng.randrange(1, 40)))
        commands.append(["EVAL", unpack, "0", data])
        commands.append(["EVAL", pack, "0", str(i)])
    # struct: a random format, packed from random numbers and strings, then unpacked again (and
    # unpacked from random bytes).
    struct_script = ("local f = ARGV[1] local args = {} for i = 2, #ARGV do"
                     " args[#args + 1] = tonumber(ARGV[i]) or ARGV[i] end"
                     " local ok, s = pcall(struct.pack, f, unpack(args))"
                     " if not ok then return {0, s, {pcall(struct.unpack, f, ARGV[2] or '')}} end"
                     " return {1, s, {pcall(struct.unpack, f, s)}, {pcall(struct.size, f)}}")
    options = list("bBhHlLTiIfdxcs<>! ") + ["i3", "I5", "i16", "c2", "c0", "!2", "!4", "i0", "y",
                                            "=", "I33"]
    values = ["1", "-1", "255", "-129", "65536", "1e20", "-1e19", "0.1", "nan", "inf", "abc",
              "", "x\0y", "9007199254740993", "3"]
    for i in range(300):
        fmt = "".join(rng.choice(options) for _ in range(rng.randrange(1, 7)))
        commands.append(["EVAL", struct_script, "0", fmt]
                        + [rng.choice(values) for _ in range(rng.randrange(0, 7))])
    with Tallyd() as t, RedisServer() as r:
        assert reply_bytes(r.port, commands) == reply_bytes(t.port, commands)
        assert redis.Redis(port=t.port).ping()


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
        # Every Redis strategy python3-limits 2.8 has (its moving window keeps a Redis list of
        # hit times: LINDEX, LPUSH, LTRIM, EXPIRE and LRANGE in scripts).
        for strategy in (limits.strategies.FixedWindowRateLimiter,
                         limits.strategies.FixedWindowElasticExpiryRateLimiter,
                         limits.strategies.MovingWindowRateLimiter):
            limiter = strategy(storage)
            item = limits.parse("5/minute")
            results = [limiter.hit(item, strategy.__name__) for _ in range(7)]
            assert results == [True] * 5 + [False] * 2, (strategy, results)
            assert not limiter.test(item, strategy.__name__)
            reset, remaining = limiter.get_window_stats(item, strategy.__name__)
            assert remaining == 0 and reset > time.time()
            limiter.clear(item, strategy.__name__)
            assert limiter.hit(item, strategy.__name__)
            # A hit of cost 4 fits (1 + 4 = 5); one more of any cost does not.
            assert limiter.hit(item, strategy.__name__, cost=4)
            assert not limiter.hit(item, strategy.__name__)
        window = redis.Redis(port=t.port).keys("*MovingWindow*")
        assert len(window) == 1 and redis.Redis(port=t.port).type(window[0]) == b"list"
        assert redis.Redis(port=t.port).llen(window[0]) == 5
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
    run_tests([test_differential, test_lua_libraries_fuzz_match_redis,
               test_busy_and_script_kill_match_redis,
               test_unkillable_script_and_shutdown_nosave, test_atomic_against_other_io_threads,
               test_script_writes_are_one_group_across_sigkill, test_bad_scripts_do_no_harm,
               test_redis_py_lock, test_python_limits, test_rate_limiter_flexible])
