<?php
// The client scenario for Predis (Debian php-predis): predis_client.php <port> <password> <db>
require 'Predis/Autoloader.php';
Predis\Autoloader::register();
[$_, $port, $password, $db] = $argv;
function check($got, $want) {
  if ($got != $want) { fwrite(STDERR, "got " . var_export($got, true) . ", want " . var_export($want, true) . "\n"); exit(1); }
}
$params = ['host' => 'localhost', 'port' => (int)$port, 'database' => (int)$db];
if ($password !== '') $params['password'] = $password;
$r = new Predis\Client($params);
check($r->incr('c'), 1);
check($r->incrby('c', 10), 11);
check($r->decr('c'), 10);
check((string)$r->set('s', 'v', 'EX', 100), 'OK');
check($r->get('s'), 'v');
check((string)$r->mset(['a' => '1', 'b' => '2']), 'OK');
check($r->mget(['a', 'b', 'nokey']), ['1', '2', null]);
check($r->del(['a']), 1);
check($r->transaction(function ($tx) { $tx->incr('t'); $tx->incr('t'); }), [1, 2]);
$res = $r->pipeline(function ($p) { for ($i = 0; $i < 1000; $i++) $p->incr('p'); });
check(count($res), 1000);
check(end($res), 1000);
echo "PHASE1 OK\n";
fgets(STDIN);
$r->disconnect();  // the old socket is dead; Predis connects again on the next command
check($r->get('c'), '10');
check($r->get('p'), '1000');
check($r->get('t'), '2');
check($r->incr('c'), 11);
echo "PHASE2 OK\n";
