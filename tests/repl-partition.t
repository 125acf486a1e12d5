#!/bin/bash
# repl-partition.t - three replication sites on loopback.
# Partition: a client whose peers are all stopped keeps refusing from its
# own copy (lookup socket), its writes exit 75 (pipe) or fail saying why
# (administrator's tool), and it converges once its peers are back.
# Bad peers: a site that is not in repl_peers is refused and logged, gets
# nothing, and one that sends a join request is added by Berkeley DB and
# then removed by the master's milter, and logged.
. "$BG_SRC/tests/lib/repl-env.sh"

LC=$BG_BUILD/bench/lookup_client
JOIN=$BG_BUILD/bench/bg_repljoin
for f in "$LC" "$JOIN"; do [ -x "$f" ] || skip_all "$f not built"; done

for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master"
m=$MASTER
c=$(( m % 3 + 1 )); o=$(( c % 3 + 1 ))

# deliver I SITE [TRIES] - bounce I through SITE's pipe, retried while 75
deliver() {
	a="p$1@example.org"
	[ -f "$T/msg.$1" ] || hard_dsn "$a" "part$1" > "$T/msg.$1"
	for _ in $(seq 1 "${3:-40}"); do
		pipe "$2" "$(verp "$a")" "P$1" < "$T/msg.$1"
		[ "$rc" = 75 ] || break
		sleep 0.5
	done
}
ask() { printf 'check %s\n' "$2" | "$LC" -s "$T/s$1/run/lookup.sock" 2>/dev/null; }

deliver 1 "$c"
ok $(( rc != 0 )) "a bounce through the client (site $c) is acknowledged"
dumps_agree 20
ok $? "every site has it"

# Partition: stop the client's two peers, both at once (one after the
# other, the client and the second could elect the client in between).
kill -KILL "${MPID[$m]}" "${MPID[$o]}"
{ kill_site "$m" KILL; kill_site "$o" KILL; } 2>/dev/null
case $(ask "$c" p1@example.org) in suppressed*) r=0 ;; *) r=1 ;; esac
ok $r "cut off, the client still refuses a suppressed address from its copy"
case $(ask "$c" nobody@example.org) in ok*) r=0 ;; *) r=1 ;; esac
ok $r "and accepts one that is not suppressed"
t0=$(date +%s)
deliver 2 "$c" 1
ok $(( rc != 75 )) "a bounce delivered to it exits 75 ($(( $(date +%s) - t0 ))s), so that the MTA retries"
out=$(admin "$c" suppress cut@example.org 2>&1); r=$?
ok $(( r == 0 )) "suppress on it fails (exit $r: $out)"
cut_off() {
	status "$c" | grep -q "role=client master=none" &&
	    [ "$(status "$c" | grep -c '^peer=.* state=disconnected')" = 2 ]
}
end=$(( $(date +%s) + 10 ))
until cut_off || [ "$(date +%s)" -ge "$end" ]; do sleep 0.3; done
cut_off
ok $? "db status says it has no master, and both peers disconnected"
status "$c" | sed 's/^/# /'
grep -q "repl event=election_failed\|repl event=peer peer=.* state=disconnected" "$T/s$c/log"
ok $? "its milter logged the lost peers or the failed elections"

# Reconnection: the peers come back; the client converges; the retries pass.
start_site "$m"
start_site "$o"
wait_master 60
ok $? "with its peers back the group has a master again (site ${MASTER:-none})"
deliver 2 "$c"
ok $(( rc != 0 )) "the deferred bounce succeeds on retry"
r=1
for _ in $(seq 1 20); do
	admin "$c" suppress cut@example.org >/dev/null 2>&1 && { r=0; break; }
	sleep 0.5
done
ok $r "and so does the suppress"
dumps_agree 30
ok $? "the three sites converge: every dump --json identical"
grep -q '"address":"p2@example.org"' "$T/dump.$m" &&
    grep -q '"address":"cut@example.org"' "$T/dump.$m"
ok $? "the old master has the client's changes"

# Bad peer 1: a fourth site, in nobody's repl_peers, that thinks it is in
# the group (its configuration lists the three).
d=$T/s4
mkdir -p "$d/store" "$d/run" "$d/quarantine"
chown bounceguard "$d/store" "$d/quarantine"
sed -e "s|$T/s1|$d|g" -e "s|^repl_local = .*|repl_local = $(addr 4)|" \
    -e "s|^repl_peers = .*|repl_peers = $(addr 1), $(addr 2), $(addr 3)|" \
    "$T/s1/bounceguard.conf" > "$d/bounceguard.conf"
"$MILTER" -c "$d/bounceguard.conf" -f >> "$d/log" 2>&1 &
MPID[4]=$!
refused() {
	grep -l "repl event=refused peer=$(addr "$1") reason=not_a_member" \
	    "$T"/s[123]/log >/dev/null 2>&1
}
end=$(( $(date +%s) + 20 ))
until refused 4 || [ "$(date +%s)" -ge "$end" ]; do sleep 0.3; done
refused 4
ok $? "the group refuses the unknown site's connections, and logs it"
"$ADMIN" -c "$d/bounceguard.conf" dump --json 2>/dev/null | grep -q "p1@example.org"
ok $(( $? == 0 )) "the unknown site gets none of the group's data"
hard_dsn "intruder@example.org" "intruder" > "$T/msg.intruder"
$AS_USER "$PIPE" -c "$d/bounceguard.conf" -r "$(verp intruder@example.org)" \
    -s "" -q INTRUDER < "$T/msg.intruder" >/dev/null 2>&1
ok $(( $? != 75 )) "a bounce delivered to it exits 75"
for s in 1 2 3; do admin "$s" dump --json 2>/dev/null; done | grep -q intruder@example.org
ok $(( $? == 0 )) "and reaches none of the group's sites"
kill -KILL "${MPID[4]}" 2>/dev/null
wait "${MPID[4]}" 2>/dev/null
MPID[4]=

# Bad peer 2: a site that sends the master a join request. Berkeley DB
# adds it to the group; the master's milter removes it.
mkdir -p "$T/j"
"$JOIN" "$T/j" "$(addr 5)" "$(addr "$MASTER")" 8 > "$T/j.out" 2>&1 &
jp=$!
removed() { grep -q "repl event=site_removed peer=$(addr 5) reason=not_in_repl_peers" "$T/s$MASTER/log"; }
end=$(( $(date +%s) + 20 ))
until removed || [ "$(date +%s)" -ge "$end" ]; do sleep 0.3; done
grep -q "repl event=site_added peer=" "$T/s$MASTER/log"
ok $? "a join request from a site not in repl_peers is seen by the master"
removed
ok $? "the master removes that site again, and logs it"
kill -KILL "$jp" 2>/dev/null
wait "$jp" 2>/dev/null
deliver 3 "$m"
ok $(( rc != 0 )) "the group still takes changes afterwards"
dumps_agree 20
ok $? "and the three sites still agree"
done_testing
