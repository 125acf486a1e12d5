#!/usr/bin/perl
# corpus-accuracy.t - the parser's accuracy over the Sisimai corpus.
#
# Runs "bounceguard parse --json" over ${BG_CORPUS:-$BG_SRC/../shared/corpus}
# /sisimai/emails and compares with expected.jsonl: recipient, hard,
# reason and status (only where the label carries a real status code, not
# one of Sisimai's X.0.9NN pseudo-codes), and no output for messages the
# labels record no bounced recipient for.
#
# Every figure is printed twice: against the labels as given, and with the
# disputed list tests/corpus-disputed.tsv applied (labels that the
# message's own words contradict; an entry's expected reason becomes its
# verdict, and its expected hard flag follows from that reason as the
# parser's reason_is_hard() would set it; an "absent" entry's row is left
# out; a "notabounce" entry says that a message labelled as no bounce is
# a real report, whose recipient must then come out with the entry's
# verdict). The targets apply to the figures with the list applied, and
# a figure under its target is a plain failure: issue 14's floors
# (recipient 99%, hard 97%, reason 95%, status 99%, no non-bounce taken
# for a bounce). The figures against the labels as given keep floors of
# their own at the level reached, so no change makes them worse
# unnoticed either. The disputed list itself is checked: well-formed, at most 15
# entries, each naming a labelled row of the corpus, and each entry's
# deciding words occurring in its message.
# Skips when the corpus is absent.
# BG_VERBOSE=1 lists every mismatch.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use Encode qw(decode encode);

# The configuration below wants absolute paths.
my $src = abs_path($ENV{BG_SRC} // '.');
my $build = $ENV{BG_BUILD} // "$src/build";
my $corpus = ($ENV{BG_CORPUS} // "$src/../shared/corpus") . "/sisimai";
my $disputed_file = "tests/corpus-disputed.tsv";
my $max_disputed = 15;
my $max_words = 120;
# With the disputed list applied: the issue's floors.
my %target = (recipient => 99, hard => 97, reason => 95, status => 99);
# Reached (disputed list applied) on 2026-12-04; raise these as the
# parser improves, never under the targets.
my %floor = (recipient => 99.5, hard => 97.5, reason => 95, status => 99);
# Against the labels as given, reached on 2026-12-04.
my %floor_given = (recipient => 98.5, hard => 96.5, reason => 92.5,
    status => 98.5);

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
# parse runs as this user when the test runs as root
print $cf "shipped_rules_dir = $src/rules\nrules_dir = $tmp/none\nuser = nobody\n";
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

# reason_names - the parser's reason vocabulary, from its reason table
sub reason_names {
	my $h = "$src/common/mail/reason.h";
	open(my $fh, '<', $h) or die "$h: $!";
	my %names;
	while (<$fh>) {
		$names{$1} = 1 if /^\s*X\(\w+,\s*"(\w+)"\)/;
	}
	die "$h: no reason names found\n" unless %names;
	return \%names;
}

# reason_is_hard - the parser's hard/soft rule, as in common/mail/reason.c
sub reason_is_hard {
	my ($reason, $status, $reply) = @_;
	return 1 if $reason =~ /^(userunknown|hostunknown|hasmoved)$/;
	return 0 unless $reason eq 'notaccept';
	return 1 if defined $status && $status =~ /^5/;
	return 1 if defined $reply && $reply =~ /^5/;
	return !defined $status && !defined $reply ? 1 : 0;
}

# read_disputed - the disputed list, keyed by file and recipient; every
# problem found is returned as "FILE:LINE: text"
sub read_disputed {
	my ($path) = @_;
	my $names = reason_names();
	my (%d, @problems);
	my $fh;
	unless (open($fh, '<:encoding(UTF-8)', $path)) {
		return (\%d, ["$disputed_file: cannot open: $!"], 0);
	}
	my $entries = 0;
	while (my $line = <$fh>) {
		chomp $line;
		$line =~ s/\r$//;
		next if $line =~ /^#/ || $line =~ /^\s*$/;
		my $at = "$disputed_file:$.";
		$entries++;
		my @f = split /\t/, $line, -1;
		if (@f != 5 || grep { $_ eq '' } @f) {
			push @problems, "$at: malformed: want 5 non-empty " .
			    "tab-separated fields (file, recipient, label, " .
			    "verdict, words), got " . scalar(@f);
			next;
		}
		my ($file, $rcpt, $label, $verdict, $words) = @f;
		if ($label eq 'notabounce') {
			my $p = disputed_nonbounce($at, $file, $rcpt, $verdict,
			    $names, \%d);
			if ($p) { push @problems, $p; next }
			$d{"$file\t$rcpt"} = { file => $file, recipient => $rcpt,
			    label => $label, verdict => $verdict,
			    words => encode('UTF-8', $words), at => $at };
			next;
		}
		unless ($exp{$file} && -f "$corpus/emails/$file") {
			push @problems, "$at: $file is not a labelled message " .
			    "of the corpus";
			next;
		}
		unless ($names->{$label}) {
			push @problems, "$at: label \"$label\" is not a reason";
			next;
		}
		unless ($verdict eq 'absent' || $names->{$verdict}) {
			push @problems, "$at: verdict \"$verdict\" is neither " .
			    "a reason nor \"absent\"";
			next;
		}
		if ($verdict eq $label) {
			push @problems, "$at: verdict and label are the same";
			next;
		}
		my ($e) = grep { ($_->{recipient} // '') eq $rcpt }
		    @{ $exp{$file} };
		unless ($e) {
			push @problems, "$at: $file has no labelled recipient $rcpt";
			next;
		}
		unless (($e->{reason} // '') eq $label) {
			push @problems, "$at: $file $rcpt is labelled " .
			    ($e->{reason} // 'null') . ", not $label";
			next;
		}
		if (length($words) > $max_words) {
			push @problems, "$at: deciding words longer than " .
			    "$max_words characters";
			next;
		}
		if ($d{"$file\t$rcpt"}) {
			push @problems, "$at: $file $rcpt listed twice";
			next;
		}
		$d{"$file\t$rcpt"} = { file => $file, recipient => $rcpt,
		    label => $label, verdict => $verdict,
		    words => encode('UTF-8', $words), at => $at, exp => $e };
	}
	close($fh);
	push @problems, "$disputed_file: $entries entries, at most " .
	    "$max_disputed allowed" if $entries > $max_disputed;
	return (\%d, \@problems, $entries);
}

# disputed_nonbounce - the problem with an entry that disputes a "not a
# bounce" label (the labels' index 0 row), or undef. Its verdict is the
# reason the parser should give the recipient the message names.
sub disputed_nonbounce {
	my ($at, $file, $rcpt, $verdict, $names, $d) = @_;
	return "$at: $file is not labelled as a non-bounce"
	    unless $nonbounce{$file} && -f "$corpus/emails/$file";
	return "$at: verdict \"$verdict\" is not a reason"
	    unless $names->{$verdict};
	return "$at: $file $rcpt listed twice" if $d->{"$file\t$rcpt"};
	return undef;
}

my ($disputed, $problems, $nentries) = read_disputed("$src/$disputed_file");

# real_status - a label status that is not a Sisimai pseudo-code
sub real_status {
	my ($s) = @_;
	return 0 unless defined $s;
	my ($c, $sub, $det) = split /\./, $s;
	return $sub ne '0' || $det < 900;
}

sub fmt { defined $_[0] ? $_[0] : 'null' }

# The labellers' placeholder for a report that names no recipient at all
# (the corpus README): a row reported with no recipient (null) matches it.
my $placeholder = 'undisclosed-recipient-in-headers@libsisimai.org.invalid';

# find_got - the parser's row for a labelled row
sub find_got {
	my ($e, $g) = @_;
	if (defined $e->{recipient} && $e->{recipient} eq $placeholder) {
		my ($null) = grep { !defined $_->{recipient} } @$g;
		return $null if $null;
	}
	return (grep { ($_->{recipient} // '') eq $e->{recipient} } @$g)[0]
	    if defined $e->{recipient};
	return $g->[$e->{index} - 1];
}

# score - the figures over all labelled rows; with $apply the disputed
# list is applied
sub score {
	my ($apply) = @_;
	my %s = (n => { map { $_ => 0 } qw(recipient hard reason status) },
	    miss => [], status_missing => 0);
	$s{total} = { %{ $s{n} } };
	for my $file (sort keys %exp) {
		my @g = @{ $got{$file} // [] };
		for my $e (@{ $exp{$file} }) {
			my $d = $disputed->{"$file\t" . ($e->{recipient} // '')};
			my ($want_reason, $want_hard) = ($e->{reason} // '',
			    $e->{hard} ? 1 : 0);
			my $note = '';
			if ($d) {
				$note = " [disputed: $d->{verdict}]";
				if ($apply) {
					next if $d->{verdict} eq 'absent';
					$want_reason = $d->{verdict};
					$want_hard = reason_is_hard($want_reason,
					    $e->{status}, $e->{reply_code});
				}
			}
			my $g = find_got($e, \@g);
			$s{total}{$_}++ for qw(recipient hard reason);
			my $rs = real_status($e->{status});
			$s{total}{status}++ if $rs;
			unless ($g) {
				$s{status_missing}++ if $rs;
				push @{ $s{miss} }, "$file: recipient " .
				    fmt($e->{recipient}) . " not found (got " .
				    join(',', map { fmt($_->{recipient}) } @g) .
				    ")$note";
				next;
			}
			$s{n}{recipient}++;
			$s{n}{hard}++ if ($g->{hard} ? 1 : 0) == $want_hard;
			if ($g->{reason} eq $want_reason) {
				$s{n}{reason}++;
			} else {
				push @{ $s{miss} }, "$file: reason got " .
				    "$g->{reason} want " . fmt($e->{reason}) .
				    "$note (status " . fmt($g->{status}) .
				    " rule " . fmt($g->{rule}) . ") " .
				    substr(fmt($g->{diagnostic}), 0, 160);
			}
			if ($rs) {
				if (fmt($g->{status}) eq $e->{status}) {
					$s{n}{status}++;
				} else {
					push @{ $s{miss} }, "$file: status got " .
					    fmt($g->{status}) . " want $e->{status}";
				}
			}
		}
	}
	return \%s;
}

# pct - a figure in percent
sub pct {
	my ($s, $k) = @_;
	return $s->{total}{$k} ? 100 * $s->{n}{$k} / $s->{total}{$k} : 0;
}

# fold - text for comparing quotes: lower case, white space folded
sub fold {
	my ($t) = @_;
	$t = lc($t // '');
	$t =~ s/\s+/ /ag;
	$t =~ s/^ | $//g;
	return $t;
}

# words_found - the entry's deciding words occur in its message: in the
# recipient's decoded diagnostic, the file's other diagnostics, or the
# raw message
sub words_found {
	my ($d) = @_;
	my $w = fold($d->{words});
	my @g = @{ $got{$d->{file}} // [] };
	my @mine = grep { ($_->{recipient} // '') eq $d->{recipient} } @g;
	for my $r (@mine, @g) {
		return 1 if index(fold($r->{diagnostic}), $w) >= 0;
	}
	open(my $fh, '<:raw', "$corpus/emails/$d->{file}") or return 0;
	local $/;
	my $raw = <$fh>;
	close($fh);
	return index(fold($raw), $w) >= 0;
}

my $given = score(0);
my $applied = score(1);

# A non-bounce label disputed by an entry is a bounce whose recipient
# must be found with the entry's verdict; the others must give nothing.
my ($quiet, $quiet_given, $nonbounce_disputed) = (0, 0, 0);
my @nonbounce_miss;
for my $file (sort keys %nonbounce) {
	my @g = @{ $got{$file} // [] };
	my @d = grep { $_->{file} eq $file && $_->{label} eq 'notabounce' }
	    values %$disputed;
	$quiet_given++ unless @g;
	if (@d) {
		$nonbounce_disputed++;
		my $right = !grep { my $e = $_; !grep {
		    ($_->{recipient} // '') eq $e->{recipient} &&
		    $_->{reason} eq $e->{verdict} } @g } @d;
		$quiet++ if $right;
		push @nonbounce_miss, "$file: disputed non-bounce, the " .
		    "parser does not give the entry's verdict" unless $right;
	} elsif (@g) {
		push @nonbounce_miss, "$file: not a bounce, got output";
	} else {
		$quiet++;
	}
}

print "1..15\n";
my $t = 0;
for my $k (qw(recipient hard reason status)) {
	my $p = pct($applied, $k);
	printf "%s %d - %s correct, disputed list applied: %d/%d = %.1f%% " .
	    "(target %d%%)\n", $p >= $target{$k} ? 'ok' : 'not ok', ++$t,
	    $k, $applied->{n}{$k}, $applied->{total}{$k}, $p, $target{$k};
	printf "%s %d - %s correct, disputed list applied: %.1f%% is not " .
	    "under the floor of %.1f%%\n", $p >= $floor{$k} ? 'ok' : 'not ok',
	    ++$t, $k, $p, $floor{$k};
	my $pg = pct($given, $k);
	printf "%s %d - %s correct, labels as given: %d/%d = %.1f%% is not " .
	    "under the floor of %.1f%%\n", $pg >= $floor_given{$k} ? 'ok' :
	    'not ok', ++$t, $k, $given->{n}{$k}, $given->{total}{$k}, $pg,
	    $floor_given{$k};
}
# The same figures over the recipients found only: a missing recipient
# is already counted against the recipient figure.
for my $s ([$given, 'labels as given'], [$applied, 'disputed list applied']) {
	my ($f, $what) = @$s;
	my $found = $f->{n}{recipient} || 1;
	my $nstatus = ($f->{total}{status} - $f->{status_missing}) || 1;
	printf "# %s, over the %d recipients found: hard %.1f%%, " .
	    "reason %.1f%%, status %.1f%% (%d/%d)\n", $what,
	    $f->{n}{recipient}, 100 * $f->{n}{hard} / $found,
	    100 * $f->{n}{reason} / $found,
	    100 * $f->{n}{status} / $nstatus, $f->{n}{status},
	    $f->{total}{status} - $f->{status_missing};
}
printf "%s %d - no non-bounce taken for a bounce, disputed list " .
    "applied: %d/%d right (%d disputed: real reports, read with the " .
    "entry's verdict)\n", $quiet == keys %nonbounce ? 'ok' : 'not ok', ++$t,
    $quiet, scalar keys %nonbounce, $nonbounce_disputed;
print "# $_\n" for @nonbounce_miss;
printf "# labels as given: %d/%d non-bounces give no output\n",
    $quiet_given, scalar keys %nonbounce;

printf "%s %d - %s is well-formed: %d entries, at most %d\n",
    @$problems ? 'not ok' : 'ok', ++$t, $disputed_file, $nentries,
    $max_disputed;
print "# $_\n" for @$problems;

my @unquoted = grep { !words_found($_) }
    map { $disputed->{$_} } sort keys %$disputed;
printf "%s %d - every disputed entry's deciding words occur in its " .
    "message%s\n", @unquoted ? 'not ok' : 'ok', ++$t,
    @unquoted ? ': ' . scalar(@unquoted) . ' do not' : '';
print "# $_->{at}: \"$_->{words}\" not found in $_->{file}\n" for @unquoted;

# The disputed entries the parser already answers by the verdict: for an
# absent recipient, it reports no such recipient.
for my $key (sort keys %$disputed) {
	my $d = $disputed->{$key};
	my @g = @{ $got{$d->{file}} // [] };
	my ($g) = grep { ($_->{recipient} // '') eq $d->{recipient} } @g;
	next if $d->{label} eq 'notabounce';
	my $right = $d->{verdict} eq 'absent' ? !$g :
	    ($g && $g->{reason} eq $d->{verdict});
	print "# disputed, parser gives the verdict: $d->{file} " .
	    "$d->{recipient}: labelled $d->{label}, verdict $d->{verdict}\n"
	    if $right;
}

if ($ENV{BG_VERBOSE}) {
	print "# $_\n" for @{ $given->{miss} };
}
