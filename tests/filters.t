#!/usr/bin/perl
# filters.t - the mail filter and blocklist rules (rules/03-*.rules)
# against bounces written around each vendor's documented replies.
#
# Runs "bounceguard parse --json" over tests/fixtures/filters/*.eml with
# the shipped rules of $BG_SRC/rules and an empty site directory, and
# checks every line of tests/fixtures/filters/expected.tsv:
#
#	file  recipient  reason  hard  status  rule-file
#
# the recipient is found, and has that reason, hard flag and status
# ("-": none); rule-file is the rule file that must decide (the file
# part of the "rule" key, "file:line"), or "-" for a control message
# that no 03-*.rules file may decide. An optional seventh field marks a
# known failure that is not the 03 files' doing: the line is reported
# as TAP "# TODO" with that text (visible in every run, not a failure).
# Then checks that every rule line
# of every rules/03-*.rules file decides at least one fixture, so that
# no rule goes untested, and prints the counts per vendor.
# Skips when bounceguard is not built.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

my $src = abs_path($ENV{BG_SRC} // '.');
my $build = $ENV{BG_BUILD} // "$src/build";
my $dir = "$src/tests/fixtures/filters";

unless (-x "$build/bounceguard") {
	print "1..0 # SKIP $build/bounceguard not built\n";
	exit 0;
}

my $tmp = tempdir(CLEANUP => 1);
mkdir("$tmp/site") or die "$tmp/site: $!";
open(my $cf, '>', "$tmp/bounceguard.conf") or die "$tmp: $!";
# parse runs as this user when the test runs as root
print $cf "shipped_rules_dir = $src/rules\nrules_dir = $tmp/site\nuser = nobody\n";
close($cf);

# The expected results.
my @exp;
open(my $ef, '<', "$dir/expected.tsv") or die "expected.tsv: $!";
while (<$ef>) {
	chomp;
	next if /^\s*(#|$)/;
	my @f = split /\t/;
	die "expected.tsv:$.: want 6 or 7 fields, got " . @f . "\n"
	    unless @f == 6 || @f == 7;
	push @exp, { file => $f[0], recipient => $f[1], reason => $f[2],
	    hard => $f[3], status => $f[4], rulefile => $f[5], todo => $f[6],
	    line => $. };
}
close($ef);

# The rule lines of the 03 files: file => { line => rule text }.
my %rules;
for my $path (sort glob("$src/rules/03-*.rules")) {
	(my $base = $path) =~ s{.*/}{};
	open(my $rf, '<', $path) or die "$path: $!";
	while (<$rf>) {
		next if /^\s*(#|$)/;
		chomp;
		$rules{$base}{$.} = $_;
	}
	close($rf);
}

# What the parser says.
my $json = JSON::PP->new;
my %got;
my @files = map { "$dir/$_->{file}" } @exp;
my %seen;
@files = grep { !$seen{$_}++ } @files;
open(my $out, '-|', "$build/bounceguard", '-c', "$tmp/bounceguard.conf",
    'parse', '--json', @files) or die "bounceguard: $!";
while (<$out>) {
	my $r = $json->decode($_);
	(my $f = $r->{file}) =~ s{.*/}{};
	$got{$f}{lc $r->{recipient}} = $r;
}
close($out);
my $exit = $? >> 8;

my $n = 0;
my (%decided, %vendor_total, %vendor_ok);

print "1.." . (1 + @exp + keys(%rules)) . "\n";
print(($exit == 0 ? "ok" : "not ok") . " " . ++$n .
    " - bounceguard parse exits 0 (got $exit)\n");

for my $e (@exp) {
	(my $vendor = $e->{file}) =~ s/-\d+\.eml$//;
	$vendor_total{$vendor}++;
	my $r = $got{$e->{file}}{lc $e->{recipient}};
	my @why;
	if (!$r) {
		push @why, "recipient not found";
	} else {
		my $status = $r->{status} // '-';
		my $hard = $r->{hard} ? 'true' : 'false';
		my ($rfile, $rline) = split /:/, $r->{rule} // '-:';
		push @why, "reason $r->{reason}, want $e->{reason}"
		    if $r->{reason} ne $e->{reason};
		push @why, "hard $hard, want $e->{hard}"
		    if $hard ne $e->{hard};
		push @why, "status $status, want $e->{status}"
		    if $status ne $e->{status};
		if ($e->{rulefile} eq '-') {
			push @why, "decided by $r->{rule}, want no 03 file"
			    if $rfile =~ /^03-/;
		} elsif ($rfile ne $e->{rulefile}) {
			push @why, "decided by " . ($r->{rule} // 'no rule') .
			    ", want $e->{rulefile}";
		}
		$decided{$rfile}{$rline}++ if !@why && $rfile =~ /^03-/;
	}
	$vendor_ok{$vendor}++ unless @why;
	print((@why ? "not ok" : "ok") . " " . ++$n .
	    " - $e->{file} $e->{recipient}: $e->{reason}" .
	    (@why ? " (" . join("; ", @why) . ")" : "") .
	    (defined $e->{todo} ? " # TODO $e->{todo}" : "") . "\n");
}

# Every rule of every 03 file must decide a fixture that passes.
for my $file (sort keys %rules) {
	my @idle = grep { !$decided{$file}{$_} } sort { $a <=> $b }
	    keys %{ $rules{$file} };
	my $count = keys %{ $rules{$file} };
	print((@idle ? "not ok" : "ok") . " " . ++$n .
	    " - every rule of $file decides a fixture ($count rules)" .
	    (@idle ? " (none for line " . join(", ", @idle) . ")" : "") .
	    "\n");
}

for my $v (sort keys %vendor_total) {
	printf "# %-12s %2d/%2d fixtures right\n", $v, $vendor_ok{$v} // 0,
	    $vendor_total{$v};
}
