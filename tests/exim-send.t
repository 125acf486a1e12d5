#!/bin/sh
# exim-send.t - contrib/exim/send.conf in a real, private Exim sending
# through bounceguard: the real bounceguard-milter serves its lookup
# socket, a second private Exim plays the remote site on another loopback
# port. Outbound mail leaves with a signed VERP return path; the remote
# site's bounce (asynchronous) and Exim's own bounce for a recipient the
# remote site refused (synchronous) both reach bounceguard-pipe through
# contrib/exim/pipe.conf and are recorded; the suppressed recipients are
# then refused at RCPT and by acl_not_smtp; with the lookup socket down
# mail leaves unstamped and unchecked, as documented.
set -u
BG_SRC=${BG_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$BG_SRC/tests/lib/exim-env.sh"

. "$BG_SRC/tests/lib/milter-env.sh"
. "$BG_SRC/tests/lib/postfix-env.sh"
. "$BG_SRC/tests/lib/dsn.sh"
BG=$BG_BUILD/bounceguard
PIPE=$BG_BUILD/bounceguard-pipe
[ -x "$BG" ] && [ -x "$PIPE" ] || skip_all "$BG or $PIPE not built"

S=$T/exim		# the sending site, mx.test.example
R=$T/remote		# the remote site, mx.remote.example
SPID=
RPID=
# stop_exims - stop both Exim daemons, then what milter-env.sh started
stop_exims() {
	for p in $SPID $RPID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SPID= RPID=
	cleanup
}
trap stop_exims EXIT

# $T/run stays root's: root creates the sockets there, and refuses a
# directory that the bounceguard user could change.
mkdir "$T/quarantine" "$T/rules.d"
chown bounceguard "$T/quarantine"
write_conf "user = bounceguard" \
    "lookup_socket_group = Debian-exim" \
    "local_hostnames = mx.test.example" \
    "quarantine_dir = $T/quarantine" \
    "shipped_rules_dir = $BG_SRC/rules" \
    "rules_dir = $T/rules.d"
SOCK=$T/run/lookup.sock
SP=$(pf_port)
RP=$(pf_port)
while [ "$RP" = "$SP" ]; do RP=$(pf_port); done

# The snippets, section by section ("# --- begin NAME ---" to the next).
section() {
	awk -v want="# --- begin $2 ---" '
	    $0 == want { on = 1; next }
	    /^# --- begin / { on = 0 }
	    on' "$BG_SRC/contrib/exim/$1"
}
mkdir -p "$S/spool" "$S/log" "$R/spool" "$R/log"
chown -R Debian-exim:Debian-exim "$S" "$R"
# send.conf: the socket is the test's; dnslookup cannot reach a loopback
# port, so the outbound router routes everything to the remote site with
# manualroute instead, and the transport connects to its port.
section send.conf main |
    sed "s|^BOUNCEGUARD_SOCKET = .*|BOUNCEGUARD_SOCKET = $SOCK|" > "$S/main.conf"
section send.conf acl > "$S/acl.conf"
section send.conf routers |
    sed -e "s|^\( *\)driver = dnslookup\$|\1driver = manualroute\n\1route_list = * 127.0.0.1\n\1self = send|" \
        -e '/ignore_target_hosts/d' > "$S/routers.conf"
section send.conf transports > "$S/transports.conf"
printf '  port = %s\n  allow_localhost\n' "$RP" >> "$S/transports.conf"
# pipe.conf: this build's pipe, the test's configuration; it runs as the
# bounceguard user, like the milter, since they share the store.
pipe_subst() {
	sed -e "s|/usr/local/libexec/bounceguard/bounceguard-pipe|$PIPE|" \
	    -e "s|/etc/bounceguard/bounceguard.conf|$CONF|"
}
section pipe.conf acl > "$S/pipe-acl.conf"
section pipe.conf routers | pipe_subst > "$S/pipe-routers.conf"
section pipe.conf transports | pipe_subst > "$S/pipe-transports.conf"

check "snippet: main section with the test's socket" grep -qxF "BOUNCEGUARD_SOCKET = $SOCK" "$S/main.conf"
check "snippet: both ACLs" sh -c "grep -q '^bounceguard_rcpt:' '$S/acl.conf' && grep -q '^bounceguard_not_smtp:' '$S/acl.conf'"
check "snippet: the outbound router, stamping with errors_to" \
    sh -c "grep -q '^bounceguard_outbound:' '$S/routers.conf' && grep -q 'errors_to = BOUNCEGUARD_VERP' '$S/routers.conf'"
check "snippet: the smtp transport, one recipient per copy" \
    sh -c "grep -q '^bounceguard_smtp:' '$S/transports.conf' && grep -q 'max_rcpt = 1' '$S/transports.conf'"

{ exim_main_conf "$S" mx.test.example; cat <<CONF
qualify_domain = test.example
domainlist local_domains = bounces.example.com
never_users = root
log_selector = +received_recipients +return_path_on_delivery
# Messages are queued and delivered by "exim -M" or "-qff" as root (see
# exim-pipe.t: Debian-exim cannot switch to the pipe's user with -C).
queue_only = true
.include $S/main.conf

begin acl
acl_check_rcpt:
  require acl = bounceguard_verp_rcpt
  require acl = bounceguard_rcpt
  accept  domains = +local_domains
  accept  hosts = 127.0.0.1
  deny    message = relay not permitted
.include $S/acl.conf
.include $S/pipe-acl.conf

begin routers
.include $S/pipe-routers.conf
.include $S/routers.conf
# What bounceguard_outbound leaves (the null sender), as a site's
# dnslookup router would.
remote:
  driver = manualroute
  domains = ! +local_domains
  route_list = * 127.0.0.1
  self = send
  transport = remote_smtp

begin transports
.include $S/pipe-transports.conf
.include $S/transports.conf
remote_smtp:
  driver = smtp
  port = $RP
  allow_localhost

begin retry
*  *  F,1h,5m
CONF
} > "$S/exim.conf"

# The remote site: accepts mail and keeps it queued, except for
# nosuchuser, refused at RCPT as unknown.
{ exim_main_conf "$R" mx.remote.example; cat <<CONF
log_selector = +received_recipients
queue_only = true

begin acl
acl_check_rcpt:
  deny   local_parts = nosuchuser
         message = 550 5.1.1 <\$local_part@\$domain>: Recipient address rejected: User unknown in local recipient table
  accept
CONF
} > "$R/exim.conf"

for c in "$S/exim.conf" "$R/exim.conf"; do
	"$EXIM" -C "$c" -bV > "$T/bV.out" 2>&1
	ok $? "exim accepts $(basename "$(dirname "$c")")'s configuration (-bV)"
	grep -qi 'error\|failed' "$T/bV.out" && sed 's/^/# /' "$T/bV.out"
done

start_milter
ok $? "bounceguard-milter starts, its lookup socket group Debian-exim"

# listen DIR PORT - an Exim daemon; its pid
listen() {
	"$EXIM" -C "$1/exim.conf" -bdf -oX "$2" </dev/null >"$1/daemon.out" 2>&1 &
	echo $! > "$1/daemon.pid"
	for _ in $(seq 1 100); do
		ss -ltn | grep -q "127.0.0.1:$2 " && return 0
		kill -0 "$(cat "$1/daemon.pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
listen "$S" "$SP"; st=$?; SPID=$(cat "$S/daemon.pid")
ok $st "sending Exim listens on 127.0.0.1:$SP"
listen "$R" "$RP"; st=$?; RPID=$(cat "$R/daemon.pid")
ok $st "remote Exim listens on 127.0.0.1:$RP"

SL=$S/log/mainlog
RL=$R/log/mainlog
NEWS=news@corp.example

# smtp FROM TO [DATA] - one SMTP transaction with the sending Exim (TO
# may be a comma-separated list); output in $T/swaks.out, the message id
# in $mid
smtp() {
	mid=
	: > "$T/swaks.out"
	[ -n "$2" ] || return 1
	swaks --server "127.0.0.1:$SP" --helo app.test.example --from "$1" \
	    --to "$2" ${3:+--data "@$3"} --header "Subject: exim-send $n" \
	    < /dev/null > "$T/swaks.out" 2>&1
	mid=$(sed -n 's/.*250 OK id=\([^ ]*\).*/\1/p' "$T/swaks.out" | tail -1)
}
# deliver - one delivery attempt of message $mid, as root
deliver() { [ -n "$mid" ] && "$EXIM" -C "$S/exim.conf" -M "$mid" > "$T/deliver.out" 2>&1; }
# waitlog FILE REGEX - wait for a line matching REGEX in FILE; prints it
waitlog() {
	for _ in $(seq 1 100); do
		grep -E "$2" "$1" 2>/dev/null | tail -1 | grep . && return 0
		sleep 0.1
	done
	return 1
}
# remote_sender RCPT - the envelope sender of the remote site's latest
# message for RCPT
remote_sender() {
	waitlog "$RL" " <= .* for $1\$" > /dev/null &&
	    grep -E " <= .* for $1\$" "$RL" | tail -1 | awk '{ print $5 }'
}
# remote_header RCPT HEADER - that header of the remote site's latest
# message for RCPT, from its spool
remote_header() {
	id=$(grep -E " <= .* for $1\$" "$RL" | tail -1 | awk '{ print $3 }')
	grep -h "^[0-9]*[A-Z* ] $2: " "$R/spool/input/$id-H" "$R/spool/input/"*/"$id-H" 2>/dev/null |
	    sed "s/^[0-9]*[A-Z* ] $2: //"
}
# replies - the server's replies in $T/swaks.out, one line each (Exim
# splits long replies into several lines)
replies() {
	awk '/^<(\*\*|-) / {
		l = substr($0, 5); rest = substr(l, 5)
		if (buf != "") sub(/^[0-9]\.[0-9]+\.[0-9]+ /, "", rest)
		if (l ~ /^[0-9][0-9][0-9]-/) {
			buf = buf == "" ? substr(l, 1, 3) " " rest : buf " " rest
			next
		}
		print buf == "" ? l : buf " " rest; buf = ""
	}' "$T/swaks.out"
}
# refused ADDRESS REASON - RCPT TO ADDRESS got bounceguard's refusal
refused() {
	replies | grep -qxF "550 5.1.1 <$1>: recipient suppressed by bounceguard ($2)"
}
showlog() { grep " $mid " "$SL" | sed 's/^/# mainlog: /'; sed 's/^/# /' "$T/swaks.out" "$T/deliver.out"; }
# is DESCRIPTION GOT WANT
is() {
	ok "$([ "$2" = "$3" ]; echo $?)" "$1${2:+ (got \"$2\")}"
}

# (a) Outbound mail leaves with the signed VERP return path.
smtp "$NEWS" bob@example.org
ok $([ -n "$mid" ]; echo $?) "a: message from $NEWS to bob@example.org accepted over SMTP"
deliver
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ $mid => ")
case $l in
*" => bob@example.org P=<b-"*"=example.org@bounces.example.com> R=bounceguard_outbound T=bounceguard_smtp "*) ok 0 "a: delivered by bounceguard_outbound/bounceguard_smtp with a VERP return path" ;;
*) ok 1 "a: delivered by bounceguard_outbound/bounceguard_smtp with a VERP return path"; showlog ;;
esac
v=$(remote_sender bob@example.org)
case $v in b-*@bounces.example.com) ok 0 "a: the remote site got MAIL FROM:<$v>" ;;
*) ok 1 "a: the remote site got a VERP MAIL FROM (got \"$v\")" ;; esac
is "a: bounceguard verp decode accepts it for bob@example.org" \
    "$("$BG" -c "$CONF" verp decode "$v" 2>&1 | sed 's/ stamped=.*//')" \
    "status=valid recipient=bob@example.org"
is "a: the original sender is kept in X-Bounceguard-Sender" \
    "$(remote_header bob@example.org X-Bounceguard-Sender)" "<$NEWS>"

# Two recipients: one copy each, each with its own return path.
smtp "$NEWS" "carol@example.org,dan@example.net"
deliver
cv=$(remote_sender carol@example.org)
dv=$(remote_sender dan@example.net)
is "a: two recipients, two copies: carol's return path decodes to carol" \
    "$("$BG" -c "$CONF" verp decode "$cv" 2>&1 | sed 's/ stamped=.*//')" \
    "status=valid recipient=carol@example.org"
is "a: and dan's to dan" \
    "$("$BG" -c "$CONF" verp decode "$dv" 2>&1 | sed 's/ stamped=.*//')" \
    "status=valid recipient=dan@example.net"

# A bounce itself (the null sender) is not stamped.
smtp "<>" erin@example.org
deliver
is "a: a message with the null sender leaves with the null sender" \
    "$(remote_sender erin@example.org)" "<>"

# A quoted local part with a space cannot be put in a lookup request
# (requests are split on white space): the answer is an error, and the
# recipient goes out unchecked and unstamped, both logged.
smtp "$NEWS" '"john doe"@example.org'
ok $([ -n "$mid" ]; echo $?) "a: a quoted local part with a space: accepted"
check "a: logged as not checked" \
    grep -q 'bounceguard: recipient not checked (error usage: .*), accepted' "$SL"
deliver
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ $mid (=>|==|\\*\\*) ")
case $l in *' <"john doe"@example.org> P=<'"$NEWS"'> R=bounceguard_outbound T=bounceguard_smtp '*) ok 0 "a: and delivered with the original return path" ;;
*) ok 1 "a: and delivered with the original return path"; showlog ;; esac

# (b) The remote site's bounce for bob (asynchronous): routed to
# bounceguard_pipe, recorded, bob suppressed.
dsn bob@example.org 5.1.1 "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table" failed "async.$$" "$v" > "$T/dsn"
smtp "<>" "$v" "$T/dsn"
ok $([ -n "$mid" ]; echo $?) "b: the remote site's bounce to the VERP address accepted over SMTP"
deliver
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ $mid (=>|==|\*\*) ")
case $l in *" => "*"<$v> P=<> R=bounceguard_verp T=bounceguard_pipe"*) ok 0 "b: delivered by bounceguard_pipe" ;;
*) ok 1 "b: delivered by bounceguard_pipe"; showlog ;; esac
"$BG" -c "$CONF" show bob@example.org > "$T/show" 2>&1
check "b: bounceguard show: bob is suppressed" grep -qx 'state: suppressed' "$T/show"
check "b: bounceguard show: hard bounce, userunknown, asynchronous" \
    grep -q '^last: reason=userunknown status=5.1.1 .*mode=async' "$T/show"
check "b: the recorded bounce names Exim's message id" \
    grep -q "	$mid	" "$T/show"

# Exim's own bounce (synchronous): the remote site refuses nosuchuser at
# RCPT; Exim's bounce goes to the errors_to address, the VERP address,
# and so to bounceguard_pipe.
smtp "$NEWS" nosuchuser@example.org
smid=$mid
deliver
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ $smid \*\* ")
case $l in *"** nosuchuser@example.org P=<b-"*"-nosuchuser=example.org@bounces.example.com> R=bounceguard_outbound"*"550"*) ok 0 "b: the remote site refused nosuchuser at RCPT" ;;
*) ok 1 "b: the remote site refused nosuchuser at RCPT"; showlog ;; esac
l=$(waitlog "$SL" " <= <> R=$smid ")
bmid=$(echo "$l" | awk '{ print $3 }')
case $l in *" for b-"*"-nosuchuser=example.org@bounces.example.com") ok 0 "b: Exim's bounce is addressed to the VERP address, not to $NEWS" ;;
*) ok 1 "b: Exim's bounce is addressed to the VERP address (got \"$l\")" ;; esac
"$EXIM" -C "$S/exim.conf" -qff > "$T/deliver.out" 2>&1
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ ${bmid:-none} (=>|==|\*\*) ")
case $l in *" R=bounceguard_verp T=bounceguard_pipe"*) ok 0 "b: Exim's bounce delivered by bounceguard_pipe" ;;
*) ok 1 "b: Exim's bounce delivered by bounceguard_pipe (got \"$l\")" ;; esac
"$BG" -c "$CONF" show nosuchuser@example.org > "$T/show" 2>&1
check "b: bounceguard show: nosuchuser suppressed, userunknown, synchronous" \
    sh -c "grep -qx 'state: suppressed' '$T/show' && grep -q '^last: reason=userunknown status=5.1.1 .*mode=sync' '$T/show'"

# (c) Suppressed recipients are refused at RCPT; the others of the same
# message are not.
"$BG" -c "$CONF" suppress frank@example.org --reason "left the company" > /dev/null 2>&1
smtp "$NEWS" "bob@example.org,carol@example.org,frank@example.org"
check "c: RCPT TO:<bob@example.org> refused with 550 5.1.1 and the reason" \
    refused bob@example.org userunknown
check "c: RCPT TO:<frank@example.org> refused, the reason as given" \
    refused frank@example.org "left the company"
check "c: carol accepted in the same transaction" grep -q '<- *250 Accepted' "$T/swaks.out"
check "c: the message queued for carol only" \
    sh -c "grep -q ' $mid <= $NEWS .* for carol@example.org\$' '$SL'"
check "c: the refusal logged" \
    grep -q 'rejected RCPT <bob@example.org>: bounceguard: recipient suppressed (userunknown)' "$SL"
smtp "<>" bob@example.org
ok $([ -n "$mid" ]; echo $?) "c: the null sender is never refused"
smtp "$NEWS" nosuchuser@example.org
check "c: the address Exim's own bounce suppressed is refused too" \
    refused nosuchuser@example.org userunknown

# Locally submitted mail: acl_not_smtp refuses the message.
bm() {
	printf 'Subject: local\n\nhello\n' |
	    "$EXIM" -C "$S/exim.conf" -oep -f "$NEWS" "$@" > "$T/bm.out" 2>&1
}
# bm_said TEXT - Exim's message for the last submission, on one line
bm_said() { tr '\n' ' ' < "$T/bm.out" | grep -qF "$1"; }
bm -bm bob@example.org
ok $([ $? -ne 0 ]; echo $?) "c: exim -bm to a suppressed recipient fails"
check "c: with the reason on standard error" \
    bm_said "rejected by non-SMTP ACL: recipient suppressed by bounceguard: <bob@example.org> (userunknown)"
check "c: logged as rejected by the non-SMTP ACL" \
    grep -q 'F=<news@corp.example> rejected by non-SMTP ACL: bounceguard: recipient suppressed: <bob@example.org> (userunknown)' "$SL"
printf 'To: carol@example.org, frank@example.org\nSubject: local\n\nhello\n' |
    "$EXIM" -C "$S/exim.conf" -oep -f "$NEWS" -t > "$T/bm.out" 2>&1
ok $([ $? -ne 0 ]; echo $?) "c: exim -t with a suppressed recipient among others: refused whole"
check "c: naming the suppressed one, and only it" \
    bm_said "recipient suppressed by bounceguard: <frank@example.org> (left the company) "
before=$(grep -c ' <= news@corp.example U=root P=local ' "$SL")
bm -bm carol@example.org dan@example.net
ok $? "c: exim -bm to recipients that are not suppressed: accepted"
is "c: and queued" "$(grep -c ' <= news@corp.example U=root P=local ' "$SL")" "$((before + 1))"

# (d) The lookup socket is down: mail is accepted unchecked and leaves
# with its original return path; both are logged.
stop_milter
ok $(! "$LC" -s "$SOCK" < /dev/null > /dev/null 2>&1; echo $?) \
    "d: bounceguard-milter stopped, its socket answers no more"
smtp "$NEWS" bob@example.org
ok $([ -n "$mid" ]; echo $?) "d: RCPT TO a suppressed recipient accepted unchecked"
check "d: logged as not checked" \
    grep -q "bounceguard: recipient not checked (unavailable), accepted" "$SL"
deliver
l=$(waitlog "$SL" "^[^ ]+ [^ ]+ $mid (=>|==|\*\*) ")
case $l in *" => bob@example.org P=<$NEWS> R=bounceguard_outbound T=bounceguard_smtp "*) ok 0 "d: delivered with the original return path" ;;
*) ok 1 "d: delivered with the original return path"; showlog ;; esac
is "d: the remote site got the original sender" "$(remote_sender bob@example.org)" "$NEWS"
bm -bm bob@example.org
ok $? "d: exim -bm to a suppressed recipient accepted"
check "d: logged as not checked" \
    grep -q "bounceguard: recipients not checked (lookup socket unavailable or busy), accepted" "$SL"

# And back: refused again once the daemon runs.
start_milter
smtp "$NEWS" bob@example.org
check "d: milter back: bob refused again" refused bob@example.org userunknown

# The lookup socket busy (every connection taken, issue 18 item 5): the
# daemon answers "tempfail busy", and Exim defers the recipient rather
# than pass it unchecked.
echo "lookup_max_clients = 16" >> "$CONF"
reload_milter
mkfifo "$T/hold"
perl "$BG_SRC/tests/lib/lookup-load.pl" hold "$SOCK" unix 16 < "$T/hold" > "$T/held" &
hpid=$!
exec 7> "$T/hold"
for _ in $(seq 1 50); do grep -q held "$T/held" && break; sleep 0.1; done
smtp "$NEWS" carol@example.org
check "d: lookup socket busy: RCPT TO deferred with 451" \
    grep -q "<\*\* *451-4.3.0 <carol@example.org>: bounceguard cannot check this recipient now" "$T/swaks.out"
check "d: logged by Exim as deferred" \
    waitlog "$SL" "bounceguard: recipient not checked \(tempfail busy\), deferred"
check "d: and by bounceguard-milter" grep -q "lookup: refused client=local reason=lookup_max_clients" "$T/log"
exec 7>&-
wait "$hpid"
sed -i '/^lookup_max_clients = 16$/d' "$CONF"
reload_milter

# e. pipe.conf's ACL: junk to the VERP domain is refused at RCPT TO,
# before the pipe; the valid return paths above were accepted by it.
smtp "<>" junk42@bounces.example.com
check "e: an unsigned VERP-domain recipient is refused with 550 5.1.1" \
    grep -q "<\*\* *550 5.1.1 <junk42@bounces.example.com>: not a bounce address of ours" "$T/swaks.out"
check "e: logged by Exim" waitlog "$SL" "junk42@bounces.example.com.*bounceguard: refused unsigned or expired VERP recipient"
smtp "<>" postmaster@bounces.example.com
check "e: postmaster of the VERP domain is accepted" grep -q "250 OK id=" "$T/swaks.out"

# Exim's own bounce is written by a child process running as Debian-exim
# with -C, which notes in the paniclog that it lost root for it; nothing
# else may be there.
for f in "$S/log/paniclog" "$R/log/paniclog"; do
	touch "$f"
	grep -v 'exim user lost privilege for using -C option' "$f" > "$T/panic"
	check "$(basename "$(dirname "$(dirname "$f")")"): no other errors in the paniclog" test ! -s "$T/panic"
	sed 's/^/# paniclog: /' "$T/panic"
done
check "both Exim daemons still running" kill -0 "$SPID" "$RPID"
done_testing
