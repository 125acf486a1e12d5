#!/usr/bin/perl
# lookup-load.pl - clients for tests/security-lookup-slots.t, against the
# lookup socket on 127.0.0.1:PORT.
#
# lookup-load.pl slots PORT IDLE TRICKLE SECONDS
#	opens IDLE silent connections and TRICKLE that send one byte of a
#	request every second and never finish it; meanwhile a persistent
#	client asks every 0.5 s on one connection and a fresh client (as
#	Exim does) every 0.5 s. Prints key=value lines: how many of the
#	silent and trickling connections the server closed and after how
#	long, and the answers and latencies of the two normal clients.
#
# lookup-load.pl ask SOURCE PORT REQUEST
#	one request from SOURCE (an address), the answer until the server
#	closes, printed; "closed" when there was none.
#
# lookup-load.pl hold SOURCE PORT N
#	opens N connections from SOURCE (or to the unix socket SOURCE, a
#	path, when PORT is "unix"), prints "held N", and keeps them until
#	standard input ends.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

$SIG{PIPE} = 'IGNORE';
my $mode = shift @ARGV // '';

# dial SOURCE PORT - a connection, or die
sub dial {
	my ($src, $port) = @_;
	if ($port eq 'unix') {
		return IO::Socket::UNIX->new(Peer => $src, Type => SOCK_STREAM)
		    // die "connect to $src: $!\n";
	}
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => $src, Proto => 'tcp')
	    or die "connect from $src: $!\n";
	return $s;
}

# ask SOURCE PORT REQUEST - send, shut our side, read until closed
sub ask {
	my ($src, $port, $req) = @_;
	my $s = dial($src, $port);
	my ($all, $buf) = ('', '');
	syswrite($s, $req);
	shutdown($s, 1);
	my $sel = IO::Select->new($s);
	while ($sel->can_read(5)) {
		my $n = sysread($s, $buf, 4096);
		last if !$n;
		$all .= $buf;
	}
	close $s;
	return $all;
}

# readline_timeout SOCKET SECONDS - one answer line, or undef
sub readline_timeout {
	my ($s, $secs) = @_;
	my ($line, $c) = ('', '');
	my $sel = IO::Select->new($s);
	while ($line !~ /\n/) {
		return undef if !$sel->can_read($secs);
		return undef if !sysread($s, $c, 1);
		$line .= $c;
	}
	return $line;
}

if ($mode eq 'ask') {
	my ($src, $port, $req) = @ARGV;
	$req =~ s/\\n/\n/g;
	my $a = ask($src, $port, $req);
	print length $a ? $a : "closed\n";
	exit 0;
}

if ($mode eq 'hold') {
	my ($src, $port, $n) = @ARGV;
	my @held = map { dial($src, $port) } 1 .. $n;
	$| = 1;
	print "held $n\n";
	1 while <STDIN>;
	exit 0;
}

die "usage: lookup-load.pl slots|ask|hold ...\n" if $mode ne 'slots';
my ($port, $nidle, $ntrickle, $secs) = @ARGV;
my $want = "suppressed userunknown\n";
my $req = "check jane\@example.org\n";
my $slow = "check bob\@example.org";	# never finished: no newline
my (%born, %closed, %kind);
my $sel = IO::Select->new;
my $t0 = time;
for my $i (1 .. $nidle + $ntrickle) {
	my $s = dial('127.0.0.1', $port);
	$s->blocking(0);
	$born{$s} = time;
	$kind{$s} = $i <= $nidle ? 'idle' : 'trickle';
	$sel->add($s);
}
my $opened = time - $t0;
my $p = dial('127.0.0.1', $port);
my (%n, %bad, %max);
my ($next_trickle, $next_ask, $pos) = (time + 1, time, 0);
while (time - $t0 < $secs) {
	if (time >= $next_trickle) {
		my $byte = substr($slow, $pos++ % length($slow), 1);
		for my $s ($sel->handles) {
			next if $kind{$s} ne 'trickle';
			send($s, $byte, 0);
		}
		$next_trickle += 1;
	}
	if (time >= $next_ask) {
		my $t = time;
		syswrite($p, $req);
		my $a = readline_timeout($p, 5);
		my $dt = time - $t;
		$n{persistent}++;
		$bad{persistent}++ if !defined $a || $a ne $want;
		$max{persistent} = $dt if $dt > ($max{persistent} // 0);
		$t = time;
		$a = ask('127.0.0.1', $port, $req);
		$dt = time - $t;
		$n{fresh}++;
		$bad{fresh}++ if $a ne $want;
		$max{fresh} = $dt if $dt > ($max{fresh} // 0);
		$next_ask += 0.5;
	}
	for my $s ($sel->can_read(0.05)) {
		my $buf;
		my $r = sysread($s, $buf, 4096);
		next if defined $r && $r > 0;
		next if !defined $r && $!{EAGAIN};
		$closed{$kind{$s}}{n}++;
		my $age = time - $born{$s};
		my $c = $closed{$kind{$s}};
		$c->{min} = $age if !defined $c->{min} || $age < $c->{min};
		$c->{max} = $age if !defined $c->{max} || $age > $c->{max};
		$sel->remove($s);
		close $s;
	}
}
# Still open after SECONDS: one more request on the persistent one.
syswrite($p, $req);
my $last = readline_timeout($p, 5);
printf "opened=%d open_seconds=%.2f\n", $nidle + $ntrickle, $opened;
for my $k ('idle', 'trickle') {
	my $c = $closed{$k} // {};
	printf "%s_closed=%d %s_min=%.2f %s_max=%.2f\n", $k, $c->{n} // 0,
	    $k, $c->{min} // -1, $k, $c->{max} // -1;
}
for my $k ('persistent', 'fresh') {
	printf "%s_answers=%d %s_bad=%d %s_max_ms=%d\n", $k, $n{$k} // 0, $k,
	    $bad{$k} // 0, $k, 1000 * ($max{$k} // 0);
}
printf "persistent_alive=%d\n", defined $last && $last eq $want ? 1 : 0;
