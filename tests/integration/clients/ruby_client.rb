# The client scenario for redis-rb (Debian ruby-redis): ruby_client.rb <port> <password> <db>
require 'redis'
port, password, db = ARGV[0].to_i, ARGV[1], ARGV[2].to_i
r = Redis.new(host: '127.0.0.1', port: port, password: (password.empty? ? nil : password), db: db)
def check(got, want)
  raise "got #{got.inspect}, want #{want.inspect}" unless got == want
end
check(r.incr('c'), 1)
check(r.incrby('c', 10), 11)
check(r.decr('c'), 10)
check(r.set('s', 'v', ex: 100), 'OK')
check(r.get('s'), 'v')
check(r.mset('a', '1', 'b', '2'), 'OK')
check(r.mget('a', 'b', 'nokey'), ['1', '2', nil])
check(r.del('a'), 1)
check(r.multi { |m| m.incr('t'); m.incr('t') }, [1, 2])
check(r.pipelined { |p| 1000.times { p.incr('p') } }.last, 1000)
puts 'PHASE1 OK'
$stdout.flush
$stdin.gets
check(r.get('c'), '10')  # redis-rb reconnects by itself
check(r.get('p'), '1000')
check(r.get('t'), '2')
check(r.incr('c'), 11)
puts 'PHASE2 OK'
