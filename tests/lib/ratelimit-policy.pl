#!/usr/bin/perl
# ratelimit-policy.pl - a Postfix policy service (SMTPD_POLICY_README,
# "Policy protocol description": attribute=value lines ending with an
# empty line, answered with "action=..." and an empty line) that plays a
# large mailbox provider's rate limit, for tests/backoff-postfix.t.
#
# ratelimit-policy.pl PORT COUNT INTERVAL DELAY-MS LOGFILE
#
# Listens on 127.0.0.1:PORT. A token bucket holds COUNT recipients and
# refills at COUNT per INTERVAL seconds: a recipient that finds a token
# is accepted (DUNNO) after DELAY-MS milliseconds, as a remote server
# takes its time; one that finds none gets at once
#     421 4.7.0 Rate limit exceeded, slow down
# (Postfix's smtpd replies "421 4.7.0 <rcpt>: Recipient address
# rejected: Rate limit exceeded, slow down" and hangs up). Every answer
# is a line of LOGFILE: "TIME accept|421 RECIPIENT". One process serves
# every smtpd connection (select), so that the bucket is shared; the
# delayed answers wait in a queue, not in a sleep.
use strict;
use warnings;
use IO::Handle;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($port, $count, $interval, $delay, $logfile) = @ARGV;
die "usage: $0 PORT COUNT INTERVAL DELAY-MS LOGFILE\n" unless defined $logfile;
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $port, Listen => 128, ReuseAddr => 1)
    or die "$0: listen on 127.0.0.1:$port: $!\n";
open(my $log, '>>', $logfile) or die "$0: $logfile: $!\n";
$log->autoflush(1);
$SIG{TERM} = sub { exit 0 };

my $sel = IO::Select->new($listen);
my %in;			# bytes read from each connection, not yet a request
my @due;		# [time, socket, answer], earliest first
my $tokens = $count;
my $filled = time;

# decide - the answer to one request, and when to give it
sub decide {
	my ($req) = @_;
	my %attr = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split /\n/, $req;
	my $now = time;
	$tokens += ($now - $filled) * $count / $interval;
	$tokens = $count if $tokens > $count;
	$filled = $now;
	my $rcpt = $attr{recipient} // '';
	if ($tokens >= 1) {
		$tokens--;
		printf $log "%.3f accept %s\n", $now, $rcpt;
		return [$now + $delay / 1000, "action=DUNNO\n\n"];
	}
	printf $log "%.3f 421 %s\n", $now, $rcpt;
	return [$now, "action=421 4.7.0 Rate limit exceeded, slow down\n\n"];
}

# serve - read from a ready connection; queue the answers of its requests
sub serve {
	my ($fh) = @_;
	my $n = sysread($fh, my $data, 8192);
	if (!$n) {
		$sel->remove($fh);
		delete $in{$fh};
		@due = grep { $_->[1] != $fh } @due;
		close $fh;
		return;
	}
	$in{$fh} .= $data;
	while ($in{$fh} =~ s/\A(.*?)\n\n//s) {
		my ($when, $answer) = @{decide($1)};
		@due = sort { $a->[0] <=> $b->[0] } @due, [$when, $fh, $answer];
	}
}

while (1) {
	my $wait = @due ? $due[0][0] - time : 1;
	for my $fh ($sel->can_read($wait > 0 ? $wait : 0)) {
		if ($fh == $listen) {
			my $c = $listen->accept or next;
			$sel->add($c);
			$in{$c} = '';
		} else {
			serve($fh);
		}
	}
	while (@due && $due[0][0] <= time) {
		my $d = shift @due;
		syswrite($d->[1], $d->[2]);
	}
}
