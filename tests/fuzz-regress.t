#!/bin/sh
# fuzz-regress.t - every input the fuzzers ever crashed on, and every seed,
# still runs cleanly through its harness.
#
# For each fuzz target (bounce, verp, config, rules, lookup), the harness
# built with fuzz/replay.c instead of libFuzzer ($BG_BUILD/fuzz-replay/
# fuzz-TARGET) is run over fuzz/regress/TARGET/ (the findings, kept as
# regression inputs) and over the seed corpus fuzz/seeds.sh writes from
# the project's fixtures. The harnesses check properties (round trips,
# answers in the right protocol, lower-cased recipients) and abort when
# one fails; under "make check SANITIZE=1" ASan and UBSan watch as well.
# One TAP line per target and input set.
#
# Environment: BG_SRC, the source tree; BG_BUILD, the build directory.

src=${BG_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
build=${BG_BUILD:-$src/build}
targets="bounce verp config rules lookup"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-regress.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$src" || exit 1

echo "1..10"
n=0
for t in $targets; do
	bin=$build/fuzz-replay/fuzz-$t
	for set in regress seeds; do
		n=$((n + 1))
		if [ $set = regress ]; then
			dir=fuzz/regress/$t
		else
			dir=$tmp/seeds-$t
			sh fuzz/seeds.sh "$t" "$dir"
		fi
		count=$(ls "$dir" 2>/dev/null | wc -l)
		if [ ! -x "$bin" ]; then
			echo "not ok $n - $t: $bin not built"
		elif [ "$count" = 0 ]; then
			echo "ok $n - $t: no $set inputs # skip none recorded"
		elif TMPDIR=$tmp "$bin" "$dir" > "$tmp/out" 2>&1; then
			echo "ok $n - $t: $count $set inputs run cleanly"
		else
			echo "not ok $n - $t: $set input failed"
			tail -n 15 "$tmp/out" | sed 's/^/# /'
		fi
	done
done
