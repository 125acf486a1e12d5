# bench/lib.sh - shared by bench/run and the bench/*.sh sections.
#
# bench_record FIGURE MEASURED TARGET VERDICT
#	adds one row to the summary table that bench/run prints at the end
#	(a tab-separated line in $BG_BENCH_RESULTS; nothing when unset, so a
#	section also runs alone).
# bench_verdict VALUE OP LIMIT
#	prints "ok" when VALUE OP LIMIT holds (OP is <, <=, > or >=),
#	"MISSED" when it does not, "n/a" when VALUE is not a number.
# bench_count N
#	N with thousands separators (1000000 -> 1,000,000).

# bench_record - one row of the summary table
bench_record() {
	[ -n "${BG_BENCH_RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$BG_BENCH_RESULTS"
}

# bench_verdict - compare a measured value with its target
bench_verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v !~ /^[0-9]+(\.[0-9]+)?$/) { print "n/a"; exit }
		v += 0; t += 0
		ok = (op == "<") ? v < t : (op == "<=") ? v <= t : \
		    (op == ">") ? v > t : v >= t
		print ok ? "ok" : "MISSED"
	}'
}

# bench_count - a number with thousands separators
bench_count() {
	echo "$1" | awk '{ s = $1; o = ""
		while (length(s) > 3) { o = "," substr(s, length(s) - 2) o
			s = substr(s, 1, length(s) - 3) }
		print s o }'
}
