#!/bin/sh
# security-lookup-slots.t - issue 18, item 5: a few idle clients could
# take every lookup slot. The server had 128 threads and a 10 s timeout
# per read, so 128 connections sending a byte every 9 s kept it answering
# "error busy" for ever, and Postfix's socketmap lookups failed while
# Exim's mail left unchecked.
#
# Now one event loop serves thousands of connections; a connection is
# closed lookup_idle_timeout after its last complete request, however
# many bytes it trickles; caps per client address and in all answer the
# surplus with the documented temporary answer (TEMP for socketmap,
# "tempfail busy" for lines), never a silent pass.
. "$BG_SRC/tests/lib/milter-env.sh"
LOAD="perl $BG_SRC/tests/lib/lookup-load.pl"

# free_port - a loopback TCP port nobody listens on
free_port() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
		ss -ltn | grep -q ":$p " || { echo "$p"; return; }
	done
}

# val KEY - a value from the load report
val() {
	sed -n "s/.*\\b$1=\\([-0-9.]*\\).*/\\1/p" "$T/load" | head -1
}

# le A B - A <= B, for decimals
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'
}

ulimit -n 8192 2>/dev/null || skip_all "cannot raise the open file limit to 8192"
port=$(free_port)
write_conf "lookup_socket = inet:$port" "lookup_idle_timeout = 3s" \
    "lookup_max_per_client = 3000"
sed -i '/^lookup_socket = unix:/d' "$CONF"
$SEED suppress jane@example.org userunknown
: > "$T/log"
"$MILTER" -c "$CONF" -f >> "$T/log" 2>&1 &
MPID=$!
# Up to 20 s: a loaded machine starts it slowly.
for _ in $(seq 1 200); do grep -q starting "$T/log" && break; sleep 0.1; done
r=$(grep -q "starting: .*lookup_socket=inet:$port@127.0.0.1" "$T/log"; echo $?)
ok $r "the daemon starts, lookup socket on 127.0.0.1:$port, idle limit 3 s"
# On standard error too, so that prove shows why without -v (CI).
[ "$r" = 0 ] || sed 's/^/# milter: /' "$T/log" | head -5 >&2

# 2,000 connections: 1,800 silent, 200 trickling a byte a second; a
# persistent client and fresh clients ask twice a second for 8 s.
$LOAD slots "$port" 1800 200 8 > "$T/load" 2>&1
sed 's/^/# /' "$T/load"
ok $([ "$(val opened)" = 2000 ]; echo $?) "2000 connections opened at once ($(val open_seconds) s)"
ok $([ "$(val trickle_closed)" = 200 ] && le 2.5 "$(val trickle_min)" &&
    le "$(val trickle_max)" 5.5; echo $?) \
    "every trickling connection was closed after the idle limit, bytes notwithstanding ($(val trickle_min)-$(val trickle_max) s)"
ok $([ "$(val idle_closed)" = 1800 ] && le 2.5 "$(val idle_min)" &&
    le "$(val idle_max)" 5.5; echo $?) \
    "every silent connection too ($(val idle_min)-$(val idle_max) s)"
ok $([ "$(val persistent_answers)" -ge 12 ] && [ "$(val persistent_bad)" = 0 ] &&
    le "$(val persistent_max_ms)" 1000; echo $?) \
    "a persistent client got every answer meanwhile ($(val persistent_answers), slowest $(val persistent_max_ms) ms)"
ok $([ "$(val persistent_alive)" = 1 ]; echo $?) \
    "... and, asking within the idle limit, is still served after 8 s (> 3 s)"
ok $([ "$(val fresh_answers)" -ge 12 ] && [ "$(val fresh_bad)" = 0 ] &&
    le "$(val fresh_max_ms)" 1000; echo $?) \
    "fresh clients (as Exim) got every answer meanwhile ($(val fresh_answers), slowest $(val fresh_max_ms) ms)"
ok $(! grep -q 'refused\|busy' "$T/log"; echo $?) "nobody was refused: 2000 connections are within the limits"

# Caps: 4 per address, 16 in all. Holders keep their connections open
# (well within the idle limit) while others ask.
sed -i 's/^lookup_max_per_client = .*/lookup_max_per_client = 4/' "$CONF"
echo "lookup_max_clients = 16" >> "$CONF"
reload_milter
ok $? "reload: lookup_max_per_client = 4, lookup_max_clients = 16"
mkfifo "$T/hold1" "$T/hold2"
$LOAD hold 127.0.0.1 "$port" 4 < "$T/hold1" > "$T/held1" &
h1=$!
exec 7> "$T/hold1"
for _ in $(seq 1 50); do grep -q held "$T/held1" && break; sleep 0.1; done
ns() { printf '%d:%s,' "${#1}" "$1"; }
got=$($LOAD ask 127.0.0.1 "$port" 'check jane@example.org\n')
ok $([ "$got" = "tempfail busy" ]; echo $?) "a 5th line client from 127.0.0.1 is told \"tempfail busy\" ($got)"
got=$($LOAD ask 127.0.0.1 "$port" "$(ns 'suppressed jane@example.org')")
ok $([ "$got" = "9:TEMP busy," ]; echo $?) "a 5th socketmap client is told TEMP ($got)"
check "the refusals are logged" grep -q 'lookup: refused client=127.0.0.1 reason=lookup_max_per_client' "$T/log"
got=$($LOAD ask 127.0.0.2 "$port" 'check jane@example.org\n')
ok $([ "$got" = "suppressed userunknown" ]; echo $?) "another address is still served ($got)"
(for a in 2 3 4; do echo "127.0.0.$a"; done) | while read -r a; do
	$LOAD hold "$a" "$port" 4 < "$T/hold2" >> "$T/held2" &
done
exec 8> "$T/hold2"
for _ in $(seq 1 50); do [ "$(grep -c held "$T/held2" 2>/dev/null)" = 3 ] && break; sleep 0.1; done
got=$($LOAD ask 127.0.0.5 "$port" 'check jane@example.org\n')
ok $([ "$got" = "tempfail busy" ]; echo $?) "with 16 connections open, a new address is told \"tempfail busy\" ($got)"
check "... logged as over lookup_max_clients" grep -q 'lookup: refused client=127.0.0.5 reason=lookup_max_clients' "$T/log"
exec 7>&- 8>&-
wait "$h1"
sleep 0.3
got=$($LOAD ask 127.0.0.5 "$port" 'check jane@example.org\n')
ok $([ "$got" = "suppressed userunknown" ]; echo $?) "once the holders leave, it is served again ($got)"

stop_milter
ok $([ "$MSTATUS" = 0 ]; echo $?) "the daemon stops cleanly (exit $MSTATUS)"
wait
done_testing
