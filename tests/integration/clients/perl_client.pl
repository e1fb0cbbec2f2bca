# The client scenario for Redis.pm (Debian libredis-perl) and Redis::Fast (libredis-fast-perl):
# perl_client.pl <port> <password> <db> [module: Redis (default) | Redis::Fast]
use strict;
use warnings;
my $module = $ARGV[3] // "Redis";
eval "require $module" or die $@;
$| = 1;
my ($port, $password, $db) = @ARGV;
my %opts = (server => "localhost:$port", reconnect => 5, every => 100_000,
            on_connect => sub { $_[0]->select($db) });
$opts{password} = $password if $password ne '';
my $r = $module->new(%opts);
sub check { my ($got, $want) = @_; die "got " . (defined $got ? $got : 'undef') . ", want $want\n" unless defined $got && $got eq $want; }
check($r->incr('c'), 1);
check($r->incrby('c', 10), 11);
check($r->decr('c'), 10);
check($r->set('s', 'v', 'EX', 100), 'OK');
check($r->get('s'), 'v');
check($r->mset('a', '1', 'b', '2'), 'OK');
my @m = $r->mget('a', 'b', 'nokey');
check(scalar(@m), 3); check($m[0], '1'); check($m[1], '2'); die "nil expected\n" if defined $m[2];
check($r->del('a'), 1);
$r->multi; $r->incr('t'); $r->incr('t');
my @tx = $r->exec;
check("@tx", "1 2");
my $last;
$r->incr('p', sub { $last = $_[0] }) for 1 .. 1000;
$r->wait_all_responses;
check($last, 1000);
print "PHASE1 OK\n";
<STDIN>;
check($r->get('c'), '10');  # reconnects by itself (reconnect => 5)
check($r->get('p'), '1000');
check($r->get('t'), '2');
check($r->incr('c'), 11);
print "PHASE2 OK\n";
