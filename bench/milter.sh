#!/bin/sh
# bench/milter.sh - bounceguard-milter benchmarks, run by bench/run.
#
# 1. Milter protocol: single-recipient messages per second through the
#    milter with 1,000,000 suppressed addresses in the store, driven by
#    bench/milter_client.c over a unix socket (8 connections; one message
#    in ten goes to a suppressed address). Target: 5,000/s.
# 2. Real Postfix: smtp-source -> Postfix -> smtp-sink, messages per
#    second from the first SMTP connection until the queue is empty, with
#    and without the milter, in alternating runs (and alternating order)
#    on two otherwise identical private instances fed by the same
#    smtp-source command; the sink keeps nothing. One warm-up run each,
#    then BG_BENCH_RUNS (default 9) pairs. The median of the pairs'
#    ratios must be >= 90%; the spread (lowest and highest ratio) is
#    printed too, since other load on the machine hits single runs.
#
# Needs root (the milter drops privileges; Postfix instances). The
# 1,000,000-address store is built once and kept in
# ${BG_BENCH_DIR:-/var/tmp/bounceguard-bench} for the next run.
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
MILTER=$BG_BUILD/bounceguard-milter
MC=$BG_BUILD/bench/milter_client
SEEDBIN=$BG_BUILD/bench/bg_seed
CACHE=${BG_BENCH_DIR:-/var/tmp/bounceguard-bench}
N_SUPP=1000000
N_MSG=${BG_BENCH_MILTER_MESSAGES:-60000}
N_SMTP=${BG_BENCH_SMTP_MESSAGES:-2000}

if [ "$(id -u)" != 0 ]; then
	echo "milter: skipped (must run as root)"
	exit 0
fi
for f in "$MILTER" "$MC" "$SEEDBIN"; do
	[ -x "$f" ] || { echo "milter: skipped ($f not built)"; exit 0; }
done
id bounceguard > /dev/null 2>&1 ||
    useradd -r -s /usr/sbin/nologin -d /nonexistent bounceguard

T=$(mktemp -d /tmp/bg-milter-bench.XXXXXX) || exit 1
chmod 755 "$T"
MPID=
PF_DIRS=
PF_SINKS=
. "$BG_SRC/tests/lib/postfix-env.sh"
. "$BG_SRC/bench/lib.sh"
cleanup() {
	pf_stop_all
	if [ -n "${BG_BENCH_KEEP:-}" ]; then
		mkdir -p "$BG_BENCH_KEEP"
		cp "$T/log" "$BG_BENCH_KEEP/milter.log" 2>/dev/null
		cp "$T/milter/maillog" "$BG_BENCH_KEEP/maillog" 2>/dev/null
	fi
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$CACHE/store" "$T/run"
chown bounceguard "$CACHE" "$CACHE/store"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$T/secret"
echo >> "$T/secret"
chown bounceguard "$T/secret"
chmod 600 "$T/secret"
cat > "$T/bounceguard.conf" <<CONF
store_dir = $CACHE/store
store_cache_size = 512M
verp_domain = bounces.example.com
verp_secret_file = $T/secret
milter_socket = unix:$T/run/milter.sock
milter_socket_group = postfix
lookup_socket =
pid_file =
outbound_networks = 127.0.0.0/8
${BG_BENCH_MILTER_CONF:-}
CONF
SEED="runuser -u bounceguard -- $SEEDBIN -c $T/bounceguard.conf"

if [ ! -f "$CACHE/seeded-$N_SUPP" ]; then
	echo "milter: seeding $N_SUPP suppressed addresses into $CACHE/store (once)"
	t0=$(date +%s)
	$SEED seed "$N_SUPP" 'u%u@example.org' || exit 1
	touch "$CACHE/seeded-$N_SUPP"
	echo "milter: seeded in $(( $(date +%s) - t0 )) s"
fi

"$MILTER" -c "$T/bounceguard.conf" -f > "$T/log" 2>&1 &
MPID=$!
for _ in $(seq 1 50); do
	[ -S "$T/run/milter.sock" ] && break
	sleep 0.1
done

# 1. The milter protocol. Recipients: u0..u9999999, of which the first
# million are suppressed; a warm-up round first.
"$MC" -s "unix:$T/run/milter.sock" -n 5000 -p 8 -f news@example.com \
    -R 'u%u@example.org' -u 10000000 > /dev/null
"$MC" -s "unix:$T/run/milter.sock" -n "$N_MSG" -p 8 -f news@example.com \
    -R 'u%u@example.org' -u 10000000 > "$T/mc" || exit 1
rate=$(sed -n 's/.*: \([0-9]*\) messages\/s.*/\1/p' "$T/mc")
sed 's/^/  /' "$T/mc"
echo "milter: $rate single-recipient messages/s with $N_SUPP suppressed addresses (target >= 5000/s): $([ "${rate:-0}" -ge 5000 ] && echo PASS || echo FAIL)"
bench_record "milter, messages/s (1,000,000 suppressed)" \
    "$(bench_count "${rate:-?}")/s" ">= 5,000/s" "$(bench_verdict "${rate:-?}" '>=' 5000)"

# 2. Real Postfix, with and without the milter.
if ! command -v smtp-source > /dev/null 2>&1 && [ ! -x /usr/sbin/smtp-source ]; then
	echo "postfix+milter: skipped (postfix not installed)"
	exit 0
fi
PATH=$PATH:/usr/sbin
sinkport=$(pf_port)
pf_sink "$T/sink" "$sinkport" nodump
portA=$(pf_port)
pf_instance "$T/plain" "$portA" "$sinkport" || { echo "postfix: cannot start"; exit 1; }
portB=$(pf_port)
pf_instance "$T/milter" "$portB" "$sinkport" "unix:$T/run/milter.sock" ||
    { echo "postfix: cannot start"; exit 1; }

# run PORT DIR - messages per second, from smtp-source to an empty queue
run() {
	t0=$(date +%s.%N)
	smtp-source -s 20 -m "$N_SMTP" -f news@example.com -t rcpt@example.net \
	    "127.0.0.1:$1" > /dev/null 2>&1
	pf_queue_empty "$2"
	t1=$(date +%s.%N)
	echo "$N_SMTP $t0 $t1" | awk '{ printf "%.0f\n", $1 / ($3 - $2) }'
}
run "$portA" "$T/plain" > /dev/null	# warm-up, both
run "$portB" "$T/milter" > /dev/null
sa=0 sb=0
runs=${BG_BENCH_RUNS:-9}
for i in $(seq 1 "$runs"); do
	if [ $((i % 2)) = 1 ]; then	# alternate the order too
		a=$(run "$portA" "$T/plain")
		b=$(run "$portB" "$T/milter")
	else
		b=$(run "$portB" "$T/milter")
		a=$(run "$portA" "$T/plain")
	fi
	echo "  run $i: without milter $a msg/s, with milter $b msg/s ($((b * 100 / a))%)"
	echo "$((b * 100 / a))" >> "$T/ratios"
	sa=$((sa + a))
	sb=$((sb + b))
done
# The median of the pairs' ratios: other load on the machine hits single
# runs, and the median ignores a run it spoiled.
pct=$(sort -n "$T/ratios" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
lo=$(sort -n "$T/ratios" | head -1)
hi=$(sort -n "$T/ratios" | tail -1)
stamped=$(grep -c ': stamp ' "$T/log")
echo "postfix+milter: $((sb / runs)) msg/s with the milter, $((sa / runs)) without (means of $runs pairs of $N_SMTP messages); median ratio $pct%, spread $lo-$hi% (target >= 90%): $([ "$pct" -ge 90 ] && echo PASS || echo FAIL) ($stamped messages stamped)"
bench_record "Postfix, messages/s without the milter" "$((sa / runs))/s" "-" "-"
bench_record "Postfix, messages/s with the milter" "$((sb / runs))/s" "-" "-"
bench_record "Postfix, with/without (median of $runs; $lo-$hi%)" "$pct%" ">= 90%" \
    "$(bench_verdict "$pct" '>=' 90)"
