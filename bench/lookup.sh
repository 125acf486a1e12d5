#!/bin/sh
# bench/lookup.sh - suppression lookup time at 1,000,000 and 10,000,000
# suppressed addresses, run by bench/run.
#
# For each size the store is built once with "bounceguard import" (the
# import time is printed; it is the admin tool's figure at that size) and
# kept in ${BG_BENCH_DIR:-/var/tmp/bounceguard-bench}/lookup-SIZE for the
# next run. bench_lookup then makes BG_BENCH_LOOKUPS (default 200,000)
# store_lookup() calls, the milter's call at RCPT TO, half of them for
# suppressed addresses, with store_cache_size = 512M (what a site with
# millions of suppressions should configure; the default is 32M). There
# is no target of its own in the issues; the milter's 5,000 messages/s
# leave 200 us per message, which is the bound shown.
# BG_BENCH_LOOKUP_SIZES overrides the sizes (e.g. "1000000" alone).
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
. "$BG_SRC/bench/lib.sh"
CACHE=${BG_BENCH_DIR:-/var/tmp/bounceguard-bench}
SIZES=${BG_BENCH_LOOKUP_SIZES:-1000000 10000000}
N=${BG_BENCH_LOOKUPS:-200000}
bg=$BG_BUILD/bounceguard
bl=$BG_BUILD/bench/bench_lookup

for f in "$bg" "$bl"; do
	[ -x "$f" ] || { echo "lookup: skipped ($f not built)"; exit 0; }
done
# As root the stores belong to BG_BENCH_USER (default nobody), as they
# would belong to the configured user in production.
user=$(id -un)
as_user=
if [ "$(id -u)" = 0 ]; then
	user=${BG_BENCH_USER:-nobody}
	as_user="setpriv --reuid=$user --regid=$(id -g "$user") --clear-groups --"
fi

# lookup_store SIZE - the directory of a store holding SIZE suppressions
lookup_store() {
	d=$CACHE/lookup-$1
	if [ ! -f "$d/imported" ]; then
		rm -rf "$d"
		mkdir -p "$d/store" || return 1
		chown "$user" "$d/store" || return 1
		printf 'store_dir = %s/store\nuser = %s\nstore_cache_size = 512M\n' \
		    "$d" "$user" > "$d/bounceguard.conf"
		echo "lookup: importing $1 suppressed addresses into $d (once)" >&2
		t0=$(date +%s)
		awk -v n="$1" 'BEGIN {
			print "address,reason,date"
			for (i = 0; i < n; i++)
				printf "u%d@example.net,userunknown,2026-01-01\n", i
		}' | "$bg" -c "$d/bounceguard.conf" import - > "$d/import.out" 2>&1 ||
		    { cat "$d/import.out" >&2; return 1; }
		echo "lookup: imported in $(( $(date +%s) - t0 )) s" >&2
		touch "$d/imported"
	fi
	echo "$d/store"
}

for size in $SIZES; do
	store=$(lookup_store "$size") || { echo "lookup: $size: cannot build the store"; continue; }
	out=$($as_user "$bl" "$store" 536870912 "$size" 'u%u@example.net' "$N") ||
	    { echo "lookup: $size: $out"; continue; }
	echo "$out"
	med=$(echo "$out" | sed -n 's/.*median \([0-9.]*\) us.*/\1/p')
	p99=$(echo "$out" | sed -n 's/.*p99 \([0-9.]*\) us.*/\1/p')
	bench_record "suppression lookup, $(bench_count "$size") addresses" \
	    "$med us (p99 $p99 us)" "< 200 us" "$(bench_verdict "$med" '<' 200)"
done
