#!/bin/sh
# milter.t - bounceguard-milter driven over its socket by the C milter
# client (bench/milter_client.c), which sees what miltertest cannot: the
# envelope sender change. Outbound mail is stamped with a VERP address
# that verp_decode() accepts; inbound mail, the null sender and our own
# VERP senders pass untouched; suppressed recipients are refused with
# reject_reply while the message's other recipients are not; monitor
# mode; per-message tokens; send counters; an unusable store; reloads,
# good and bad; -t, -V, and refusing to run as root.
. "$BG_SRC/tests/lib/milter-env.sh"

today=$(date -u +%Y-%m-%d)
write_conf
$SEED suppress jane@example.org userunknown
$SEED suppress @dead.example hostunknown
$SEED suppress sue@example.org complaint example.com

# Options.
check "-t accepts a good configuration" "$MILTER" -c "$CONF" -t
cp "$CONF" "$T/bad.conf"
echo "reject_reply = 250 fine" >> "$T/bad.conf"
"$MILTER" -c "$T/bad.conf" -t > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q 'reject_reply: must start with a 4xx or 5xx' "$T/out"; echo $?) \
    "-t refuses a bad reject_reply, naming the key (exit $rc)"
"$MILTER" -V | grep -q '^bounceguard-milter [0-9]'
ok $? "-V prints the version"
cp "$CONF" "$T/root.conf"
echo "user = root" >> "$T/root.conf"
sed -i "s|$T/run/|$T/run/root-|" "$T/root.conf"
timeout 10 "$MILTER" -c "$T/root.conf" -f > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q 'is root' "$T/out"; echo $?) \
    "refuses to run as root (exit $rc)"

# After another process recovered the store, Berkeley DB refuses to free
# the old handle's memory (about 30 KB, once per recovery; see store.c):
# under SANITIZE=1, tell LeakSanitizer that this one is known.
echo "leak:libdb-5.3.so" > "$T/lsan.supp"
LSAN_OPTIONS=suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
export LSAN_OPTIONS
start_milter
ok $? "the daemon starts and listens"
ok $([ ! -e "$T/run/milter.pid" ]; echo $?) "-f (foreground): no pid file written"
ok $([ "$(stat -c %a "$T/run/milter.sock")" = 660 ]; echo $?) "socket mode 0660"
ok $(ps -o user= -p "$MPID" | grep -q bounceguard; echo $?) "runs as bounceguard"

# Outbound, one recipient: stamped with a valid VERP for that recipient.
mc -C 10.1.2.3 -q 4XyZ1 -f news@example.com -r Bob@Example.org > "$T/o1"
verp=$(verp_of "$T/o1")
ok $([ -n "$verp" ]; echo $?) "outbound by network: envelope sender changed ($verp)"
check "the VERP address decodes to the recipient" \
    sh -c "$SEED decode '$verp' | grep -qx 'valid bob@example.org'"
check "original sender kept in X-Bounceguard-Sender" \
    grep -qx 'eom addheader X-Bounceguard-Sender <news@example.com>' "$T/o1"
check "stamp logged with the queue id" grep -q \
    "4XyZ1: stamp sender=<news@example.com> verp=<$verp> recipients=1\$" "$T/log"

# The other outbound criteria.
for c in "-C 192.0.2.7 -A alice:authenticated" "-C 192.0.2.7 -D ORIGINATING:daemon" \
    "-L:local submission" ; do
	args=${c%%:*}
	mc $args -f news@example.com -r bob@example.org > "$T/o"
	ok $([ -n "$(verp_of "$T/o")" ]; echo $?) "outbound by ${c#*:}: stamped"
done
mc -C 192.0.2.7 -f list@corp.example -r bob@example.org > "$T/o"
ok $([ -n "$(verp_of "$T/o")" ]; echo $?) "outbound by sender domain: stamped"

# Inbound, null sender, our own VERP: untouched. The milter asks for no
# reply to MAIL (SMFIP_NR_MAIL), so it accepts such a message at its
# first RCPT; an MTA that cannot skip the reply sees it at MAIL.
passed() {
	grep -q '^\(mail\|rcpt <[^>]*>\) accept$' "$1"
}
mc -C 192.0.2.7 -f news@example.com -r jane@example.org > "$T/o"
ok $(passed "$T/o" && ! grep -q 'chgfrom\|reject' "$T/o"; echo $?) \
    "inbound mail untouched, suppressed recipient not refused"
mc -C 127.0.0.1 -f news@example.com -r bob@example.org > "$T/o"
ok $(passed "$T/o" && ! grep -q chgfrom "$T/o"; echo $?) "loopback SMTP (port != 0) is not local submission"
mc -C 10.1.2.3 -f "" -r jane@example.org > "$T/o"
ok $(passed "$T/o" && ! grep -q 'chgfrom\|reject' "$T/o"; echo $?) \
    "null sender never stamped or refused"
mc -C 10.1.2.3 -f "$verp" -r bob@example.org > "$T/o"
ok $(grep -qx 'rcpt <bob@example.org> continue' "$T/o" && ! grep -q chgfrom "$T/o"; echo $?) \
    "a sender that is our signed VERP is not stamped again"
mc -C 10.1.2.3 -f "$verp" -r jane@example.org > "$T/o"
check "but its suppressed recipients are still refused (issue 18, item 7)" \
    grep -q '^rcpt <jane@example.org> reject 550 ' "$T/o"

# Refusals.
mc -C 10.1.2.3 -q 4XyZ2 -f news@example.com -r jane@example.org -r bob@example.org \
    -r carl@example.net -r x@dead.example -r sue@example.org > "$T/o2"
check "suppressed recipient refused with reject_reply" grep -qx \
    "rcpt <jane@example.org> reject 550 5.1.1 <jane@example.org>: recipient suppressed by bounceguard (userunknown since $today)" "$T/o2"
check "domain-wide suppression refused" grep -q '^rcpt <x@dead.example> reject 550 5.1.1 ' "$T/o2"
check "complaint suppression refused for its sender domain" \
    grep -q '^rcpt <sue@example.org> reject 550 ' "$T/o2"
ok $(grep -qx 'rcpt <bob@example.org> continue' "$T/o2" &&
    grep -qx 'rcpt <carl@example.net> continue' "$T/o2"; echo $?) \
    "other recipients of the same message unaffected"
check "refusal logged" grep -q \
    '4XyZ2: reject recipient=<jane@example.org> reason=userunknown scope=global mode=enforce$' "$T/log"
check "domain-wide refusal logged with the match" grep -q \
    'reject recipient=<x@dead.example> reason=hostunknown scope=global match=@dead.example mode=enforce' "$T/log"
mc -C 10.1.2.3 -f info@other.example -r sue@example.org > "$T/o"
check "complaint suppression does not apply to another sender domain" \
    grep -qx 'rcpt <sue@example.org> continue' "$T/o"

# Several recipients: a token, its recipients in the store.
verp=$(verp_of "$T/o2")
tok=$($SEED decode "$verp" | sed -n 's/^valid token //p')
ok $([ -n "$tok" ]; echo $?) "several recipients: stamped with a token ($verp)"
$SEED token "$tok" > "$T/rcpts"
ok $([ "$(sort "$T/rcpts" | tr '\n' ' ')" = "bob@example.org carl@example.net " ]; echo $?) \
    "the token's recipients are in tokens.db, without the refused ones"
long=$(printf 'a%.0s' $(seq 1 60))@example.org
mc -C 10.1.2.3 -f news@example.com -r "$long" > "$T/o"
tok=$($SEED decode "$(verp_of "$T/o")" | sed -n 's/^valid token //p')
ok $([ -n "$tok" ] && [ "$($SEED token "$tok")" = "$long" ]; echo $?) \
    "a recipient too long for a VERP local part gets a token"

# Send counters, written by the batching thread within about a second.
sleep 1.5
sent=$($SEED sent example.org)
ok $([ "${sent:-0}" -ge 6 ]; echo $?) "sends counted per recipient domain (example.org: $sent)"

# Reloads: a bad file keeps the old settings; a good one is taken.
cp "$CONF" "$T/good.conf"
echo "reject_reply = 550 5.1.1 %q" >> "$CONF"
reload_milter
check "bad reload logged with the error" grep -q 'reload: .*reject_reply: unknown escape' "$T/log"
check "bad reload keeps the previous configuration" \
    grep -q 'keeping the previous configuration' "$T/log"
mc -C 10.1.2.3 -f news@example.com -r jane@example.org > "$T/o"
check "after a bad reload, still enforcing with the old reply" \
    grep -q '^rcpt <jane@example.org> reject 550 5.1.1 <jane@example.org>: recipient' "$T/o"
cp "$T/good.conf" "$CONF"
echo "mode = monitor" >> "$CONF"
reload_milter
check "good reload logged" grep -q 'reload: configuration reloaded' "$T/log"
mc -C 10.1.2.3 -q 4XyZ3 -f news@example.com -r jane@example.org > "$T/o"
ok $(grep -qx 'rcpt <jane@example.org> continue' "$T/o" && [ -n "$(verp_of "$T/o")" ]; echo $?) \
    "monitor mode: suppressed recipient accepted and stamped"
check "monitor mode logs what it would have refused" grep -q \
    '4XyZ3: reject recipient=<jane@example.org> reason=userunknown scope=global mode=monitor' "$T/log"

# The store unavailable: accept and log, or tempfail.
sed "s|^store_dir = .*|store_dir = $T/missing|" "$T/good.conf" > "$CONF"
reload_milter
mc -C 10.1.2.3 -q 4XyZ4 -f news@example.com -r jane@example.org > "$T/o"
ok $(grep -qx 'rcpt <jane@example.org> continue' "$T/o" && [ -n "$(verp_of "$T/o")" ]; echo $?) \
    "store unavailable: recipient accepted (on_store_error = accept)"
check "store unavailable: logged" grep -q \
    'warning: 4XyZ4: store error recipient=<jane@example.org> action=accept' "$T/log"
echo "on_store_error = tempfail" >> "$CONF"
reload_milter
mc -C 10.1.2.3 -f news@example.com -r jane@example.org > "$T/o"
check "store unavailable with on_store_error = tempfail: 451 4.3.0" \
    grep -q '^rcpt <jane@example.org> tempfail 451 4.3.0 ' "$T/o"
cp "$T/good.conf" "$CONF"
reload_milter
mc -C 10.1.2.3 -f news@example.com -r jane@example.org > "$T/o"
check "store back after a reload: refusing again" grep -q '^rcpt <jane@example.org> reject 550' "$T/o"

# A process killed inside the store: the next opener recovers it, and
# the milter reopens its handle instead of failing.
$SEED hold victim@example.org > "$T/hold" 2>&1 &
hpid=$!
for _ in $(seq 1 50); do grep -q holding "$T/hold" && break; sleep 0.1; done
kill -KILL "$hpid"
wait "$hpid" 2>/dev/null
$SEED suppress after@example.org userunknown > "$T/recovery" 2>&1
mc -C 10.1.2.3 -f news@example.com -r after@example.org -r jane@example.org > "$T/o"
ok $(grep -q '^rcpt <after@example.org> reject 550' "$T/o" &&
    grep -q '^rcpt <jane@example.org> reject 550' "$T/o"; echo $?) \
    "after a process died in the store and it was recovered: lookups work"
# Whether the milter saw DB_RUNRECOVERY (and reopened) depends on how the
# opener cleaned up after the dead process; either way no lookup fails.
ok $(! grep -q 'store error recipient=<after@example.org>' "$T/log"; echo $?) \
    "no lookup failed after the recovery$(grep -q 'reopening' "$T/log" && echo ' (the milter reopened its handle)')"
check "the daemon is still running" kill -0 "$MPID"

# Many connections at once.
"$MC" -s "unix:$T/run/milter.sock" -C 10.1.2.3 -n 2000 -p 8 -f news@example.com \
    -R 'u%u@example.org' -u 100 > "$T/o" 2>&1
ok $(grep -q 'milter: 2000 messages .* 2000 stamped' "$T/o"; echo $?) \
    "2000 messages over 8 connections at once: all stamped"

stop_milter
ok $([ "$MSTATUS" = 0 ] && grep -q stopping "$T/log"; echo $?) "SIGTERM stops it cleanly (exit $MSTATUS)"

# The pid file (issue 16): a daemon writes it; in the foreground none is
# needed, so a missing pid directory does not stop -f; a failure that
# stops the program is reported as fatal, never as a warning.
"$MILTER" -c "$CONF" > "$T/out" 2>&1
rc=$?
for _ in $(seq 1 50); do [ -s "$T/run/milter.pid" ] && break; sleep 0.1; done
dpid=$(cat "$T/run/milter.pid" 2>/dev/null)
ok $([ $rc = 0 ] && [ -n "$dpid" ] && kill -0 "$dpid" && ps -o user= -p "$dpid" |
    grep -q bounceguard; echo $?) "a daemon writes its pid file (pid ${dpid:-none})"
[ -n "$dpid" ] && kill -TERM "$dpid"
for _ in $(seq 1 50); do [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
sed "s|^pid_file = .*|pid_file = $T/nonexistent/milter.pid|" "$CONF" > "$T/nopid.conf"
cp "$T/nopid.conf" "$CONF"
start_milter
ok $? "-f with the pid file's directory missing: starts anyway"
ok $(! grep -q 'warning' "$T/log" && [ ! -e "$T/nonexistent" ]; echo $?) \
    "... without a warning, and writes nothing there"
stop_milter
"$MILTER" -c "$T/nopid.conf" > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q "fatal: pid_file $T/nonexistent/milter.pid: directory $T/nonexistent: No such file" "$T/out" &&
    ! grep -q warning "$T/out"; echo $?) \
    "a daemon whose pid directory is missing stops before it starts, with a fatal: line (exit $rc)"
sed 's/^/# /' "$T/out"
done_testing
