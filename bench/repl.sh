#!/bin/sh
# repl.sh - replication between hosts (three sites on loopback, quorum
# acknowledgements): pipe deliveries per second on the master and on a
# client (which forwards to the master), next to a single host's figure
# (target: three sites >= 50% of it); the lag from a commit on the master
# to its visibility on a client over 1,000 changes (target: p99 <= 1 s);
# and the failover time after SIGKILL of the master's milter (new master,
# first acknowledged delivery on it). Needs root: the milters drop their
# privileges to "nobody", as do the pipes bench_pipe starts.
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
B=$BG_BUILD/bench
. "$BG_SRC/bench/lib.sh"
for f in "$BG_BUILD/bounceguard-pipe" "$BG_BUILD/bounceguard-milter" \
    "$BG_BUILD/bounceguard" "$B/bench_pipe" "$B/bench_repl_lag" \
    "$B/bg_storetool"; do
	if [ ! -x "$f" ]; then
		echo "repl: skipped ($f not built)"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "repl: skipped (needs root: the milters drop privileges)"
	exit 0
fi
: "${REPL_BENCH_N1:=200}" "${REPL_BENCH_N4:=600}" "${REPL_BENCH_LAG:=1000}"
T=$(mktemp -d /tmp/bg-bench-repl-XXXXXX)
chmod 755 "$T"
# Below the kernel's ephemeral ports (32768 and up).
BASE=$(( 20000 + ($$ % 1200) * 10 + 5 ))
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${REPL_BENCH_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
echo "benchmark secret 0123456789abcdef" > "$T/verp.secret"
echo "replication benchmark secret 0123456789abcdef" > "$T/repl.secret"
chown nobody "$T/verp.secret" "$T/repl.secret"
chmod 600 "$T/verp.secret" "$T/repl.secret"

addr() { echo "127.0.0.1:$((BASE + $1))"; }

# site N [repl] - a site's directories and configuration
site() {
	d=$T/s$1
	mkdir -p "$d/store" "$d/run" "$d/quarantine"
	chown nobody "$d/store" "$d/quarantine"
	cat > "$d/bounceguard.conf" <<CONF
store_dir = $d/store
quarantine_dir = $d/quarantine
user = nobody
verp_domain = bounces.example.com
verp_secret_file = $T/verp.secret
shipped_rules_dir = $BG_SRC/rules
rules_dir =
milter_socket = unix:$d/run/milter.sock
lookup_socket = unix:$d/run/lookup.sock
pid_file = $d/run/milter.pid
CONF
	[ "${2:-}" = repl ] || return 0
	peers=""
	for p in 1 2 3; do
		[ "$p" = "$1" ] || peers="$peers${peers:+, }$(addr "$p")"
	done
	cat >> "$d/bounceguard.conf" <<CONF
repl_local = $(addr "$1")
repl_peers = $peers
repl_secret_file = $T/repl.secret
repl_priority = $((100 - $1))
CONF
}

conf() { echo "$T/s$1/bounceguard.conf"; }
start() {
	"$BG_BUILD/bounceguard-milter" -c "$(conf "$1")" -f >> "$T/s$1/log" 2>&1 &
	eval "MPID$1=$!"
	PIDS="$PIDS $!"
}
role() {
	"$BG_BUILD/bounceguard" -c "$(conf "$1")" db status 2>/dev/null |
	    sed -n '1s/.* role=\([a-z]*\).*/\1/p'
}
# master SECONDS [EXCEPT] - the number of the site that is master
master() {
	end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		for s in 1 2 3; do
			[ "$s" = "${2:-}" ] && continue
			[ "$(role "$s")" = master ] && { echo "$s"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

site 0
v=$("$B/bg_storetool" verp "$(conf 0)" jane@example.org)
cat > "$T/msg" <<MSG
From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)
To: $v
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.example

Final-Recipient: rfc822; jane@example.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 <jane@example.org>: Mailbox full

--B--
MSG

# bench CONFIG COUNT CONC - bench_pipe's line
bench() {
	"$B/bench_pipe" "$BG_BUILD/bounceguard-pipe" "$1" "$v" "$T/msg" "$2" \
	    "$3" 2>>"$T/bench.err"
}
# rate_of LINE - deliveries/s, or nothing when some delivery failed
rate_of() {
	case $1 in *FAILED*) return 0 ;; esac
	echo "$1" | sed -n 's/.* \([0-9]*\) deliveries\/s.*/\1/p'
}
med_of() { echo "$1" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }

echo "repl: single host (no replication)"
s1=$(bench "$(conf 0)" "$REPL_BENCH_N1" 1); echo "repl: single: $s1"
s4=$(bench "$(conf 0)" "$REPL_BENCH_N4" 4); echo "repl: single: $s4"

echo "repl: three sites on loopback, quorum acknowledgements"
for s in 1 2 3; do site "$s" repl; start "$s"; done
if ! m=$(master 60); then
	echo "repl: skipped (the three sites elected no master within 60 s)"
	exit 0
fi
# ready SECONDS - every site's milter has its store open and serves its
# pipes (the socket appears then): a master's first open can wait out a
# replication lockout, which Berkeley DB 5.3 sleeps in 5-second steps.
ready() {
	end=$(( $(date +%s) + $1 ))
	for s in 1 2 3; do
		while [ ! -S "$T/s$s/store/bounceguard.repl-socket" ]; do
			[ "$(date +%s)" -lt "$end" ] || return 1
			sleep 0.1
		done
	done
}
if ! ready 60; then
	echo "repl: skipped (a site's milter did not open its store within 60 s)"
	exit 0
fi
c=$(( m % 3 + 1 ))
# cpu_ms PID - the CPU time a process used so far (user + system)
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
	    "/proc/$1/stat" 2>/dev/null || echo 0
}
# clients_cpu - CPU ms used so far by the two client sites' milters
clients_cpu() {
	t=0
	for s in 1 2 3; do
		[ "$s" = "$m" ] && continue
		eval "p=\$MPID$s"
		t=$((t + $(cpu_ms "$p")))
	done
	echo "$t"
}
m1=$(bench "$(conf "$m")" "$REPL_BENCH_N1" 1); echo "repl: on the master: $m1"
cpu0=$(clients_cpu)
m4=$(bench "$(conf "$m")" "$REPL_BENCH_N4" 4); echo "repl: on the master: $m4"
cpu1=$(clients_cpu)
echo "repl: the two clients' milters used $((cpu1 - cpu0)) ms of CPU for" \
    "those $REPL_BENCH_N4 deliveries ($(awk -v c=$((cpu1 - cpu0)) \
    -v n="$REPL_BENCH_N4" 'BEGIN { printf "%.2f", c / n }') ms each)," \
    "CPU that other hosts would spend"
c1=$(bench "$(conf "$c")" "$((REPL_BENCH_N1 / 2))" 1)
echo "repl: on a client (forwarded): $c1"
c4=$(bench "$(conf "$c")" "$((REPL_BENCH_N4 / 2))" 4)
echo "repl: on a client (forwarded): $c4"

lag=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$B/bench_repl_lag" "$(conf "$m")" "$(conf "$c")" "$REPL_BENCH_LAG" \
    2>&1 | tail -n 3)
echo "repl: $lag"

# Failover: SIGKILL the master's milter; time to a new master, and to the
# first delivery acknowledged on it (deliveries before exit 75).
eval "kill -KILL \$MPID$m"
t0=$(now_ms)
if nm=$(master 30 "$m"); then
	t_master=$(( $(now_ms) - t0 ))
	while ! bench "$(conf "$nm")" 1 1 >/dev/null 2>&1 &&
	    [ $(( $(now_ms) - t0 )) -lt 30000 ]; do
		sleep 0.05
	done
	t_ack=$(( $(now_ms) - t0 ))
	echo "repl: failover: site $nm master after $t_master ms, first" \
	    "acknowledged delivery on it after $t_ack ms"
else
	t_master=? t_ack=?
	echo "repl: failover: no new master within 30 s"
fi

single=$(rate_of "$s4"); three=$(rate_of "$m4"); fwd=$(rate_of "$c4")
if [ -s "$T/bench.err" ]; then
	echo "repl: some deliveries failed; the first messages:"
	sort "$T/bench.err" | uniq -c | sort -rn | head -n 5
fi
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a ~ /^[0-9]+$/)
	printf "%d", 100 * a / b; else print "?" }'; }
p99=$(echo "$lag" | sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p')
med=$(echo "$lag" | sed -n 's/.*median \([0-9.]*\) ms, p90.*/\1/p')
echo "repl: 4 at once: single host ${single:-?}/s; three sites: master" \
    "${three:-?}/s ($(pct "$three" "$single")%), client ${fwd:-?}/s" \
    "($(pct "$fwd" "$single")%)"
bench_record "repl, pipe median ms: single / 3-site master / client" \
    "$(med_of "$s1") / $(med_of "$m1") / $(med_of "$c1") ms" "-" "-"
bench_record "repl, pipe/s (4 at once) on the master, % of single" \
    "${three:-?}/s = $(pct "$three" "$single")% of ${single:-?}/s" ">= 50%" \
    "$(bench_verdict "$(pct "$three" "$single")" '>=' 50)"
bench_record "repl, pipe/s (4 at once) on a client, % of single" \
    "${fwd:-?}/s = $(pct "$fwd" "$single")%" ">= 50%" \
    "$(bench_verdict "$(pct "$fwd" "$single")" '>=' 50)"
bench_record "repl, lag master to client, median / p99" \
    "${med:-?} / ${p99:-?} ms" "p99 <= 1000 ms" \
    "$(bench_verdict "${p99:-?}" '<=' 1000)"
bench_record "repl, failover: new master / first ack" \
    "$t_master / $t_ack ms" "master <= 10,000 ms" \
    "$(bench_verdict "$t_master" '<=' 10000)"
