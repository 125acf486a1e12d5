#!/bin/bash
# repl-kill.t - programs SIGKILLed in the middle of their changes on the
# master while its milter (the site's replication process) runs: pipes,
# which hand their changes to the milter over bounceguard.repl-socket, and
# administrator's writing commands (an import of 2,000 addresses), which
# join the store themselves. When the next program to open the store finds
# a dead one, the store is recovered; the milter then reopens it, or, when
# Berkeley DB will not let it start replication again in the same process,
# exits, and is restarted as systemd would (Restart=on-failure). Afterwards every killed delivery
# and command succeeds on retry, each recorded once, and the three sites
# converge.
. "$BG_SRC/tests/lib/repl-env.sh"

KILLS=${REPL_KILLS:-15}
for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master"
m=$MASTER
# One import file for every killed import: long enough (about 0.1 s) to
# be killed in the middle of its transactions.
IMPORTED=2000
{ printf 'address\treason\n'
  for k in $(seq 1 "$IMPORTED"); do printf 'imp%d@example.org\tlist\n' "$k"; done
} > "$T/imp.tsv"
chown bounceguard "$T/imp.tsv"
for i in $(seq 1 "$KILLS"); do
	a="k$i@example.org"
	hard_dsn "$a" "kill$i" > "$T/msg.$i"
	$AS_USER "$PIPE" -c "$(conf "$m")" -r "$(verp "$a")" -s "" -q "K$i" \
	    < "$T/msg.$i" >/dev/null 2>>"$T/pipe.err" &
	p=$!
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	admin "$m" import "$T/imp.tsv" >/dev/null 2>&1 &
	p=$!
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
restarted=0
# restart_if_gone - what systemd's Restart=on-failure does
restart_if_gone() {
	if ! kill -0 "${MPID[$m]}" 2>/dev/null; then
		wait "${MPID[$m]}" 2>/dev/null
		MPID[$m]=
		sleep 2
		start_site "$m"
		restarted=$((restarted + 1))
	fi
}
bad=0 badadmin=0
DEADLINE=$(( $(date +%s) + ${REPL_KILL_SECONDS:-90} ))
for i in $(seq 1 "$KILLS"); do
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		restart_if_gone
		pipe "$m" "$(verp "k$i@example.org")" "K$i" < "$T/msg.$i"
		[ "$rc" = 75 ] || break
		sleep 0.5
	done
	[ "$rc" = 0 ] || bad=$((bad + 1))
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		restart_if_gone
		admin "$m" import "$T/imp.tsv" >/dev/null 2>>"$T/admin.err"
		arc=$?
		[ "$arc" = 75 ] || break
		sleep 0.5
	done
	[ "$arc" = 0 ] || badadmin=$((badadmin + 1))
done
echo "# the master's milter was restarted $restarted time(s)"
grep -h "fatal\|reopening\|store unavailable" "$T/s$m/log" | sed 's/^/# /' | cut -c1-200
ok $(( bad != 0 )) "every killed delivery succeeds on retry ($bad did not)"
ok $(( badadmin != 0 )) "every killed import succeeds on retry ($badadmin did not)"
wait_master 30
ok $? "the sites agree on a master"
dumps_agree 30
ok $? "the three sites converge"
cnt=$(grep -c '"address":"k[0-9]*@example.org"' "$T/dump.1")
ok $(( cnt != KILLS )) "every bounce is recorded ($cnt of $KILLS)"
cnt=$(grep '"address":"k[0-9]*@example.org"' "$T/dump.1" | grep -c '"hard":1,')
ok $(( cnt != KILLS )) "each exactly once ($cnt with hard=1)"
cnt=$(grep -c '"address":"imp[0-9]*@example.org","state":"suppressed"' "$T/dump.1")
ok $(( cnt != IMPORTED )) "every imported address is suppressed ($cnt of $IMPORTED)"
done_testing
