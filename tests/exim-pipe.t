#!/bin/sh
# exim-pipe.t - contrib/exim/pipe.conf in a real, private Exim: bounces
# received over SMTP on loopback are routed by the shipped router and
# delivered by the shipped transport to bounceguard-pipe. A signed bounce
# is recorded, a forged one quarantined, and a store failure (exit 75) or
# a missing program deferred by Exim and delivered once by the next queue
# run.
set -u

. "$BG_SRC/tests/lib/exim-env.sh"

. "$BG_SRC/tests/lib/pipe-env.sh"

E=$T/exim
EXIM_PID=
cleanup() {
	if [ -n "$EXIM_PID" ]; then
		kill "$EXIM_PID" 2>/dev/null
		wait "$EXIM_PID" 2>/dev/null
	fi
	rm -rf "$T"
	rm -f "${pwn:-}" "${pwn:-}.2"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# A loopback port nobody listens on.
while :; do
	PORT=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
	ss -ltn | grep -q ":$PORT " || break
done

# The shipped router and transport, with the test's configuration and
# nobody/nogroup (the pipe's user here). The command is a wrapper that
# notes the arguments Exim gave and runs this build's pipe with -e, which
# copies its log lines to stderr, which Exim logs (log_output).
mkdir -p "$E/spool" "$E/log"
chown -R Debian-exim:Debian-exim "$E"
cat > "$T/pipe-wrapper" <<WRAP
#!/bin/sh
printf '%s|' "\$@" >> "$T/argv"; echo >> "$T/argv"
exec "$PIPE" -e "\$@"
WRAP
chmod 755 "$T/pipe-wrapper"
snippet=$BG_SRC/contrib/exim/pipe.conf
subst() {
	sed -e "s|/usr/local/libexec/bounceguard/bounceguard-pipe|$T/pipe-wrapper|" \
	    -e "s|/etc/bounceguard/bounceguard.conf|$T/bounceguard.conf|" \
	    -e 's|^\( *user *= *\)bounceguard$|\1nobody|' \
	    -e 's|^\( *group *= *\)bounceguard$|\1nogroup|'
}
sed -n '/^# --- begin routers ---$/,/^# --- begin transports ---$/p' "$snippet" |
    subst > "$E/routers.conf"
sed -n '/^# --- begin transports ---$/,$p' "$snippet" | subst > "$E/transports.conf"

{ exim_main_conf "$E" mx.test.example; cat <<CONF
qualify_domain = test.example
domainlist local_domains = bounces.example.com
never_users = root
log_selector = +received_recipients
# The daemon's reception process runs as Debian-exim, and Exim drops root
# when Debian-exim re-executes it with -C for the immediate delivery, so it
# could not switch to the transport's user. Messages are queued instead,
# and delivered by "exim -M" run as root, which keeps -C and root.
queue_only = true

begin acl
acl_check_rcpt:
  accept domains = +local_domains
  deny   message = relay not permitted

begin routers
.include $E/routers.conf

begin transports
.include $E/transports.conf

begin retry
*  *  F,1h,5m
CONF
} > "$E/exim.conf"

check "snippet: router extracted" grep -q '^bounceguard_verp:' "$E/routers.conf"
check "snippet: transport extracted" grep -q '^bounceguard_pipe:' "$E/transports.conf"
check "snippet: command runs the test's pipe with the test's configuration" \
    sh -c "grep -qF '$T/pipe-wrapper' '$E/transports.conf' && grep -qF '$T/bounceguard.conf' '$E/transports.conf'"
check "snippet: runs as nobody/nogroup" \
    sh -c "grep -q '^ *user = nobody$' '$E/transports.conf' && grep -q '^ *group = nogroup$' '$E/transports.conf'"
"$EXIM" -C "$E/exim.conf" -bV > "$E/bV.out" 2>&1
ok $? "exim accepts the configuration (-bV)"
[ -s "$E/bV.out" ] && grep -qi 'error\|failed' "$E/bV.out" && sed 's/^/# /' "$E/bV.out"

"$EXIM" -C "$E/exim.conf" -bdf -oX "$PORT" </dev/null >"$E/daemon.out" 2>&1 &
EXIM_PID=$!
i=0
while ! ss -ltn | grep -q "127.0.0.1:$PORT "; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$EXIM_PID" 2>/dev/null; then break; fi
	sleep 0.1
done
check "exim daemon listens on 127.0.0.1:$PORT" sh -c "ss -ltn | grep -q '127.0.0.1:$PORT '"

ML=$E/log/mainlog

# send ADDRESS FILE [SENDER]: an SMTP transaction (with a null sender by
# default), then a delivery attempt; the message id Exim gave it in $mid
send() {
	swaks --server "127.0.0.1:$PORT" --helo mx.remote.example --from "${3:-<>}" \
	    --to "$1" --data "$2" > "$T/swaks.out" 2>&1
	mid=$(sed -n 's/.*250 OK id=\([^ ]*\).*/\1/p' "$T/swaks.out" | tail -1)
	if [ -z "$mid" ]; then sed 's/^/# swaks: /' "$T/swaks.out"; return 1; fi
	"$EXIM" -C "$E/exim.conf" -M "$mid" > "$T/deliver.out" 2>&1
}
# outcome MID: wait until Exim logs the delivery (=>), deferral (==) or
# failure (**) of message MID; prints the line
outcome() {
	i=0
	while [ $i -lt 200 ]; do
		l=$(grep -E "^[^ ]+ [^ ]+ $1 (=>|==|\*\*) " "$ML" 2>/dev/null | tail -1)
		[ -n "$l" ] && { echo "$l"; return 0; }
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# queued MID: the message is still in Exim's queue
queued() { "$EXIM" -C "$E/exim.conf" -bp | grep -q " $1 "; }
showlog() { [ -f "$ML" ] && grep " $1 " "$ML" | sed 's/^/# mainlog: /'; }
# delivered ADDRESS DESCRIPTION, deferred ADDRESS DESCRIPTION: Exim's
# latest outcome for message $mid is a delivery (=>) or a deferral (==)
# of ADDRESS by the shipped router and transport
delivered() {
	case $(outcome "$mid") in
	*" => "*" <$1> R=bounceguard_verp T=bounceguard_pipe"*) ok 0 "$2" ;;
	*) ok 1 "$2"; showlog "$mid" ;;
	esac
}
deferred() {
	case $(outcome "$mid") in
	*" == $1 R=bounceguard_verp T=bounceguard_pipe defer "*) ok 0 "$2" ;;
	*) ok 1 "$2"; showlog "$mid" ;;
	esac
}

# 1. A signed hard bounce: delivered by bounceguard_pipe and recorded.
v=$(verp hard@example.org)
hard_dsn hard@example.org x1 > "$T/msg"
send "$v" "$T/msg"
ok $? "signed bounce: accepted over SMTP"
delivered "$v" "signed bounce: delivered by the bounceguard_pipe transport"
check "signed bounce: recorded as a hard bounce" sh -c "$AS_USER $TOOL get $T/bounceguard.conf hard@example.org | grep -q '^state=suppressed hard=1 '"
check "signed bounce: the pipe got Exim's message id (-q \$message_id)" \
    grep -q "\"queue_id\":\"$mid\".*\"recipient\":\"hard@example.org\"" "$T/events.jsonl"
check "signed bounce: the pipe's arguments (-r VERP -s '' -a CLIENT -q MESSAGE_ID): the SMTP client is passed" \
    grep -qxF -- "-c|$T/bounceguard.conf|-r|$v|-s||-a|127.0.0.1|-q|$mid|" "$T/argv"
check "signed bounce: the pipe's log line in Exim's mainlog (log_output)" \
    grep -q "$mid.*bounceguard-pipe: $mid: bounce recipient=<hard@example.org> reason=userunknown type=hard" "$ML"

# An auto-reply with a sender of its own: passed on as -s, recorded.
v=$(verp away@example.org)
cat > "$T/msg" <<MSG
From: Away <away@example.org>
To: $v
Subject: Out of office: hello
Auto-Submitted: auto-replied
Message-ID: <v1@example.org>

I am away until Monday.
MSG
send "$v" "$T/msg" away@example.org
ok $? "auto-reply: accepted over SMTP"
delivered "$v" "auto-reply: delivered by the bounceguard_pipe transport"
check "auto-reply: the pipe got the sender (-s away@example.org)" \
    grep -qxF -- "-c|$T/bounceguard.conf|-r|$v|-s|away@example.org|-a|127.0.0.1|-q|$mid|" "$T/argv"
check "auto-reply: recorded as a vacation reply" \
    grep -q "\"queue_id\":\"$mid\",\"recipient\":\"away@example.org\".*\"type\":\"vacation\"" "$T/events.jsonl"

# 2. A forged VERP address: delivered (exit 0), quarantined, not recorded.
v=$(verp victim@example.org)
forged=$(echo "$v" | sed 's/^b-\(.\)/b-X\1/; s/^b-X\(.\)\(.\)/b-\2\1/')
hard_dsn victim@example.org x2 > "$T/msg"
send "$forged" "$T/msg"
ok $? "forged bounce: accepted over SMTP"
delivered "$forged" "forged bounce: delivered (the pipe exits 0)"
check "forged bounce: kept in the quarantine" sh -c "ls $T/quarantine/new/ | grep -q '\.${mid}_P.*,bad-signature\$'"
check "forged bounce: the quarantined copy is the bounce" \
    sh -c "grep -q 'Final-Recipient: rfc822; victim@example.org' $T/quarantine/new/*.${mid}_P*"
check "forged bounce: the message starts with Return-path: <> (no mbox From line)" \
    sh -c "head -1 $T/quarantine/new/*.${mid}_P* | grep -qx 'Return-path: <>'"
check "forged bounce: nothing recorded for the victim" sh -c "$AS_USER $TOOL get $T/bounceguard.conf victim@example.org | grep -q '^state=none'"
check "forged bounce: not left in the queue" sh -c "! $EXIM -C $E/exim.conf -bp | grep -q ' $mid '"

# The shell in the command never interprets the address: a quoted local
# part full of shell syntax reaches the pipe as one argument, unchanged
# (Exim's $RECIPIENT is local_part@domain, the local part unquoted).
pwn=/tmp/bg-exim-pwned.$$
rm -f "$pwn" "$pwn.2"
lp="q\`>$pwn\`q\$(>$pwn.2)"
evil="\"$lp\"@bounces.example.com"
hard_dsn victim@example.org x4 > "$T/msg"
send "$evil" "$T/msg"
ok $? "shell syntax in the address: accepted over SMTP"
delivered "$evil" "shell syntax in the address: delivered (quarantined by the pipe)"
check "shell syntax in the address: passed on verbatim as -r" \
    grep -qxF -- "-c|$T/bounceguard.conf|-r|$lp@bounces.example.com|-s||-a|127.0.0.1|-q|$mid|" "$T/argv"
check "shell syntax in the address: nothing run" test ! -e "$pwn" -a ! -e "$pwn.2"
rm -f "$pwn" "$pwn.2"

# 3. The store cannot be written: the pipe exits 75, Exim defers and keeps
# the message; the next queue run delivers it, recorded once.
v=$(verp later@example.org)
hard_dsn later@example.org x3 > "$T/msg"
chmod 000 "$T/store"
send "$v" "$T/msg"
ok $? "store unwritable: accepted over SMTP"
deferred "$v" "store unwritable: Exim defers the delivery"
check "store unwritable: the deferral names exit status 75" sh -c "grep ' $mid == ' '$ML' | grep -q 'returned 75'"
check "store unwritable: the message stays in the queue" queued "$mid"
chmod 755 "$T/store"
check "store unwritable: nothing recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf later@example.org | grep -q '^state=none'"
"$EXIM" -C "$E/exim.conf" -qff > "$T/qff.out" 2>&1
ok $? "queue run (-qff): exit 0"
delivered "$v" "queue run: delivered by bounceguard_pipe"
check "queue run: delivered once" test "$(grep -c " $mid => " "$ML")" = 1
check "queue run: the queue is empty" sh -c "test -z \"\$($EXIM -C $E/exim.conf -bp)\""
check "queue run: recorded once" sh -c "$AS_USER $TOOL get $T/bounceguard.conf later@example.org | grep -q '^state=suppressed hard=1 '"
check "queue run: one event for the address" test "$(grep -c '"recipient":"later@example.org"' "$T/events.jsonl")" = 1

# 4. The program is missing (an upgrade in progress, say): the shell's
# 127 defers too, and the queue run after it is back delivers once.
v=$(verp upgrade@example.org)
hard_dsn upgrade@example.org x5 > "$T/msg"
mv "$T/pipe-wrapper" "$T/pipe-wrapper.away"
send "$v" "$T/msg"
ok $? "program missing: accepted over SMTP"
deferred "$v" "program missing: Exim defers the delivery (temp_errors)"
check "program missing: the message stays in the queue" queued "$mid"
mv "$T/pipe-wrapper.away" "$T/pipe-wrapper"
"$EXIM" -C "$E/exim.conf" -qff > "$T/qff.out" 2>&1
delivered "$v" "program back: delivered by the next queue run"
check "program back: recorded once" sh -c "$AS_USER $TOOL get $T/bounceguard.conf upgrade@example.org | grep -q '^state=suppressed hard=1 '"

check "exim logged no errors (paniclog empty)" test ! -s "$E/log/paniclog"
[ -s "$E/log/paniclog" ] && sed 's/^/# paniclog: /' "$E/log/paniclog"
check "exim daemon still running" kill -0 "$EXIM_PID"
done_testing
