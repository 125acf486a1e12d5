#!/bin/bash
# repl-scale.t - three replication sites on loopback under a stream of
# changes: 1,000 bounces delivered through the pipes of all three sites
# at once, and 100 administrator's changes (suppress, unsuppress) made on
# all three; in the middle of it every process of the master's site (its
# milter and the pipes and commands running there) is SIGKILLed. The
# others elect a new master within 10 s; deliveries that exit 75 (or die
# with their site) are retried, as an MTA would; the old master restarts,
# rejoins as a client and converges. At the end every site's dump --json
# is identical, every acknowledged bounce is there, and each is counted
# exactly once. REPL_SCALE_BOUNCES and REPL_SCALE_ADMIN make it smaller.
. "$BG_SRC/tests/lib/repl-env.sh"

BOUNCES=${REPL_SCALE_BOUNCES:-1000}
NADMIN=${REPL_SCALE_ADMIN:-100}
DEADLINE=$(( $(date +%s) + ${REPL_SCALE_SECONDS:-400} ))
for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master"
first=$MASTER

# The bounces, made beforehand: bounce I is for bI@example.org.
mkdir "$T/m"
seq 1 "$BOUNCES" | sed 's/^/b/; s/$/@example.org/' > "$T/addrs"
"$TOOL" verp "$(conf 1)" - < "$T/addrs" > "$T/verps" ||
    { echo "Bail out! cannot make VERPs"; exit 1; }
i=0
while read -r a; do
	i=$((i + 1))
	hard_dsn "$a" "scale$i" > "$T/m/$i"
done < "$T/addrs"

# run SITE LABEL CMD... - run a command of SITE, retried while it exits 75
# or is killed, as an MTA or an administrator would retry; its pid is in
# $T/pid.LABEL while it runs (so that its site can be killed); the
# command's standard input is a file named by $IN. "LABEL rc" is logged.
run() {
	local site=$1 label=$2 rc
	shift 2
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		"$@" < "${IN:-/dev/null}" >/dev/null 2>>"$T/err.$label" &
		echo "$! $site" > "$T/pid.$label"
		wait $! 2>/dev/null
		rc=$?
		rm -f "$T/pid.$label"
		echo "$label $rc" >> "$T/tries"
		case $rc in
		75|137) sleep 0.2 ;;
		*) return "$rc" ;;
		esac
	done
	return 75
}

# stream K - bounces K, K+3, ... through site K's pipe
stream() {
	local k=$1 i v
	sed -n "$k~3p" "$T/verps" | {
		i=$k
		while read -r v; do
			IN=$T/m/$i run "$k" "b$k" $AS_USER "$PIPE" -c "$(conf "$k")" \
			    -r "$v" -s "" -q "Q$i"
			echo "$i $?" >> "$T/acked"
			i=$((i + 3))
		done
	}
}

# admins - ADMIN changes, on the three sites in turn: admin addresses
# are suppressed, and every third one unsuppressed again
admins() {
	for j in $(seq 1 "$NADMIN"); do
		s=$(( j % 3 + 1 ))
		n=$(( (j + 1) / 2 ))
		if [ $((j % 2)) = 1 ]; then
			run "$s" admin "$ADMIN" -c "$(conf "$s")" suppress \
			    "a$n@example.org" --reason "scale test"
		elif [ $((n % 3)) = 0 ]; then
			run "$s" admin "$ADMIN" -c "$(conf "$s")" unsuppress \
			    "a$n@example.org"
		else
			run "$s" admin "$ADMIN" -c "$(conf "$s")" suppress \
			    "a$n@example.org" --reason "scale test again"
		fi
		echo "admin $j $?" >> "$T/admin.done"
	done
}

touch "$T/acked" "$T/admin.done" "$T/tries"
start=$(date +%s)
jobs_=""
for k in 1 2 3; do stream "$k" & jobs_="$jobs_ $!"; done
admins &
jobs_="$jobs_ $!"

# In the middle of the stream, SIGKILL every process of the master's site.
until [ "$(wc -l < "$T/acked")" -ge $((BOUNCES / 2)) ] ||
    [ "$(date +%s)" -ge "$DEADLINE" ]; do sleep 0.2; done
killed=0
kill -KILL "${MPID[$first]}" 2>/dev/null
for f in "$T"/pid.*; do
	[ -f "$f" ] || continue
	read -r p s < "$f" 2>/dev/null || continue
	[ "$s" = "$first" ] && kill -KILL "$p" 2>/dev/null && killed=$((killed + 1))
done
wait "${MPID[$first]}" 2>/dev/null
MPID[$first]=
t_kill=$(date +%s)
echo "# SIGKILL of site $first (its milter and $killed of its commands) after $(wc -l < "$T/acked") bounces"
wait_master 10
ok $? "a new master within 10 s of the SIGKILL (site ${MASTER:-none}, $(( $(date +%s) - t_kill ))s)"
ok $(( MASTER == first )) "the new master is another site"
# The old master comes back a little later and must rejoin as a client.
sleep 3
start_site "$first"

for j in $jobs_; do wait "$j"; done
echo "# streams done in $(( $(date +%s) - start ))s; $(grep -c ' 75$' "$T/tries") tries exited 75, $(grep -c ' 137$' "$T/tries") were killed"
bad=$(awk '$2 != 0' "$T/acked" | wc -l)
ok $(( bad != 0 || $(wc -l < "$T/acked") != BOUNCES )) "all $BOUNCES bounces acknowledged in the end (not: $bad)"
bad=$(awk '$3 != 0' "$T/admin.done" | wc -l)
ok $(( bad != 0 || $(wc -l < "$T/admin.done") != NADMIN )) "all $NADMIN administrator's changes done in the end (not: $bad)"
ok $(( $(grep -c ' 75$' "$T/tries") == 0 )) "some deliveries during the failover exited 75 and succeeded on retry"

wait_master 30
ok $? "after the stream the sites agree on a master"
dumps_agree 90
ok $? "every site's dump --json is identical"
n_b=$(grep -c '"address":"b[0-9]*@example.org"' "$T/dump.1")
ok $(( n_b != BOUNCES )) "every bounce is recorded ($n_b of $BOUNCES addresses)"
n_once=$(grep '"address":"b[0-9]*@example.org"' "$T/dump.1" | grep -c '"hard":1,')
ok $(( n_once != BOUNCES )) "each bounce is counted exactly once ($n_once with hard=1)"
n_a=$(grep -c '"address":"a[0-9]*@example.org"' "$T/dump.1")
ok $(( n_a != (NADMIN + 1) / 2 )) "every administrator's address is there ($n_a of $(( (NADMIN + 1) / 2 )))"
names_master "$first" "$MASTER" 10
ok $? "the old master is a client of the new one"
done_testing
