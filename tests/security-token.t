#!/bin/sh
# security-token.t - issue 18, item 1: a recipient of a message with
# several recipients reads the per-message token on its copy and forges a
# bounce to it naming the others; and a bounce replayed after
# "bounceguard unsuppress". The forged token bounce from an outside
# client is recorded as unverified and suppresses nobody; the same bounce
# from our own MTA (no client address, null sender) or from
# trusted_bounce_networks does suppress; a bounce stamped no later than
# the day of the last unsuppress is stale; one stamped after it
# suppresses. Then a real Postfix with contrib/postfix/master.cf.pipe:
# a forged token bounce over SMTP changes nothing, the bounce Postfix
# writes itself suppresses.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
ADMIN=$BG_BUILD/bounceguard
CONF=$T/bounceguard.conf

# pipe_from CLIENT SENDER VERP QUEUE_ID < message: the pipe as the MTA
# runs it with -a CLIENT ("-" leaves -a out, as an old master.cf line)
pipe_from() {
	if [ "$1" = - ]; then
		$AS_USER "$PIPE" -e -c "$CONF" -r "$3" -s "$2" -q "$4" \
		    2>"$T/err" >"$T/out"
	else
		$AS_USER "$PIPE" -e -c "$CONF" -r "$3" -s "$2" -a "$1" -q "$4" \
		    2>"$T/err" >"$T/out"
	fi
	rc=$?
}
state() { get "$1" | sed -n 's/^state=\([a-z]*\).*/\1/p'; }
admin() { $AS_USER "$ADMIN" -c "$CONF" "$@"; }

# One message to the attacker and two victims: one token for the three.
tv=$($AS_USER "$TOOL" token "$CONF" mallory@evil.example ceo@victim.example cfo@victim.example)
ok $([ -n "$tv" ]; echo $?) "a message to three recipients carries a token ($tv)"

# The attacker forges a bounce to the token naming the CEO and sends it
# from its own host: the MTA passes the client address.
hard_dsn ceo@victim.example f1 > "$T/msg"
pipe_from 203.0.113.9 "" "$tv" F1 < "$T/msg"
ok $rc "forged token bounce from outside: acknowledged (exit 0)"
check "forged token bounce: logged as unverified with the client" grep -q \
    "F1: bounce recipient=<ceo@victim.example> reason=userunknown type=hard status=5.1.1 mode=async action=unverified client=203.0.113.9 why=untrusted-client" "$T/err"
ok $([ "$(state ceo@victim.example)" = active ]; echo $?) \
    "forged token bounce: the CEO is not suppressed"
admin show ceo@victim.example > "$T/show" 2>&1
check "bounceguard show: the unverified bounce is counted and in the history" \
    sh -c "grep -q '^unverified: 1 ' '$T/show' && grep -q 'unverified' '$T/show' && grep -q '^counts: hard=0 soft=0' '$T/show'"
admin dump --json > "$T/dump" 2>&1
check "bounceguard dump --json: unverified 1, state active" sh -c \
    "grep '\"address\":\"ceo@victim.example\"' '$T/dump' | grep '\"state\":\"active\"' | grep -q '\"unverified\":1'"
admin stats --json > "$T/stats" 2>&1
check "bounceguard stats --json: victim.example has one unverified bounce, none hard" sh -c \
    "grep '\"domain\":\"victim.example\"' '$T/stats' | grep '\"hard\":0' | grep -q '\"unverified\":1'"

# Soft bounces from outside never add up to a soft suppression.
for i in 1 2 3 4 5 6; do
	full_dsn cfo@victim.example "fs$i" > "$T/msg"
	pipe_from 198.51.100.7 "" "$tv" "FS$i" < "$T/msg"
done
ok $([ "$(state cfo@victim.example)" = active ] &&
    get cfo@victim.example | grep -q 'recent_soft=0'; echo $?) \
    "six forged soft bounces: not counted towards soft suppression, CFO active"

# The same forged bounce with a non-null sender from a local submission,
# and from an MTA whose master.cf line does not pass -a.
hard_dsn ceo@victim.example f2 > "$T/msg"
pipe_from "" mallory@evil.example "$tv" F2 < "$T/msg"
check "local submission with a sender: unverified (why=not-null-sender)" grep -q \
    "F2: bounce recipient=<ceo@victim.example> .*action=unverified client=local why=not-null-sender" "$T/err"
hard_dsn ceo@victim.example f3 > "$T/msg"
pipe_from - "" "$tv" F3 < "$T/msg"
ok $([ $rc = 0 ] && grep -q "F3: bounce recipient=<ceo@victim.example> .*action=unverified client=unknown why=no-client" "$T/err" &&
    grep -q "warning: F3: token bounce cannot be verified: the MTA does not pass the client address (-a)" "$T/err"; echo $?) \
    "an old command line without -a still works; the token bounce is unverified, with a warning"
ok $([ "$(state ceo@victim.example)" = active ]; echo $?) "the CEO is still active"

# The bounce our own MTA wrote: no SMTP client, the null sender.
hard_dsn ceo@victim.example m1 > "$T/msg"
pipe_from "" "" "$tv" M1 < "$T/msg"
check "our own MTA's token bounce: suppressed" grep -q \
    "M1: bounce recipient=<ceo@victim.example> reason=userunknown type=hard status=5.1.1 mode=async action=suppressed\$" "$T/err"
ok $([ "$(state ceo@victim.example)" = suppressed ]; echo $?) "the CEO is suppressed"
# Postfix's pipe(8) writes the null sender as MAILER-DAEMON.
hard_dsn cfo@victim.example m2 > "$T/msg"
pipe_from 192.0.2.25 MAILER-DAEMON "$tv" M2 < "$T/msg"
check "a relay of ours not yet in trusted_bounce_networks: unverified" grep -q \
    "M2: bounce recipient=<cfo@victim.example> .*action=unverified client=192.0.2.25 why=untrusted-client" "$T/err"
write_config "trusted_bounce_networks = 192.0.2.0/24, 2001:db8::/64"
hard_dsn cfo@victim.example m3 > "$T/msg"
pipe_from 192.0.2.25 MAILER-DAEMON "$tv" M3 < "$T/msg"
check "from trusted_bounce_networks with the null sender: suppressed" grep -q \
    "M3: bounce recipient=<cfo@victim.example> .*action=suppressed\$" "$T/err"
tv6=$($AS_USER "$TOOL" token "$CONF" a6@victim.example b6@victim.example)
hard_dsn a6@victim.example m4 > "$T/msg"
pipe_from 2001:db8::25 "" "$tv6" M4 < "$T/msg"
check "an IPv6 client in trusted_bounce_networks: suppressed" grep -q \
    "M4: bounce recipient=<a6@victim.example> .*action=suppressed\$" "$T/err"
hard_dsn b6@victim.example m5 > "$T/msg"
pipe_from 2001:db8:1::25 "" "$tv6" M5 < "$T/msg"
check "an IPv6 client outside it: unverified" grep -q \
    "M5: bounce recipient=<b6@victim.example> .*action=unverified client=2001:db8:1::25" "$T/err"

# A token for one recipient (an address too long for a VERP local part)
# was seen by that recipient only: trusted from anywhere, as before.
long=$(printf 'l%.0s' $(seq 1 60))@victim.example
t1=$($AS_USER "$TOOL" token "$CONF" "$long")
hard_dsn "$long" s1 > "$T/msg"
pipe_from 203.0.113.9 "" "$t1" S1 < "$T/msg"
check "single-recipient token from outside: suppressed as before" grep -q \
    "S1: bounce recipient=<$long> .*action=suppressed\$" "$T/err"

# A single-recipient VERP: the signed recipient is the only one recorded,
# whatever the report names.
v=$(verp mallory@evil.example)
hard_dsn boss@victim.example s2 > "$T/msg"
pipe_from 203.0.113.9 "" "$v" S2 < "$T/msg"
check "a report naming another address is recorded for the signed recipient" grep -q \
    "S2: bounce recipient=<mallory@evil.example> .*dsn_recipient=<boss@victim.example>" "$T/err"
ok $([ "$(state boss@victim.example)" = "" ] || [ "$(state boss@victim.example)" = none ]; echo $?) \
    "the address the report names is not touched"

# Replay. The CEO was suppressed by a bounce; the administrator lifts it.
admin unsuppress ceo@victim.example > /dev/null 2>&1
ok $([ "$(state ceo@victim.example)" = active ]; echo $?) "unsuppress: the CEO is active"
admin show ceo@victim.example > "$T/show" 2>&1
check "bounceguard show names the time of the unsuppress" grep -q '^unsuppressed: 20' "$T/show"
# The same bounce with one byte changed (a new digest) comes again.
hard_dsn ceo@victim.example m1x > "$T/msg"
pipe_from "" "" "$tv" R1 < "$T/msg"
ok $([ $rc = 0 ] && grep -q "R1: bounce recipient=<ceo@victim.example> reason=userunknown type=hard .*action=stale stamped=$(date -u +%Y-%m-%d) unsuppressed=20.*: stamped no later than the day of the last unsuppress" "$T/err"; echo $?) \
    "replayed bounce after unsuppress: action=stale, saying why"
ok $([ "$(state ceo@victim.example)" = active ]; echo $?) "replayed bounce: the CEO stays active"
v=$(verp ceo@victim.example -1)
hard_dsn ceo@victim.example r2 > "$T/msg"
pipe_from "" "" "$v" R2 < "$T/msg"
check "a bounce to a VERP stamped yesterday: stale" grep -q "R2: bounce .*action=stale" "$T/err"
v=$(verp ceo@victim.example)
hard_dsn ceo@victim.example r3 > "$T/msg"
pipe_from 203.0.113.9 "" "$v" R3 < "$T/msg"
check "a bounce to a VERP stamped today, before or after the unsuppress: stale (day granularity, the safe side)" \
    grep -q "R3: bounce .*action=stale" "$T/err"
for i in 1 2 3 4 5 6; do
	full_dsn ceo@victim.example "r4$i" > "$T/msg"
	pipe_from 203.0.113.9 "" "$v" "R4$i" < "$T/msg"
done
ok $([ "$(state ceo@victim.example)" = active ]; echo $?) \
    "replayed soft bounces do not add up to a suppression either"
# Mail stamped after the day of the unsuppress (tomorrow's stamp stands in
# for a message sent the next day) that bounces hard suppresses again.
v=$(verp ceo@victim.example 1)
hard_dsn ceo@victim.example r5 > "$T/msg"
pipe_from 203.0.113.9 "" "$v" R5 < "$T/msg"
check "a fresh bounce stamped after the unsuppress day: suppressed" grep -q \
    "R5: bounce recipient=<ceo@victim.example> .*action=suppressed\$" "$T/err"
ok $([ "$(state ceo@victim.example)" = suppressed ]; echo $?) "the CEO is suppressed again"

# ---- a real Postfix, with the master.cf line of contrib/postfix ----
pf_section() {
	for p in postfix postconf swaks sendmail; do
		command -v "$p" > /dev/null 2>&1 || { echo "# SKIP real Postfix: $p not installed"; return 0; }
	done
	[ "$(id -u)" = 0 ] || { echo "# SKIP real Postfix: needs root"; return 0; }
	. "$BG_SRC/tests/lib/postfix-env.sh"
	trap 'pf_stop_all; rm -rf "$T"' EXIT
	P=$T/pf
	port=$(pf_port)
	pf_config "$P" "$port" mta.ours.example
	cat >> "$P/etc/main.cf" <<MAIN
relay_domains = bounces.example.com
transport_maps = inline:{ bounces.example.com=bounceguard: }
bounceguard_destination_recipient_limit = 1
default_transport = error:5.1.1 User unknown
MAIN
	grep -v '^#' "$BG_SRC/contrib/postfix/master.cf.pipe" |
	    sed -e "s|/usr/local/libexec/bounceguard/bounceguard-pipe|$PIPE|" \
		-e "s|/etc/bounceguard/bounceguard.conf|$CONF|" \
		-e "s|user=bounceguard|user=nobody|" >> "$P/etc/master.cf"
	ok $(grep -q ' -a ${client_address} ' "$P/etc/master.cf"; echo $?) \
	    "Postfix: master.cf has contrib's pipe line, which passes -a \${client_address}"
	write_config
	pf_start "$P" "$port" || { ok 1 "Postfix: the private instance starts"; return 0; }
	tp=$($AS_USER "$TOOL" token "$CONF" mallory@evil.example pa@victim.example pb@victim.example)
	# The attacker's forged bounce, over SMTP from 127.0.0.1.
	hard_dsn pa@victim.example pf1 > "$T/forged"
	swaks --server "127.0.0.1:$port" -f '' -t "$tp" --data "$T/forged" \
	    > "$T/swaks" 2>&1
	# The bounce Postfix writes itself: a message from the token's return
	# path to pb@, which default_transport refuses with 5.1.1.
	printf 'Subject: news\n\nhello\n' |
	    sendmail -C "$P/etc" -f "$tp" pb@victim.example
	i=0
	while [ $i -lt 300 ]; do
		[ "$(state pb@victim.example)" = suppressed ] &&
		    admin show pa@victim.example 2>/dev/null | grep -q '^unverified: 1' && break
		sleep 0.1
		i=$((i + 1))
	done
	ok $([ "$(state pa@victim.example)" = active ] &&
	    admin show pa@victim.example 2>/dev/null | grep -q '^unverified: 1'; echo $?) \
	    "Postfix: a co-recipient's bounce over SMTP is recorded as unverified, the victim stays active"
	ok $([ "$(state pb@victim.example)" = suppressed ]; echo $?) \
	    "Postfix: the bounce Postfix wrote itself to the same token suppresses"
	grep -q 'relay=bounceguard,.*status=sent' "$P/maillog"
	ok $? "Postfix: both bounces delivered through the bounceguard pipe service"
}
pf_section
done_testing
