#!/usr/bin/perl
# providers.t - the mailbox-provider rules (rules/02-*.rules) on bounces
# quoting the providers' documented replies.
#
# Runs "bounceguard parse --json" over tests/fixtures/providers/*.eml with
# the shipped rules and an empty site directory, and checks every line of
# tests/fixtures/providers/expected.tsv (file, recipient, reason, hard,
# status, the rule file that decided or "-" when no 02-*.rules file may
# decide): the recipient is found and its reason, hard flag, status and
# deciding rule file are the expected ones. Then checks that every rule line
# of every rules/02-*.rules file decides at least one fixture, so that no
# provider rule is left without a bounce that shows it working, and that
# every fixture has expected lines. Prints per-provider counts.
# Skips when bounceguard is not built.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

my $src = abs_path($ENV{BG_SRC} // '.');
my $build = $ENV{BG_BUILD} // "$src/build";
my $fixdir = "$src/tests/fixtures/providers";

unless (-x "$build/bounceguard") {
	print "1..0 # SKIP $build/bounceguard not built\n";
	exit 0;
}

my $tmp = tempdir(CLEANUP => 1);
open(my $cf, '>', "$tmp/bounceguard.conf") or die "$tmp: $!";
# parse runs as this user when the test runs as root
print $cf "shipped_rules_dir = $src/rules\nrules_dir = $tmp/none\nuser = nobody\n";
close($cf);

# The expected verdicts.
my @exp;
open(my $ef, '<', "$fixdir/expected.tsv") or die "expected.tsv: $!";
while (<$ef>) {
	chomp;
	next if /^\s*(#|$)/;
	my @f = split /\t/;
	die "expected.tsv:$.: want 6 tab-separated fields\n" unless @f == 6;
	push @exp, { file => $f[0], rcpt => lc $f[1], reason => $f[2],
	    hard => $f[3], status => $f[4], rulefile => $f[5], line => $. };
}
close($ef);

# The rule lines of the provider files: "02-x.rules:LINE" => 0 (times seen).
my %ruleline;
my %provider_rules;
for my $path (sort glob("$src/rules/02-*.rules")) {
	(my $base = $path) =~ s{.*/}{};
	open(my $rf, '<', $path) or die "$path: $!";
	while (<$rf>) {
		next if /^\s*(#|$)/;
		$ruleline{"$base:$."} = 0;
		$provider_rules{$base}++;
	}
	close($rf);
}

# The parser's verdicts, by file and recipient.
my @fixtures = sort glob("$fixdir/*.eml");
my %got;
open(my $out, '-|', "$build/bounceguard -c '$tmp/bounceguard.conf' parse " .
    "--json " . join(' ', map { "'$_'" } @fixtures) . " 2>'$tmp/stderr'")
    or die "bounceguard: $!";
my $json = JSON::PP->new;
while (<$out>) {
	my $r = $json->decode($_);
	(my $f = $r->{file}) =~ s{.*/}{};
	$got{$f}{lc($r->{recipient} // '')} = $r;
	$ruleline{$r->{rule}}++ if defined $r->{rule} && exists $ruleline{$r->{rule}};
}
my $parse_ok = close($out);

my $tests = 1 + @exp + keys(%provider_rules) + 1;
print "1..$tests\n";
my $n = 0;

# ok - print one TAP line, with diagnostics when it failed
sub ok {
	my ($pass, $name, @diag) = @_;
	$n++;
	print +($pass ? "ok" : "not ok"), " $n - $name\n";
	print map { "#   $_\n" } @diag unless $pass;
	return $pass;
}

{
	open(my $err, '<', "$tmp/stderr");
	my @err = <$err>;
	chomp @err;
	ok($parse_ok, "bounceguard parse reads the " . scalar(@fixtures) .
	    " provider fixtures (exit " . ($? >> 8) . ")", @err);
}

my (%fixtures_of, %files_expected);
for my $e (@exp) {
	$files_expected{$e->{file}} = 1;
	(my $prov = $e->{file}) =~ s/-\d+\.eml$//;
	$fixtures_of{$prov}++;
	my $r = $got{$e->{file}}{$e->{rcpt}};
	my $name = "$e->{file} <$e->{rcpt}>: $e->{reason}";
	unless ($r) {
		ok(0, $name, "recipient not found (got " .
		    join(', ', map { "<$_>" } sort keys %{ $got{$e->{file}} || {} }) . ")");
		next;
	}
	my @bad;
	push @bad, "reason $r->{reason}, want $e->{reason}"
	    if $r->{reason} ne $e->{reason};
	my $hard = $r->{hard} ? 'true' : 'false';
	push @bad, "hard $hard, want $e->{hard}" if $hard ne $e->{hard};
	my $status = $r->{status} // '-';
	push @bad, "status $status, want $e->{status}" if $status ne $e->{status};
	my $rule = $r->{rule} // '-';
	(my $rulefile = $rule) =~ s/:\d+$//;
	if ($e->{rulefile} eq '-') {
		push @bad, "decided by $rule, want no 02-*.rules file"
		    if $rulefile =~ /^02-/;
	} elsif ($rulefile ne $e->{rulefile}) {
		push @bad, "decided by $rule, want $e->{rulefile}";
	}
	ok(!@bad, $name, @bad, "diagnostic: " . ($r->{diagnostic} // '-'));
}

# Every rule line of every provider file decides a fixture.
for my $base (sort keys %provider_rules) {
	my @unused = grep { /^\Q$base\E:/ && !$ruleline{$_} }
	    sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] } keys %ruleline;
	ok(!@unused, "every rule of $base decides a fixture",
	    map { "no fixture decided by $_" } @unused);
}

# Every fixture has its expected lines.
my @orphans = grep { !$files_expected{$_} } map { s{.*/}{}r } @fixtures;
ok(!@orphans, "every fixture has expected lines",
    map { "$_ is not in expected.tsv" } @orphans);

for my $base (sort keys %provider_rules) {
	(my $prov = $base) =~ s/^02-(.*)\.rules$/$1/;
	my $seen = grep { /^\Q$base\E:/ && $ruleline{$_} } keys %ruleline;
	printf "# %-10s %3d rules, %3d decided by a fixture, %3d fixture recipients\n",
	    $prov, $provider_rules{$base}, $seen, $fixtures_of{$prov} // 0;
}
