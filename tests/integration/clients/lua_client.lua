-- The client scenario for Lua's redis-lua (Debian lua-redis): lua_client.lua <port> <password> <db>
local redis = require('redis')
local port, password, db = tonumber(arg[1]), arg[2], tonumber(arg[3])

local function check(got, want, what)
  if got ~= want then
    io.stderr:write(what .. ': got ' .. tostring(got) .. ', want ' .. tostring(want) .. '\n')
    os.exit(1)
  end
end

local function dial()
  local c = redis.connect('localhost', port)
  if password ~= '' then c:auth(password) end
  c:select(db)
  return c
end

local c = dial()
check(c:incr('c'), 1, 'INCR')
check(c:incrby('c', 10), 11, 'INCRBY')
check(c:decr('c'), 10, 'DECR')
check(c:set('s', 'v', 'EX', 100), true, 'SET EX')
check(c:get('s'), 'v', 'GET')
check(c:mset('a', '1', 'b', '2'), true, 'MSET')
local m = c:mget('a', 'b', 'nokey')
check(m[1], '1', 'MGET[1]'); check(m[2], '2', 'MGET[2]'); check(m[3], nil, 'MGET[3]')
check(c:del('a'), 1, 'DEL')
local tx = c:transaction(function(t) t:incr('t'); t:incr('t') end)
check(tx[1], 1, 'EXEC[1]'); check(tx[2], 2, 'EXEC[2]')
local replies = c:pipeline(function(p) for _ = 1, 1000 do p:incr('p') end end)
check(#replies, 1000, 'pipeline length')
check(replies[1000], 1000, 'pipeline last')
print('PHASE1 OK')
io.stdout:flush()
io.read('*l')
c:quit()
c = dial()  -- redis-lua does not reconnect by itself
check(c:get('c'), '10', 'GET c')
check(c:get('p'), '1000', 'GET p')
check(c:get('t'), '2', 'GET t')
check(c:incr('c'), 11, 'INCR c')
print('PHASE2 OK')
io.stdout:flush()
