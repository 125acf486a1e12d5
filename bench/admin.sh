#!/bin/sh
# bench/admin.sh - the administrator's tool with 1,000,000 addresses.
#
# Run by bench/run. Generates a CSV of BG_BENCH_ADDRESSES (default
# 1000000) addresses over 1000 domains, imports it into an empty store
# (timed), adds 30 days of counters for every domain and 50 history events
# for one address (bench_admin_fill, not timed), then times dump, dump
# --json, export, stats and show. Each figure is printed next to its target;
# show is a median, as one run is too short to time on a busy machine.
# As root the store belongs to BG_BENCH_USER (default nobody), as it would
# belong to the configured user in production.

set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
: "${BG_BENCH_ADDRESSES:=1000000}"
. "$BG_SRC/bench/lib.sh"

bg=$BG_BUILD/bounceguard
fill=$BG_BUILD/bench/bench_admin_fill

# ms_now - milliseconds since the epoch
ms_now() {
	date +%s%3N
}

# report NAME START_MS TARGET_MS [DIVISOR [TABLE-ROW]] - one figure against
# its target, also in the summary table when TABLE-ROW names it
report() {
	end=$(ms_now)
	div=${4:-1}
	awk -v n="$1" -v ms="$(( (end - $2) ))" -v t="$3" -v d="$div" 'BEGIN {
		v = ms / d
		unit = (t >= 1000) ? "s" : "ms"
		f = (t >= 1000) ? 1000 : 1
		printf "admin: %-34s %8.2f %s   (target < %g %s) %s\n", n, v / f,
		    unit, t / f, unit, (v < t) ? "ok" : "SLOW"
		printf "%.2f %s\t< %g %s\t%s\n", v / f, unit, t / f, unit,
		    (v < t) ? "ok" : "MISSED" > "/dev/stderr"
	}' 2> "$dir/row"
	[ -z "${5:-}" ] || bench_record "$5" "$(cut -f1 "$dir/row")" \
	    "$(cut -f2 "$dir/row")" "$(cut -f3 "$dir/row")"
}

bench_admin() {
	if [ ! -x "$bg" ] || [ ! -x "$fill" ]; then
		echo "admin: skipped (bounceguard or bench_admin_fill not built)"
		return 0
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bg-bench-admin-XXXXXX") || return 1
	chmod 755 "$dir"
	mkdir "$dir/store"
	user=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		user=${BG_BENCH_USER:-nobody}
		chown "$user" "$dir/store"
	fi
	printf 'store_dir = %s/store\nuser = %s\nstore_cache_size = 64M\n' \
	    "$dir" "$user" > "$dir/bounceguard.conf"
	n=$BG_BENCH_ADDRESSES
	awk -v n="$n" 'BEGIN {
		print "address,reason,date"
		for (i = 0; i < n; i++)
			printf "user%d@domain%d.example,userunknown,2026-%02d-%02d\n",
			    i, i % 1000, 1 + i % 12, 1 + i % 28
	}' > "$dir/list.csv"
	c="-c $dir/bounceguard.conf"
	echo "admin: $n addresses over 1000 domains in $dir"

	t=$(ms_now); $bg $c import "$dir/list.csv" > "$dir/import.out" 2>&1
	report "import $n lines" "$t" 60000 1 \
	    "admin, import of $(bench_count "$n") lines"
	tail -n 1 "$dir/import.out" | sed 's/^/admin:   /'
	BG_BENCH_USER=$user "$fill" "$dir/store" 1000 30 user5@domain5.example 50

	t=$(ms_now); $bg $c dump > "$dir/dump.tsv"
	report "dump ($(($(wc -l < "$dir/dump.tsv") - 1)) rows)" "$t" 10000 1 \
	    "admin, dump of $(bench_count "$n") addresses"
	t=$(ms_now); $bg $c dump --json > /dev/null
	report "dump --json" "$t" 10000 1 "admin, dump --json"
	t=$(ms_now); $bg $c dump --suppressed --domain domain7.example > /dev/null
	report "dump --domain (filtered)" "$t" 10000
	t=$(ms_now); $bg $c export > /dev/null
	report "export" "$t" 10000
	t=$(ms_now); $bg $c stats --days 30 > "$dir/stats.out"
	report "stats --days 30 (1000 domains)" "$t" 5000 1 \
	    "admin, stats (1,000 domains, 30 days)"
	i=0
	while [ $i -lt 21 ]; do
		t0=$(date +%s%N)
		$bg $c show user5@domain5.example > /dev/null
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END {
		printf "admin: %-34s %8.2f ms   (target < 10 ms) %s\n",
		    "show (50 events, median of 21)", v[11] / 1000,
		    (v[11] < 10000) ? "ok" : "SLOW"
		printf "admin:   show: fastest %.2f ms, slowest %.2f ms\n",
		    v[1] / 1000, v[21] / 1000
		printf "%.2f\n", v[11] / 1000 > "/dev/stderr"
	}' 2> "$dir/row"
	bench_record "admin, show (median of 21)" "$(cat "$dir/row") ms" \
	    "< 10 ms" "$(bench_verdict "$(cat "$dir/row")" '<' 10)"
	t=$(ms_now); $bg $c version > /dev/null
	report "for scale: bounceguard version" "$t" 10
	t=$(ms_now); $bg $c import "$dir/list.csv" > "$dir/import.out" 2>&1
	report "import again (all unchanged)" "$t" 60000
	rm -rf "$dir"
}

bench_admin
