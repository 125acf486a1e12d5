#!/usr/bin/perl
# corpus-accuracy.t - the parser's accuracy over the Sisimai corpus.
#
# Runs "bounceguard parse --json" over ${BG_CORPUS:-$BG_SRC/../shared/corpus}
# /sisimai/emails and compares with expected.jsonl: recipient, hard,
# reason and status (only where the label carries a real status code, not
# one of Sisimai's X.0.9NN pseudo-codes), and no output for messages the
# labels record no bounced recipient for. Prints the figures. A figure
# under its target is reported "not ok ... # TODO" (TAP's mark for a known,
# unmet goal: visible in every run, but not a failure) until the parser
# reaches it; a figure under its floor (the level already reached) is a
# plain failure, so no change can make the parser worse unnoticed.
# Skips when the corpus is absent.
# BG_VERBOSE=1 lists every mismatch.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

# The configuration below wants absolute paths.
my $src = abs_path($ENV{BG_SRC} // '.');
my $build = $ENV{BG_BUILD} // "$src/build";
my $corpus = ($ENV{BG_CORPUS} // "$src/../shared/corpus") . "/sisimai";
my %target = (recipient => 98, hard => 98, reason => 95, status => 98);
# Reached on 2026-11-24; raise these as the parser improves.
my %floor = (recipient => 98.3, hard => 95.3, reason => 91.3, status => 98);

unless (-f "$corpus/expected.jsonl" && -d "$corpus/emails") {
	print "1..0 # SKIP corpus not found at $corpus\n";
	exit 0;
}

unless (-x "$build/bounceguard") {
	print "1..0 # SKIP $build/bounceguard not built\n";
	exit 0;
}

my $tmp = tempdir(CLEANUP => 1);
open(my $cf, '>', "$tmp/bounceguard.conf") or die "$tmp: $!";
print $cf "shipped_rules_dir = $src/rules\nrules_dir = $tmp/none\n";
close($cf);

my $json = JSON::PP->new;
my (%exp, %nonbounce, %got);
open(my $ef, '<', "$corpus/expected.jsonl") or die "expected.jsonl: $!";
while (<$ef>) {
	my $e = $json->decode($_);
	if ($e->{index} == 0) { $nonbounce{$e->{file}} = 1; next }
	push @{ $exp{$e->{file}} }, $e;
}
close($ef);

open(my $out, '-|', "$build/bounceguard -c '$tmp/bounceguard.conf' parse " .
    "--json '$corpus/emails' 2>'$tmp/stderr'") or die "bounceguard: $!";
while (<$out>) {
	my $r = $json->decode($_);
	(my $f = $r->{file}) =~ s{.*/}{};
	push @{ $got{$f} }, $r;
}
# A parser that failed outright would print nothing and pass the
# non-bounce check: its exit status and its stderr decide that first.
unless (close($out)) {
	open(my $err, '<', "$tmp/stderr");
	print "1..1\nnot ok 1 - bounceguard parse failed (exit " . ($? >> 8) .
	    ")\n", map({ "# $_" } <$err>);
	exit 1;
}

my %n = map { $_ => 0 } qw(recipient hard reason status);
my %total = %n;
my @miss;
my $status_missing = 0;

# real_status - a label status that is not a Sisimai pseudo-code
sub real_status {
	my ($s) = @_;
	return 0 unless defined $s;
	my ($c, $sub, $det) = split /\./, $s;
	return $sub ne '0' || $det < 900;
}

sub fmt { defined $_[0] ? $_[0] : 'null' }

for my $file (sort keys %exp) {
	my @e = @{ $exp{$file} };
	my @g = @{ $got{$file} // [] };
	for my $e (@e) {
		my $g;
		if (defined $e->{recipient}) {
			($g) = grep { ($_->{recipient} // '') eq $e->{recipient} } @g;
		} else {
			$g = $g[$e->{index} - 1];
		}
		$total{$_}++ for qw(recipient hard reason);
		my $rs = real_status($e->{status});
		$total{status}++ if $rs;
		unless ($g) {
			$status_missing++ if $rs;
			push @miss, "$file: recipient " . fmt($e->{recipient}) .
			    " not found (got " . join(',', map { fmt($_->{recipient}) } @g) . ")";
			next;
		}
		$n{recipient}++;
		$n{hard}++ if ($g->{hard} ? 1 : 0) == ($e->{hard} ? 1 : 0);
		if ($g->{reason} eq ($e->{reason} // '')) {
			$n{reason}++;
		} else {
			push @miss, "$file: reason got $g->{reason} want " .
			    fmt($e->{reason}) . " (status " . fmt($g->{status}) .
			    " rule " . fmt($g->{rule}) . ") " .
			    substr(fmt($g->{diagnostic}), 0, 160);
		}
		if ($rs) {
			if (fmt($g->{status}) eq $e->{status}) {
				$n{status}++;
			} else {
				push @miss, "$file: status got " . fmt($g->{status}) .
				    " want $e->{status}";
			}
		}
	}
}
my $quiet = 0;
for my $file (sort keys %nonbounce) {
	if (@{ $got{$file} // [] }) {
		push @miss, "$file: not a bounce, got output";
	} else {
		$quiet++;
	}
}

print "1..9\n";
my $t = 0;
for my $k (qw(recipient hard reason status)) {
	my $pct = $total{$k} ? 100 * $n{$k} / $total{$k} : 0;
	printf "%s %d - %s correct: %d/%d = %.1f%% (target %d%%)%s\n",
	    $pct >= $target{$k} ? 'ok' : 'not ok', ++$t,
	    $k, $n{$k}, $total{$k}, $pct, $target{$k},
	    $pct >= $target{$k} ? '' : ' # TODO target not reached yet';
	printf "%s %d - %s correct: %.1f%% is not under the floor of %.1f%%\n",
	    $pct >= $floor{$k} ? 'ok' : 'not ok', ++$t, $k, $pct, $floor{$k};
}
# The same figures over the recipients found only: a missing recipient
# is already counted against the recipient figure.
my %found = (hard => $n{hard}, reason => $n{reason}, status => $n{status});
my $nstatus_found = $total{status} - $status_missing;
printf "# over the %d recipients found: hard %.1f%%, reason %.1f%%, " .
    "status %.1f%% (%d/%d)\n", $n{recipient},
    100 * $n{hard} / ($n{recipient} || 1),
    100 * $n{reason} / ($n{recipient} || 1),
    100 * $n{status} / ($nstatus_found || 1), $n{status}, $nstatus_found;
printf "%s 9 - no output for non-bounces: %d/%d%s\n",
    $quiet == keys %nonbounce ? 'ok' : 'not ok', $quiet,
    scalar keys %nonbounce, $quiet == keys %nonbounce ? '' :
    ' # TODO the labels skip three real reports: a failure notice ' .
    '(452 4.3.1 at DATA), a DSN whose fields have a blank before the ' .
    'colon, and a delay warning (other delay warnings are labelled expired)';
if ($ENV{BG_VERBOSE}) {
	print "# $_\n" for @miss;
}
