#!/bin/sh
# milter-chaos.t - bounceguard-milter through 10,000 milter connections
# from the chaos client (bench/milter_client.c -X): messages stamped
# (one recipient) or given a token (several), recipients refused,
# messages aborted (SMFIC_ABORT), QUIT in the middle of a message, and
# connections dropped without QUIT at random points, even inside a
# packet and before the end-of-message reply is read. The daemon must
# not crash, must keep answering, and its resident memory after 10,000
# connections must be within a small bound of what it was after 1,000.
# The bound is on the daemon's own (anonymous) memory: the pages of
# Berkeley DB's cache, mapped from the store's region files, are counted
# apart, as they fill up to store_cache_size whatever the daemon does.
# Under SANITIZE=1 LeakSanitizer runs at the SIGTERM exit: any leak makes
# the exit status non-zero and writes a report, which this test shows.
#
# BG_CHAOS_CONNECTIONS (default 10000) and BG_CHAOS_SEED (default: the
# time, printed) repeat or scale a run.
. "$BG_SRC/tests/lib/milter-env.sh"

total=${BG_CHAOS_CONNECTIONS:-10000}
seed=${BG_CHAOS_SEED:-$(date +%s)}
first=$((total / 10))
# Anonymous resident memory may grow this much (KB) between the two
# samples: allocator arenas settle within the first thousand connections,
# while a leak of 60 bytes a connection would exceed it.
bound=512

write_conf
# Recipients u0..u999@example.org, the first 200 suppressed.
$SEED seed 200 'u%u@example.org' > /dev/null
echo "leak:libdb-5.3.so" > "$T/lsan.supp"
LSAN_OPTIONS=suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
# Two malloc arenas: how many the C library opens otherwise depends on
# how the threads happen to meet, and each new one adds to the memory.
MALLOC_ARENA_MAX=2
export LSAN_OPTIONS MALLOC_ARENA_MAX
start_milter
ok $? "the daemon starts"

# rss [Anon|File] - the daemon's resident memory in KB (all, or a part)
rss() {
	sed -n "s/^\(VmRSS\|Rss${1:-}\):[[:space:]]*\([0-9]*\) kB/\2/p" \
	    "/proc/$MPID/status" | tail -1
}

# chaos N SEED OUT - N connections of the chaos client
chaos() {
	mc -X "$1" -S "$2" -p 4 -C 10.1.2.3 -f news@example.com -R 'u%u@example.org' \
	    -u 1000 > "$3" 2> "$3.err"
}

# field NAME FILE - a count from the chaos client's summary line
field() {
	v=$(sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2")
	echo "${v:-0}"
}

echo "# seed $seed"
chaos "$first" "$seed" "$T/c1"
ok $? "$first chaotic connections: the client saw no protocol error $(cat "$T/c1.err")"
rss1=$(rss) anon1=$(rss Anon) file1=$(rss File)
chaos $((total - first)) $((seed + 1)) "$T/c2"
ok $? "$((total - first)) more: no protocol error $(cat "$T/c2.err")"
rss2=$(rss) anon2=$(rss Anon) file2=$(rss File)
sed 's/^/# /' "$T/c1" "$T/c2"
kill -0 "$MPID" 2>/dev/null
ok $? "the daemon is still running"

# What the runs did, added up: every kind of event happened.
for f in connections stamped tokens refused aborts quits drops; do
	v=$(( $(field $f "$T/c1") + $(field $f "$T/c2") ))
	ok $([ "$v" -gt 0 ]; echo $?) "$f: $v"
done
ok $([ "$(( $(field connections "$T/c1") + $(field connections "$T/c2") ))" = "$total" ]; echo $?) \
    "$total connections in all"

mc -C 10.1.2.3 -f news@example.com -r u999@example.org -r u0@example.org > "$T/o"
ok $(grep -q '^eom chgfrom <b-' "$T/o" && grep -q '^rcpt <u0@example.org> reject 550' "$T/o"; echo $?) \
    "afterwards it still stamps and refuses"

echo "# resident memory after $first connections: ${rss1} KB (anonymous ${anon1}, files ${file1}); after $total: ${rss2} KB (anonymous ${anon2}, files ${file2})"
growth=$((anon2 - anon1))
if ldd "$MILTER" | grep -q libasan; then
	ok 0 "# skip constant memory: AddressSanitizer's quarantine keeps freed memory (LeakSanitizer checks leaks at exit instead)"
else
	ok $([ "$growth" -lt "$bound" ]; echo $?) \
	    "constant memory: anonymous resident memory grew ${growth} KB from $first to $total connections (< $bound KB)"
fi

stop_milter
ok $([ "$MSTATUS" = 0 ] && grep -q stopping "$T/log"; echo $?) \
    "SIGTERM stops it cleanly (exit $MSTATUS)"
grep -q 'LeakSanitizer\|AddressSanitizer\|runtime error' "$T/log"
ok $([ $? = 1 ]; echo $?) "no sanitizer report in the log"
grep -A30 'Sanitizer\|runtime error' "$T/log" | head -60 | sed 's/^/# /'
grep -q 'fatal\|panic' "$T/log"
ok $([ $? = 1 ]; echo $?) "no fatal error or panic logged"

done_testing
