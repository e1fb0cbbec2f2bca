<?php
// The client scenario for phpredis (Debian php-redis): php_client.php <port> <password> <db>
[$_, $port, $password, $db] = $argv;
function connect_redis($port, $password, $db) {
  $r = new Redis();
  $r->connect('127.0.0.1', (int)$port);
  if ($password !== '') $r->auth($password);
  $r->select((int)$db);
  return $r;
}
function check($got, $want) {
  if ($got !== $want) { fwrite(STDERR, "got " . var_export($got, true) . ", want " . var_export($want, true) . "\n"); exit(1); }
}
$r = connect_redis($port, $password, $db);
check($r->incr('c'), 1);
check($r->incrBy('c', 10), 11);
check($r->decr('c'), 10);
check($r->set('s', 'v', ['ex' => 100]), true);
check($r->get('s'), 'v');
check($r->mset(['a' => '1', 'b' => '2']), true);
check($r->mget(['a', 'b', 'nokey']), ['1', '2', false]);
check($r->del('a'), 1);
check($r->multi()->incr('t')->incr('t')->exec(), [1, 2]);
$r->pipeline();
for ($i = 0; $i < 1000; $i++) $r->incr('p');
$res = $r->exec();
check(end($res), 1000);
echo "PHASE1 OK\n";
fgets(STDIN);
$r = connect_redis($port, $password, $db);  // phpredis does not reconnect by itself
check($r->get('c'), '10');
check($r->get('p'), '1000');
check($r->get('t'), '2');
check($r->incr('c'), 11);
echo "PHASE2 OK\n";
