#!/usr/bin/perl
# formats.t - the bounce formats of many mail systems are recognised and
# read, and each names exactly its failed recipients.
#
# Runs "bounceguard parse --json" with the shipped rules over every
# message of tests/fixtures/formats (written for this project: old Yahoo,
# AOL, Sina, short "simple" reports, GroupWise, Notes and Domino, the
# Sun/iPlanet/Netscape messaging servers, IMail (SMTP32), qmail and its
# derivatives, Exchange 5.5 to Office 365, Sendmail, their delay
# warnings, and recipients written with quotes, "SMTP=", "rfc822;",
# "mailto:" or beside the reporting site's postmaster) and compares with
# expected.tsv there: exactly the expected recipients (none more, such
# as a postmaster or the returned message's other addressees), and for
# each its action, reason and hard flag. Whatever the expectations say,
# no recipient whose action is not a delivery is ever "delivered", and no
# delay warning is ever hard. Reports of a fixed layout are parsed again
# with their headers made ordinary (no Return-Path, an ordinary From: and
# Subject:), and must give the same recipients: such a report is
# recognised by its own words.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

my $src = abs_path($ENV{BG_SRC} // '.');
my $build = $ENV{BG_BUILD} // "$src/build";
my $dir = "$src/tests/fixtures/formats";
my $n = 0;

# Fixtures whose recipients rest on their headers, not on a layout: the
# reporting domain completes AOL's bare screen names; a free-text report
# is a bounce only for its MAILER-DAEMON sender.
my %needs_headers = map { $_ => 1 } qw(aol-02.eml rcpt-07.eml
    smtp32-03.eml);

unless (-x "$build/bounceguard") {
	print "1..0 # SKIP $build/bounceguard not built\n";
	exit 0;
}

sub ok {
	my ($ok, $name, @why) = @_;
	$n++;
	print(($ok ? "ok" : "not ok"), " $n - $name\n");
	print "#   $_\n" for $ok ? () : @why;
}

my $tmp = tempdir(CLEANUP => 1);
open(my $cf, '>', "$tmp/bg.conf") or die "Bail out! $tmp: $!\n";
# parse runs as this user when the test runs as root
print $cf "shipped_rules_dir = $src/rules\nrules_dir = $tmp/none\nuser = nobody\n";
close($cf);
my $json = JSON::PP->new;

# parse(FILE) - the recipients reported for FILE, keyed by address
sub parse {
	my ($file) = @_;
	my %r;
	open(my $err, '>&', \*STDERR) or die "Bail out! stderr: $!\n";
	open(STDERR, '>', '/dev/null') or die "Bail out! /dev/null: $!\n";
	my $pid = open(my $out, '-|', "$build/bounceguard", '-c',
	    "$tmp/bg.conf", 'parse', '--json', $file);
	open(STDERR, '>&', $err) or die "Bail out! stderr: $!\n";
	die "Bail out! bounceguard: $!\n" unless $pid;
	while (<$out>) {
		my $j = $json->decode($_);
		$r{$j->{recipient}} = $j;
	}
	close($out);
	return \%r;
}

# ordinary(FILE) - a copy of FILE with ordinary headers
sub ordinary {
	my ($file) = @_;
	(my $base = $file) =~ s{.*/}{};
	open(my $in, '<', $file) or die "Bail out! $file: $!\n";
	local $/;
	my $msg = <$in>;
	close($in);
	my ($head, $body) = split(/\n\n/, $msg, 2);
	$head =~ s/^Return-Path:.*\n?//mig;
	$head =~ s/^From:.*$/From: Helpdesk <helpdesk\@example.net>/mi;
	$head =~ s/^Subject:.*$/Subject: Re: hello/mi;
	open(my $o, '>', "$tmp/$base") or die "Bail out! $tmp: $!\n";
	print $o "$head\n\n$body";
	close($o);
	return "$tmp/$base";
}

my (%exp, @order);
open(my $ef, '<', "$dir/expected.tsv") or die "Bail out! expected.tsv: $!\n";
while (<$ef>) {
	chomp;
	next if /^#/ || /^\s*$/;
	my ($file, $rcpt, $action, $reason, $hard) = split(/\t/);
	push(@order, $file) unless exists $exp{$file};
	$exp{$file} //= {};
	$exp{$file}{$rcpt} = [$action, $reason, $hard] if $rcpt ne '-';
}
close($ef);

opendir(my $dh, $dir) or die "Bail out! $dir: $!\n";
my @missing = grep { !exists $exp{$_} } sort grep { /\.eml$/ } readdir($dh);
closedir($dh);
ok(!@missing, "every fixture has its expected line",
    map { "$_ is not in expected.tsv" } @missing);

# check_rcpt(FILE, ADDR, GOT, WANT) - one recipient's action, reason, hard
sub check_rcpt {
	my ($file, $addr, $g, $w) = @_;
	my $action = $g->{action} // 'null';
	my $hard = $g->{hard} ? 'true' : 'false';
	my @got = ($action, $g->{reason}, $hard);
	ok("@got" eq "@$w", "$file: $addr is $w->[0], $w->[1], hard $w->[2]",
	    "got @got (rule " . ($g->{rule} // 'none') . ")");
}

# check_invariants(FILE, GOT) - never "delivered" for a failure, never
# hard for a delay
sub check_invariants {
	my ($file, $got) = @_;
	my @bad;
	for my $g (values %$got) {
		my $a = $g->{action} // '';
		push(@bad, "$g->{recipient}: delivered with action " .
		    ($a || 'null')) if $g->{reason} eq 'delivered' &&
		    $a !~ /^(delivered|relayed|expanded)$/;
		push(@bad, "$g->{recipient}: a delay counted hard")
		    if $a eq 'delayed' && $g->{hard};
	}
	ok(!@bad, "$file: no failure delivered, no delay hard", @bad);
}

for my $file (@order) {
	my $got = parse("$dir/$file");
	my $want = $exp{$file};
	my @g = sort keys %$got;
	my @w = sort keys %$want;
	ok("@g" eq "@w", "$file: recipients " . (@w ? "@w" : "none"),
	    "got " . (@g ? "@g" : "none"));
	for my $addr (grep { $got->{$_} } @w) {
		check_rcpt($file, $addr, $got->{$addr}, $want->{$addr});
	}
	check_invariants($file, $got);
	next if !@w || $needs_headers{$file};
	my @o = sort keys %{ parse(ordinary("$dir/$file")) };
	ok("@o" eq "@w", "$file: same recipients with ordinary headers",
	    "got " . (@o ? "@o" : "none"));
}
print "1..$n\n";
