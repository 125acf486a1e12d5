#!/bin/bash
# repl-kill.t - pipes SIGKILLed in the middle of their deliveries on the
# master while its milter (the site's replication process) runs. With
# replication on, a pipe hands its changes to the milter over
# bounceguard.repl-socket, so a kill lands before, while or after the
# milter commits: every killed delivery succeeds on retry, each recorded
# once, and the three sites converge. (Administrator's writing commands,
# which still join the store themselves, are not killed here: a SIGKILLed
# import on the master was seen to leave its milter unable to record,
# see doc/replication.md.)
. "$BG_SRC/tests/lib/repl-env.sh"

KILLS=${REPL_KILLS:-15}
for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master"
m=$MASTER
# The kills are made while the master's milter runs: wait until it serves
# its pipes (its store open; the first open after an election can wait
# out a replication lockout, about 5 s).
for _ in $(seq 1 300); do
	[ -S "$T/s$m/store/bounceguard.repl-socket" ] && break
	sleep 0.1
done
[ -S "$T/s$m/store/bounceguard.repl-socket" ]
ok $? "the master's milter serves its pipes"
killed_pipes=0
for i in $(seq 1 "$KILLS"); do
	a="k$i@example.org"
	hard_dsn "$a" "kill$i" > "$T/msg.$i"
	$AS_USER "$PIPE" -c "$(conf "$m")" -r "$(verp "$a")" -s "" -q "K$i" \
	    < "$T/msg.$i" >/dev/null 2>>"$T/pipe.err" &
	p=$!
	sleep "0.00$((RANDOM % 5 + 1))"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	[ $? = 137 ] && killed_pipes=$((killed_pipes + 1))
done
echo "# SIGKILL ended $killed_pipes pipes before they finished"
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
bad=0
DEADLINE=$(( $(date +%s) + ${REPL_KILL_SECONDS:-90} ))
for i in $(seq 1 "$KILLS"); do
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		restart_if_gone
		pipe "$m" "$(verp "k$i@example.org")" "K$i" < "$T/msg.$i"
		[ "$rc" = 75 ] || break
		sleep 0.5
	done
	[ "$rc" = 0 ] || bad=$((bad + 1))
done
echo "# the master's milter was restarted $restarted time(s)"
grep -h "fatal\|reopening\|store unavailable" "$T/s$m/log" | sed 's/^/# /' | cut -c1-200
ok $(( killed_pipes == 0 )) "the kills interrupted pipes ($killed_pipes of $KILLS)"
ok $(( bad != 0 )) "every killed delivery succeeds on retry ($bad did not)"
wait_master 30
ok $? "the sites agree on a master"
dumps_agree 30
ok $? "the three sites converge"
cnt=$(grep -c '"address":"k[0-9]*@example.org"' "$T/dump.1")
ok $(( cnt != KILLS )) "every bounce is recorded ($cnt of $KILLS)"
cnt=$(grep '"address":"k[0-9]*@example.org"' "$T/dump.1" | grep -c '"hard":1,')
ok $(( cnt != KILLS )) "each exactly once ($cnt with hard=1)"
done_testing
