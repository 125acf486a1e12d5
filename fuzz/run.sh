#!/bin/sh
# run.sh - run each libFuzzer harness for a while ("make fuzz").
#
# run.sh BUILDDIR SECONDS TARGET...
#   For each TARGET, writes the seed corpus (seeds.sh) to
#   BUILDDIR/seeds/TARGET, then runs BUILDDIR/fuzz-TARGET for SECONDS
#   over BUILDDIR/corpus/TARGET (kept between runs, so long runs add up),
#   the seeds and fuzz/regress/TARGET. A finding is written to
#   BUILDDIR/crashes/TARGET/ and makes the exit status 1; the other
#   targets still run. Prints one summary line per target.
#   FUZZ_EXTRA_TARGET=DIR (e.g. FUZZ_EXTRA_bounce=~/bounces) adds a
#   directory of your own inputs to the seeds; it is only read.
set -u
fz=$1 secs=$2
shift 2
status=0

# max_len - the largest input worth trying for a target
max_len() {
	case $1 in
	bounce) echo 65536 ;;
	verp) echo 512 ;;
	lookup) echo 4096 ;;
	*) echo 16384 ;;
	esac
}

for t in "$@"; do
	rm -rf "$fz/seeds/$t"
	sh fuzz/seeds.sh "$t" "$fz/seeds/$t" || exit 2
	mkdir -p "$fz/corpus/$t" "$fz/crashes/$t"
	regress=
	[ -d "fuzz/regress/$t" ] && regress="fuzz/regress/$t"
	eval "extra=\${FUZZ_EXTRA_$t:-}"
	log="$fz/$t.log"
	echo "fuzz: $t for ${secs}s (log: $log)"
	"$fz/fuzz-$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
	    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$fz/crashes/$t/" \
	    "$fz/corpus/$t" "$fz/seeds/$t" $regress $extra > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(ls "$fz/corpus/$t" | wc -l)
	if [ $rc = 0 ]; then
		echo "fuzz: $t: no finding in ${secs}s; ${execs:-?} runs," \
		    "${rate:-?}/s; corpus $units inputs"
	else
		status=1
		echo "fuzz: $t: FINDING (exit $rc); see $log and $fz/crashes/$t/"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: property)' "$log"
		echo "fuzz: fix it, then add the input as fuzz/regress/$t/NAME"
	fi
done
exit $status
