#!/bin/bash
# repl.t - three replication sites on loopback: every bounce and every
# administrator's change made on any site reaches every site's store;
# a client forwards its changes to the master; when the master's milter
# is killed, the others elect a new master within 10 s, deliveries go on
# there, and the old master rejoins as a client and converges.
. "$BG_SRC/tests/lib/repl-env.sh"

BOUNCES=${REPL_BOUNCES:-60}
for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect one master and all agree on it"
first=$MASTER

# deliver I SITE - bounce I through SITE's pipe; retried while it defers
deliver() {
	a="user$1@example.org"
	hard_dsn "$a" "m$1" > "$T/msg.$1"
	for _ in $(seq 1 "${TRIES:-60}"); do
		pipe "$2" "$(verp "$a")" "Q$1" < "$T/msg.$1"
		[ "$rc" = 75 ] || break
		deferred=$((deferred + 1))
		sleep 0.5
	done
	[ "$rc" = 0 ] || bad=$((bad + 1))
}

bad=0 deferred=0
for i in $(seq 1 "$BOUNCES"); do deliver "$i" $(( i % 3 + 1 )); done
ok $(( bad != 0 )) "$BOUNCES bounces through the pipes of all three sites are acknowledged (bad=$bad)"
client=$(( first % 3 + 1 ))
admin "$client" suppress manual@example.org --reason "by hand" >/dev/null 2>&1
ok $? "suppress on a client (site $client) succeeds"
printf 'address\treason\nimported@example.org\tlist\n' > "$T/import.tsv"
chown bounceguard "$T/import.tsv"
admin "$client" import "$T/import.tsv" >/dev/null 2>&1
ok $? "import on a client succeeds"
dumps_agree 20
ok $? "every site's dump --json is identical"
want=$((BOUNCES + 2))
ok $(( $(wc -l < "$T/dump.1") != want )) "each bounce recorded exactly once ($(wc -l < "$T/dump.1") addresses, want $want)"
grep -q '"address":"manual@example.org","state":"suppressed"' "$T/dump.$first"
ok $? "the master has the client's suppression"
status "$client" | grep -q "role=client master=$(addr "$first")"
ok $? "db status on a client names the master"
# peers_ok SITE SECONDS - db status lists both peers connected, with how
# far behind they are (the milter polls them once a second)
peers_ok() {
	end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(status "$1" | grep -c \
		    '^peer=.* state=connected role=[a-z]* lsn=[0-9]*/[0-9]* behind=[0-9]* checked=')" = 2 ] &&
		    return 0
		sleep 0.3
	done
	return 1
}
# The milter's own writes on a client reach the master: a VERP token made
# by a client's lookup socket (an address too long to sign inline) lets a
# bounce delivered at the third site be recorded, on every site.
long="a-very-very-very-very-long-local-part-that-needs-a-token-$$@example.org"
third=$(( client % 3 + 1 )); [ "$third" = "$first" ] && third=$(( third % 3 + 1 ))
lv=""
for _ in $(seq 1 20); do
	lv=$(printf 'verp %s\n' "$long" | "$BG_BUILD/bench/lookup_client" \
	    -s "$T/s$client/run/lookup.sock" 2>/dev/null)
	case $lv in *@bounces.example.com) break ;; esac
	sleep 0.5
done
case $lv in *@bounces.example.com) r=0 ;; *) r=1 ;; esac
ok $r "a client's lookup socket hands out a token VERP ($lv)"
grep -q "repl forwarded change=token status=0" "$T/s$first/log"
ok $? "the client's token was written by the master"
hard_dsn "$long" "mtoken" > "$T/msg.token"
rc=75
for _ in $(seq 1 20); do
	pipe "$third" "$lv" QTOKEN < "$T/msg.token"
	[ "$rc" = 75 ] || break
	sleep 0.5
done
ok $(( rc != 0 )) "a bounce to it through the third site (site $third) is acknowledged"
want=$((want + 1))
dumps_agree 20
ok $? "every site's dump --json is identical after it"
grep -q "\"address\":\"$long\"" "$T/dump.1"
ok $? "the token's address is recorded on every site"
peers_ok "$first" 10
ok $? "db status on the master lists both peers, connected, with behind= in bytes"
status "$first" | sed 's/^/# /'
status "$first" | grep -q "^replication=on .* role=master .* behind=0$"
ok $? "db status on the master: behind=0 for itself"

# Failover: SIGKILL the master's milter; a new master within 10 s.
kill_site "$first" KILL
start=$(date +%s)
wait_master 10
ok $? "a new master is elected within 10 s after SIGKILL (site ${MASTER:-none})"
ok $(( MASTER == first )) "the new master is another site ($(( $(date +%s) - start ))s)"
end=$(( $(date +%s) + 10 ))
until status "$MASTER" | grep -q "^peer=$(addr "$first") state=disconnected" ||
    [ "$(date +%s)" -ge "$end" ]; do sleep 0.3; done
status "$MASTER" | grep -q "^peer=$(addr "$first") state=disconnected"
ok $? "db status on the new master shows the old one disconnected"
grep -q "repl event=elected site=$(addr "$MASTER")" "$T/s$MASTER/log" &&
    grep -q "repl event=role role=master site=$(addr "$MASTER")" "$T/s$MASTER/log"
ok $? "the new master's milter logged the election and its role as key=value lines"
# Bounded: 3 deliveries, 10 s each at most.
bad=0 deferred=0 TRIES=20
for i in $(seq $((BOUNCES + 1)) $((BOUNCES + 3))); do
	s=$(( i % 3 + 1 )); [ "$s" = "$first" ] && s=$MASTER
	deliver "$i" "$s"
done
ok $(( bad != 0 )) "deliveries after the failover are acknowledged ($deferred deferred first)"
start_site "$first"
dumps_agree 20
ok $? "the old master rejoins and converges"
names_master "$first" "$MASTER" 10
ok $? "the old master is a client of the new one"
ok $(( $(wc -l < "$T/dump.1") != want + 3 )) "nothing acknowledged was lost ($(wc -l < "$T/dump.1") addresses)"
# The contrib/repl example's snippets load with the real parser.
for f in sender-a sender-b mx; do
	grep -v '^repl_' "$(conf 1)" > "$T/$f.conf"
	sed "s|/etc/bounceguard/repl.secret|$T/repl.secret|" \
	    "$BG_SRC/contrib/repl/$f.conf" >> "$T/$f.conf"
	"$ADMIN" -c "$T/$f.conf" verp encode probe@example.org >/dev/null 2>&1
	ok $? "contrib/repl/$f.conf loads"
done
done_testing
