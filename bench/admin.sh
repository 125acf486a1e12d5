#!/bin/sh
# bench/admin.sh - the administrator's tool with 1,000,000 addresses.
#
# Run by bench/run. Generates a CSV of BG_BENCH_ADDRESSES (default
# 1000000) addresses over 1000 domains, imports it into an empty store
# (timed), adds 30 days of counters for every domain and 50 history events
# for one address (bench_admin_fill, not timed), then times dump, dump
# --json, export, stats and show. Each figure is printed next to its target.
# As root the store belongs to BG_BENCH_USER (default nobody), as it would
# belong to the configured user in production.

set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
: "${BG_BENCH_ADDRESSES:=1000000}"

bg=$BG_BUILD/bounceguard
fill=$BG_BUILD/bench/bench_admin_fill

# ms_now - milliseconds since the epoch
ms_now() {
	date +%s%3N
}

# report NAME START_MS TARGET_MS [DIVISOR] - one figure against its target
report() {
	end=$(ms_now)
	div=${4:-1}
	awk -v n="$1" -v ms="$(( (end - $2) ))" -v t="$3" -v d="$div" 'BEGIN {
		v = ms / d
		unit = (t >= 1000) ? "s" : "ms"
		f = (t >= 1000) ? 1000 : 1
		printf "admin: %-34s %8.2f %s   (target < %g %s) %s\n", n, v / f,
		    unit, t / f, unit, (v < t) ? "ok" : "SLOW"
	}'
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
	report "import $n lines" "$t" 60000
	tail -n 1 "$dir/import.out" | sed 's/^/admin:   /'
	BG_BENCH_USER=$user "$fill" "$dir/store" 1000 30 user5@domain5.example 50

	t=$(ms_now); $bg $c dump > "$dir/dump.tsv"
	report "dump ($(($(wc -l < "$dir/dump.tsv") - 1)) rows)" "$t" 10000
	t=$(ms_now); $bg $c dump --json > /dev/null
	report "dump --json" "$t" 10000
	t=$(ms_now); $bg $c dump --suppressed --domain domain7.example > /dev/null
	report "dump --domain (filtered)" "$t" 10000
	t=$(ms_now); $bg $c export > /dev/null
	report "export" "$t" 10000
	t=$(ms_now); $bg $c stats --days 30 > "$dir/stats.out"
	report "stats --days 30 (1000 domains)" "$t" 5000
	t=$(ms_now)
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		$bg $c show user5@domain5.example > /dev/null
	done
	report "show (50 events, mean of 20)" "$t" 10 20
	t=$(ms_now); $bg $c import "$dir/list.csv" > "$dir/import.out" 2>&1
	report "import again (all unchanged)" "$t" 60000
	rm -rf "$dir"
}

bench_admin
