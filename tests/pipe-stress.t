#!/bin/sh
# pipe-stress.t - many bounceguard-pipe processes at once, and pipes killed
# with SIGKILL at random moments while the MTA retries: every counter
# must be exact and every bounce recorded exactly once.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
write_config "event_log =
store_lock_timeout = 10s"

check "configuration loads" sh -c "$AS_USER $TOOL get $T/bounceguard.conf nobody@example.org"

# 16 pipes at once, 100 bounces each, over 8 shared addresses: half
# retry-able (counted as other), half hard-to-count soft ones.
for a in 0 1 2 3 4 5 6 7; do verp "s$a@example.org" > "$T/verp.$a"; done
for p in $(seq 1 16); do
	(
		for i in $(seq 1 100); do
			a=$(((p + i) % 8))
			if [ $((i % 2)) = 0 ]; then
				dsn "s$a@example.org" 4.7.0 "421 4.7.0 Too many concurrent SMTP connections; try again later" failed "p$p-$i"
			else
				dsn "s$a@example.org" 5.2.2 "552 5.2.2 Mailbox full" failed "p$p-$i"
			fi > "$T/m.$p"
			# As an MTA does: exit 75 means "try again later".
			for try in 1 2 3 4 5; do
				$AS_USER "$PIPE" -c "$T/bounceguard.conf" \
				    -r "$(cat "$T/verp.$a")" -s "" -q "P$p.$i" -e \
				    < "$T/m.$p" 2>>"$T/err.$p"
				rc=$?
				[ $rc = 75 ] && echo "P$p.$i" >> "$T/deferred.$p"
				[ $rc = 75 ] || break
			done
			[ $rc = 0 ] || echo "P$p.$i exit $rc" >> "$T/failures"
		done
	) &
done
wait
echo "# $(cat "$T"/deferred.* 2>/dev/null | wc -l) deliveries deferred (exit 75) and retried"
cat "$T"/err.* | grep 'deferred:' | sed 's/^/# /' | sort | uniq -c | head -5
check "16 x 100 concurrent deliveries: all recorded (exit 0, after retries)" test ! -s "$T/failures"
[ -s "$T/failures" ] && { sed 's/^/# /' "$T/failures"; cat "$T"/err.* | grep -v ': bounce ' | sed 's/^/# /'; }
soft=0 other=0
for a in 0 1 2 3 4 5 6 7; do
	line=$(get "s$a@example.org")
	s=$(echo "$line" | sed -n 's/.* soft=\([0-9]*\) .*/\1/p')
	o=$(echo "$line" | sed -n 's/.* other=\([0-9]*\) .*/\1/p')
	soft=$((soft + ${s:-0}))
	other=$((other + ${o:-0}))
done
ok $([ $soft = 800 ]; echo $?) "soft bounces counted exactly: $soft of 800"
ok $([ $other = 800 ]; echo $?) "retry-able bounces counted exactly: $other of 800"

# 200 deliveries, each pipe killed with SIGKILL after a random delay; the
# "MTA" retries every delivery that did not exit 0 until one does.
killed=0 retried=0
for i in $(seq 1 200); do
	v=$(verp "k$i@example.org")
	hard_dsn "k$i@example.org" "k$i" > "$T/msg"
	$AS_USER "$PIPE" -c "$T/bounceguard.conf" -r "$v" -s "" -q "K$i" \
	    < "$T/msg" 2>/dev/null &
	pid=$!
	sleep "0.00$((i % 10))"
	kill -KILL $pid 2>/dev/null && killed=$((killed + 1))
	wait $pid 2>/dev/null
	rc=$?
	tries=0
	while [ $rc != 0 ] && [ $tries -lt 20 ]; do
		tries=$((tries + 1))
		retried=$((retried + 1))
		$AS_USER "$PIPE" -c "$T/bounceguard.conf" -r "$v" -s "" -q "K$i" \
		    < "$T/msg" 2>/dev/null
		rc=$?
	done
done
echo "# $killed pipes killed, $retried deliveries retried"
ok $([ $retried -gt 20 ]; echo $?) "SIGKILL really interrupted deliveries ($retried retries)"
bad=0
for i in $(seq 1 200); do
	get "k$i@example.org" > "$T/rec"
	if ! grep -q '^state=suppressed hard=1 ' "$T/rec" ||
	    [ "$(grep -c '^event ' "$T/rec")" != 1 ]; then
		bad=$((bad + 1))
		sed 's/^/# /' "$T/rec"
	fi
done
ok $bad "after SIGKILLs and retries every bounce is recorded exactly once ($bad wrong)"
hard_dsn "k1@example.org" "after" > "$T/msg"
run_pipe "$(verp k1@example.org)" AFTER < "$T/msg"
ok $rc "the store opens cleanly afterwards"
done_testing
