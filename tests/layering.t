#!/usr/bin/perl
# layering.t - the libraries of common/ depend one way, as the Makefile's
# LIB_ORDER states: a library includes only its own headers and the
# public headers (lib<name>.h) of the libraries below it; the programs
# include only public headers; no two modules of a library include each
# other's headers; and, on the built objects, no chain of calls between
# the object files of common/ comes back to where it started.
use strict;
use warnings;

my $src = $ENV{BG_SRC} // '.';
my $build = $ENV{BG_BUILD} // "$src/build";
my $n = 0;
my $failed = 0;

sub ok {
	my ($ok, $name, @why) = @_;
	$n++;
	print(($ok ? "ok" : "not ok"), " $n - $name\n");
	print "#   $_\n" for @why;
	$failed++ unless $ok;
}

# The order, from the Makefile itself.
open(my $mk, '<', "$src/Makefile") or die "Bail out! $src/Makefile: $!\n";
my ($order) = grep { /^LIB_ORDER\s*:=/ } <$mk>;
close($mk);
die "Bail out! no LIB_ORDER in $src/Makefile\n" unless $order;
$order =~ s/^LIB_ORDER\s*:=\s*//;
my @libs = split(' ', $order);
my %rank = map { $libs[$_] => $_ } 0 .. $#libs;

opendir(my $cd, "$src/common") or die "Bail out! $src/common: $!\n";
my @dirs = sort grep { -d "$src/common/$_" && !/^\./ } readdir($cd);
closedir($cd);
my @unlisted = grep { !exists $rank{$_} } @dirs;
ok(!@unlisted, "every folder of common/ is a library in LIB_ORDER",
    map { "common/$_ is not in LIB_ORDER" } @unlisted);

sub files_of {
	my ($dir) = @_;
	opendir(my $d, $dir) or return ();
	my @f = sort grep { /\.[ch]$/ } readdir($d);
	closedir($d);
	return @f;
}

# includes(PATH): the quoted includes of a file, with their line numbers
sub includes {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "Bail out! $path: $!\n";
	my @inc;
	while (<$fh>) {
		push(@inc, [$1, $.]) if /^\s*#\s*include\s+"([^"]+)"/;
	}
	close($fh);
	return @inc;
}

my %home;	# header name -> library
for my $lib (@libs) {
	$home{$_} = $lib for grep { /\.h$/ } files_of("$src/common/$lib");
}

for my $lib (@libs) {
	my $dir = "$src/common/$lib";
	my @bad;
	ok(-f "$dir/lib$lib.h", "common/$lib has its public header lib$lib.h");
	for my $f (files_of($dir)) {
		for my $i (includes("$dir/$f")) {
			my ($h, $line) = @$i;
			next if -f "$dir/$h";
			next if $h eq 'tap.h' && $f =~ /^test-/;
			if ($h =~ /^lib(\w+)\.h$/ && exists $rank{$1}) {
				push(@bad, "common/$lib/$f:$line includes $h, " .
				    "a library not below $lib")
				    if $rank{$1} >= $rank{$lib};
				next;
			}
			my $where = $home{$h} ? "common/$home{$h}/" : '';
			push(@bad, "common/$lib/$f:$line includes $where$h, " .
			    "not its own and not a public lib*.h header");
		}
	}
	ok(!@bad, "common/$lib includes only its own headers and those of " .
	    "the libraries below it", @bad);
}

for my $prog (qw(admin pipe milter)) {
	my @bad;
	for my $f (files_of("$src/$prog")) {
		for my $i (includes("$src/$prog/$f")) {
			my ($h, $line) = @$i;
			push(@bad, "$prog/$f:$line includes $h of common/$home{$h}")
			    if $home{$h} && $h !~ /^lib\w+\.h$/;
		}
	}
	ok(!@bad, "$prog/ includes only the libraries' public headers", @bad);
}

# cycles(GRAPH): the strongly connected parts of more than one node
sub cycles {
	my ($g) = @_;
	my (%index, %low, %on, @stack, @found);
	my $next = 0;
	my $visit;
	$visit = sub {
		my ($v) = @_;
		$index{$v} = $low{$v} = $next++;
		push(@stack, $v);
		$on{$v} = 1;
		for my $w (@{$g->{$v} // []}) {
			if (!exists $index{$w}) {
				$visit->($w);
				$low{$v} = $low{$w} if $low{$w} < $low{$v};
			} elsif ($on{$w} && $index{$w} < $low{$v}) {
				$low{$v} = $index{$w};
			}
		}
		return if $low{$v} != $index{$v};
		my @part;
		my $w;
		do {
			$w = pop(@stack);
			delete $on{$w};
			push(@part, $w);
		} while ($w ne $v);
		push(@found, [sort @part]) if @part > 1;
	};
	$visit->($_) for grep { !exists $index{$_} } sort keys %$g;
	return @found;
}

# Module A uses module B when A.c or A.h includes B.h; a module without a
# .c file (an internals header) is no node.
for my $lib (@libs) {
	my $dir = "$src/common/$lib";
	my %mod = map { /^(.*)\.c$/ ? ($1 => 1) : () } files_of($dir);
	my %g;
	for my $m (keys %mod) {
		for my $f (grep { -f "$dir/$_" } ("$m.c", "$m.h")) {
			for my $i (includes("$dir/$f")) {
				(my $b = $i->[0]) =~ s/\.h$//;
				push(@{$g{$m}}, $b) if $mod{$b} && $b ne $m;
			}
		}
	}
	my @c = cycles(\%g);
	ok(!@c, "common/$lib: no two modules include each other's headers",
	    map { "circle: " . join(' <-> ', @$_) } @c);
}

# The same on the objects: A uses B when A.o refers to a symbol B.o defines.
my @objs = sort glob("$build/common/*/*.o");
if (!@objs || system('nm --version >/dev/null 2>&1') != 0) {
	print "ok ", ++$n, " # skip no objects in $build/common or no nm\n";
} else {
	my (%def, %ref);
	for my $o (@objs) {
		for (`nm $o`) {
			my @w = split;
			if (@w == 3 && $w[1] =~ /^[TDBR]$/) {
				$def{$w[2]} = $o;
			} elsif (@w == 2 && $w[0] eq 'U') {
				push(@{$ref{$o}}, $w[1]);
			}
		}
	}
	my %g;
	for my $o (@objs) {
		my %to = map { ($def{$_} && $def{$_} ne $o) ? ($def{$_} => 1) : () }
		    @{$ref{$o} // []};
		$g{$o} = [sort keys %to];
	}
	my @c = cycles(\%g);
	s|^\Q$build\E/||g for map { @$_ } @c;
	ok(!@c, "no circle of calls between the objects of common/ (" .
	    scalar(@objs) . " objects)",
	    map { "circle: " . join(' <-> ', @$_) } @c);
}

print "1..$n\n";
exit($failed ? 1 : 0);
