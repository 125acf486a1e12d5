#!/bin/sh
# bench/backoff.sh - adaptive back-off, run by bench/run: mail log lines
# per second that "bounceguard follow --once" reads (target 50,000/s),
# and transport lookups per second on the lookup socket's socketmap
# (no target of its own; Postfix asks once per recipient domain when a
# message enters the active queue).
#
# The log has BG_BENCH_FOLLOW_LINES lines (default 1,000,000) in the mix
# of a busy outbound server: per message a qmgr line, a cleanup line, an
# smtpd line, and one smtp(8) line, 90% status=sent and 10% deferred (a
# third of them with rate-limit replies, so that they are classified and
# counted), over 1,000 destination domains. The time includes opening
# the store, loading and JIT-compiling the rules, and every transaction.
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
. "$BG_SRC/bench/lib.sh"
N=${BG_BENCH_FOLLOW_LINES:-1000000}
bg=$BG_BUILD/bounceguard
milter=$BG_BUILD/bounceguard-milter
lc=$BG_BUILD/bench/lookup_client
for f in "$bg" "$milter" "$lc"; do
	[ -x "$f" ] || { echo "backoff: skipped ($f not built)"; exit 0; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/bg-bench-backoff.XXXXXX") || exit 1
MPID=
trap '[ -n "$MPID" ] && kill $MPID 2>/dev/null; rm -rf "$D"' EXIT
trap 'exit 1' HUP INT TERM
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
	user=${BG_BENCH_USER:-nobody}
	chmod 755 "$D"
fi
mkdir -p "$D/store" "$D/run"
chown "$user" "$D/store"
cat > "$D/bounceguard.conf" <<CONF
store_dir = $D/store
user = $user
shipped_rules_dir = $BG_SRC/rules
rules_dir =
verp_domain = bounces.example.com
verp_secret_file = $D/secret
milter_socket = unix:$D/run/milter.sock
lookup_socket = unix:$D/run/lookup.sock
pid_file =
backoff_transport_map =
CONF
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$D/secret"
chown "$user" "$D/secret"
chmod 600 "$D/secret"

awk -v n="$N" 'BEGIN {
	srand(17)
	for (i = 0; i < n / 4; i++) {
		q = sprintf("%X", 1048576 + i); d = int(rand() * 1000)
		printf "Nov 24 10:00:00 mta postfix/smtpd[811]: %s: client=localhost[127.0.0.1]\n", q
		printf "Nov 24 10:00:00 mta postfix/cleanup[812]: %s: message-id=<%d@example.com>\n", q, i
		printf "Nov 24 10:00:00 mta postfix/qmgr[813]: %s: from=<news@example.com>, size=4321, nrcpt=1 (queue active)\n", q
		r = rand()
		if (r < 0.9)
			printf "Nov 24 10:00:01 mta postfix/smtp[814]: %s: to=<u%d@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)\n", q, i, d, d
		else if (r < 0.967)
			printf "Nov 24 10:00:01 mta postfix/smtp[814]: %s: to=<u%d@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=4.2.2, status=deferred (host mx.d%d.example[192.0.2.1] said: 452 4.2.2 <u%d@d%d.example>: Mailbox full (in reply to RCPT TO command))\n", q, i, d, d, d, i, d
		else
			printf "Nov 24 10:00:01 mta postfix/smtp[814]: %s: to=<u%d@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=4.7.0, status=deferred (host mx.d%d.example[192.0.2.1] said: 421 4.7.0 Rate limit exceeded, slow down (in reply to RCPT TO command))\n", q, i, d, d, d
	}
}' > "$D/mail.log"
lines=$(wc -l < "$D/mail.log")
t0=$(date +%s.%N)
"$bg" -c "$D/bounceguard.conf" follow --once --from-start "$D/mail.log" \
    2> "$D/follow.err" || { echo "backoff: follow failed:"; tail -5 "$D/follow.err"; exit 1; }
t1=$(date +%s.%N)
rate=$(echo "$lines $t0 $t1" | awk '{ printf "%d", $1 / ($3 - $2) }')
raised=$(grep -c 'why=signals' "$D/follow.err")
echo "backoff: follow read $lines lines in $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s: $rate lines/s ($raised domains raised)"
bench_record "follow, mail log lines/s" "$(bench_count "$rate")/s" \
    ">= 50,000/s" "$(bench_verdict "$rate" '>=' 50000)"

"$milter" -c "$D/bounceguard.conf" -f > "$D/milter.log" 2>&1 &
MPID=$!
for _ in $(seq 1 50); do [ -S "$D/run/lookup.sock" ] && break; sleep 0.1; done
out=$("$lc" -s "unix:$D/run/lookup.sock" -p 4 -n "${BG_BENCH_TRANSPORT_LOOKUPS:-200000}" \
    -R 'd%u.example' -u 2000 -m transport)
echo "backoff: transport table, half the domains with a record: $out"
trate=$(echo "$out" | sed -n 's/.* \([0-9]*\) requests\/s.*/\1/p')
bench_record "transport lookups/s (socketmap, 4 clients)" \
    "$(bench_count "${trate:-?}")/s" "-" "-"
