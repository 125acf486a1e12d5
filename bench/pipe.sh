#!/bin/sh
# pipe.sh - bounceguard-pipe: latency of one delivery from exec to exit with
# a durable commit (target: median <= 10 ms), and deliveries per second
# with 4 pipes at once (target: >= 200/s). Each delivery is a new bounce
# (a unique Message-ID) for one of 1,000 addresses, so every one commits.
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
B=$BG_BUILD/bench
. "$BG_SRC/bench/lib.sh"
if [ ! -x "$BG_BUILD/bounceguard-pipe" ] || [ ! -x "$B/bench_pipe" ]; then
	echo "pipe: skipped (bounceguard-pipe or bench_pipe not built)"
	exit 0
fi
T=$(mktemp -d /tmp/bg-bench-pipe-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/store"
cat > "$T/bounceguard.conf" <<CONF
store_dir = $T/store
quarantine_dir = $T/quarantine
verp_domain = bounces.example.com
verp_secret_file = $T/verp.secret
shipped_rules_dir = $BG_SRC/rules
rules_dir = $T/rules.d
CONF
echo "benchmark secret 0123456789abcdef" > "$T/verp.secret"
chmod 640 "$T/verp.secret"
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$T" && chmod 755 "$T"
v=$("$B/bg_storetool" verp "$T/bounceguard.conf" jane@example.org)
cat > "$T/msg" <<MSG
From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)
To: $v
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.remote.example.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.example

Final-Recipient: rfc822; jane@example.org
Action: failed
Status: 5.2.2
Remote-MTA: dns; mx.remote.example
Diagnostic-Code: smtp; 552 5.2.2 <jane@example.org>: Mailbox full

--B--
MSG
echo "pipe: target median <= 10 ms per delivery, >= 200 deliveries/s with 4 at once"
one=$("$B/bench_pipe" "$BG_BUILD/bounceguard-pipe" "$T/bounceguard.conf" "$v" "$T/msg" 300 1)
echo "$one"
four=$("$B/bench_pipe" "$BG_BUILD/bounceguard-pipe" "$T/bounceguard.conf" "$v" "$T/msg" 1000 4)
echo "$four"
med=$(echo "$one" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
rate=$(echo "$four" | sed -n 's/.* \([0-9]*\) deliveries\/s.*/\1/p')
bench_record "pipe, median latency (one at a time)" "${med:-?} ms" "<= 10 ms" \
    "$(bench_verdict "${med:-?}" '<=' 10)"
bench_record "pipe, deliveries/s (4 at once)" "${rate:-?}/s" ">= 200/s" \
    "$(bench_verdict "${rate:-?}" '>=' 200)"
