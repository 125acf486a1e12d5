#!/bin/sh
# bench/milter.sh - bounceguard-milter benchmarks, run by bench/run.
#
# 1. Milter protocol: single-recipient messages per second through the
#    milter with 1,000,000 suppressed addresses in the store, driven by
#    bench/milter_client.c over a unix socket (8 connections; one message
#    in ten goes to a suppressed address). Target: 5,000/s.
# 2. Real Postfix: smtp-source -> Postfix -> smtp-sink, messages per
#    second from the first SMTP connection until the queue is empty, on
#    otherwise identical private instances fed by the same smtp-source
#    command (20 sessions, one message each); the sink keeps nothing.
#    One warm-up run each, then BG_BENCH_RUNS (default 15) rounds of one
#    run per instance, in an order that turns from round to round. The
#    median of the rounds' ratios (with the milter / without) must be
#    >= 90%; the spread (lowest and highest) is printed too, since other
#    load on the machine and the disk's latency hit single runs.
# 3. References, in the same rounds: bench/milter_null.c, a libmilter
#    milter whose callbacks do nothing but make the two changes
#    bounceguard-milter makes to a stamped message (envelope sender, one
#    header), and bench/milter_floor.c, the same exchange without
#    libmilter. The floor's ratio is the best any stamping milter can
#    reach on this machine; null against floor is libmilter's share.
#    BG_BENCH_FLOOR=0 leaves them out.
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
NPID=
FPID=
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
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null
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
# The instances: "plain" has no milter, "milter" has bounceguard-milter,
# "null" and "floor" the reference milters of part 3.
names="plain milter"
port_plain=$(pf_port)
pf_instance "$T/plain" "$port_plain" "$sinkport" || { echo "postfix: cannot start"; exit 1; }
port_milter=$(pf_port)
pf_instance "$T/milter" "$port_milter" "$sinkport" "unix:$T/run/milter.sock" ||
    { echo "postfix: cannot start"; exit 1; }
if [ "${BG_BENCH_FLOOR:-1}" != 0 ]; then
	"$BG_BUILD/bench/milter_null" "$T/run/null.sock" > "$T/null.log" 2>&1 &
	NPID=$!
	"$BG_BUILD/bench/milter_floor" "$T/run/floor.sock" &
	FPID=$!
	for name in null floor; do
		port=$(pf_port)
		eval "port_$name=$port"
		pf_instance "$T/$name" "$port" "$sinkport" "unix:$T/run/$name.sock" ||
		    { echo "postfix: cannot start"; exit 1; }
	done
	names="$names null floor"
fi

# run PORT DIR - messages per second, from smtp-source to an empty queue
run() {
	t0=$(date +%s.%N)
	smtp-source -s 20 -m "$N_SMTP" -f news@example.com -t rcpt@example.net \
	    "127.0.0.1:$1" > /dev/null 2>&1
	pf_queue_empty "$2"
	t1=$(date +%s.%N)
	echo "$N_SMTP $t0 $t1" | awk '{ printf "%.0f\n", $1 / ($3 - $2) }'
}

# rotate N WORD... - the words, starting with the (N mod count)th
rotate() {
	k=$(($1 % ($# - 1)))
	shift
	i=0 head= tail=
	for w in "$@"; do
		if [ "$i" -lt "$k" ]; then tail="$tail $w"; else head="$head $w"; fi
		i=$((i + 1))
	done
	echo $head $tail
}

# round I - one run on every instance, in an order that turns with I so
# that none always runs first or after the same one; each milter
# instance's ratio to this round's plain run goes to $T/ratios.NAME
round() {
	for name in $(rotate "$1" $names); do
		eval "port=\$port_$name"
		eval "rate_$name=$(run "$port" "$T/$name")"
	done
	line="  round $1: without milter $rate_plain msg/s"
	sum_plain=$((sum_plain + rate_plain))
	for name in $names; do
		[ "$name" = plain ] && continue
		eval "rate=\$rate_$name"
		echo "$((rate * 100 / rate_plain))" >> "$T/ratios.$name"
		line="$line, $name $rate ($((rate * 100 / rate_plain))%)"
	done
	sum_milter=$((sum_milter + rate_milter))
	echo "$line"
}

# spread NAME - "MEDIAN LOWEST HIGHEST" of the ratios. The median: other
# load on the machine (and the disk's moods) hits single runs, and the
# median ignores a spoilt one.
spread() {
	sort -n "$T/ratios.$1" | awk '{ v[NR] = $1 }
	    END { print v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# restamped NAME - messages the instance logged with the reference stamp
restamped() {
	grep -c 'from=<b-abcdefabcdefabcd-rcpt=example.net@' "$T/$1/maillog" 2>/dev/null
}

runs=${BG_BENCH_RUNS:-15}
for name in $names; do		# warm-up
	eval "port=\$port_$name"
	run "$port" "$T/$name" > /dev/null
done
sum_plain=0 sum_milter=0
for i in $(seq 1 "$runs"); do
	round "$i"
done
set -- $(spread milter)
pct=$1 lo=$2 hi=$3
stamped=$(grep -c ': stamp ' "$T/log")
echo "postfix+milter: $((sum_milter / runs)) msg/s with the milter, $((sum_plain / runs)) without (means of $runs rounds of $N_SMTP messages); median ratio $pct%, spread $lo-$hi% (target >= 90%): $([ "$pct" -ge 90 ] && echo PASS || echo FAIL) ($stamped messages stamped)"
bench_record "Postfix, messages/s without the milter" "$((sum_plain / runs))/s" "-" "-"
bench_record "Postfix, messages/s with the milter" "$((sum_milter / runs))/s" "-" "-"
bench_record "Postfix, with/without (median of $runs; $lo-$hi%)" "$pct%" ">= 90%" \
    "$(bench_verdict "$pct" '>=' 90)"
[ "${BG_BENCH_FLOOR:-1}" = 0 ] && exit 0

# 3. The references: what libmilter costs with callbacks that do nothing,
# and what the same exchange costs without libmilter (the floor: Postfix's
# own work on the milter conversation and on the queue file). A reference
# that did not restamp every message measured something else: its row
# says so instead of a verdict.
# reference NAME WHAT - print and record one reference milter's figures
reference() {
	set -- "$1" "$2" $(spread "$1")
	n=$(restamped "$1")
	want=$(((runs + 1) * N_SMTP))
	if [ "${n:-0}" -eq "$want" ]; then ok=-; else ok="INVALID: $n of $want restamped"; fi
	echo "postfix+milter_$1: median ratio $3%, spread $4-$5% ($2; $n of $want messages restamped)"
	bench_record "Postfix, with/without milter_$1 ($2)" "$3%" "(reference)" "$ok"
}
reference null "libmilter, no work"
reference floor "no libmilter, no work"
