#!/bin/sh
# demo.sh - "make demo": the whole bounce loop with real Postfix, on loopback.
#
# Two private Postfix instances (their own configuration, queue and data
# directories under one temporary directory; nothing touches the system's
# Postfix or /etc) and the real bounceguard-milter:
#
#   A  our sending server: a submission port (with the milter, which stamps
#      the signed VERP sender and refuses suppressed recipients) and an MX
#      port where bounces come back; the VERP domain bounces.example.com
#      is delivered to bounceguard-pipe by a pipe(8) transport in master.cf,
#      as in contrib/postfix/.
#   B  the "remote site" remote.example: real mailboxes (virtual(8)), two
#      unknown users (refused at RCPT: A writes the bounce, a synchronous
#      one), a full mailbox (B accepts, then bounces: an asynchronous one),
#      an access map that refuses us as blocklisted, and a feedback loop
#      that sends a complaint (ARF) about one message.
#
# Run as root (Postfix instances start as root; the milter and the pipe
# drop to the bounceguard user). BG_SRC and BG_BUILD as for the tests;
# DEMO_QUIET=1 leaves out the live log lines; DEMO_KEEP=DIR copies the
# working directory (configurations, logs, store, mailboxes) there at the end.
: "${BG_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BG_BUILD:=$BG_SRC/build}"
export BG_SRC BG_BUILD
PATH=$PATH:/usr/sbin:/sbin
START=$(date +%s)
STEPS=9
step=0

# say TEXT... - a line of the demo's own output
say() { printf '%s\n' "$*"; }

# step_title TEXT - the next numbered step
step_title() {
	step=$((step + 1))
	printf '\n[%d/%d] %s\n' "$step" "$STEPS" "$*"
}

# note TEXT - a one-line explanation under a step
note() { printf '      %s\n' "$*"; }

# die TEXT - stop the demo (the exit trap stops what was started)
die() {
	printf 'demo: %s\n' "$*" >&2
	[ -n "${T:-}" ] && grep -h 'warning:\|fatal:\|error:' "$T/A/maillog" \
	    "$T/B/maillog" "$T/log" "$T/pipe.log" 2> /dev/null | tail -8 >&2
	exit 1
}

# demo_deps - install what the demo needs, or say how
demo_deps() {
	missing=
	for p in postfix sendmail postconf swaks ss; do
		command -v "$p" > /dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "      missing:$missing"
	sh "$BG_SRC/build-aux/deps.sh" --if-missing --demo ||
	    die "cannot install the packages the demo needs (see above)"
}

say "bounceguard demo: the whole bounce loop, with two private Postfix"
say "instances and the real milter and pipe, all on 127.0.0.1."
step_title "Checking what the demo needs"
if [ "$(id -u)" != 0 ]; then
	sh "$BG_SRC/build-aux/deps.sh" --if-missing --demo
	die "run it as root (sudo make demo): private Postfix instances start as root; the milter and pipe then run as the bounceguard user"
fi
demo_deps
for f in bounceguard bounceguard-milter bounceguard-pipe bench/bg_seed \
    bench/milter_client bench/lookup_client; do
	[ -x "$BG_BUILD/$f" ] || die "$BG_BUILD/$f is not built (run make)"
done
note "postfix, swaks and the three programs in $BG_BUILD: present"
id bounceguard > /dev/null 2>&1 ||
    note "creating the system user bounceguard (as make install expects)"

# The shared test set-up: T (removed at exit), the bounceguard user, the
# secret, write_conf, start_milter and the exit trap; then pf_port and
# pf_stop_all.
. "$BG_SRC/tests/lib/milter-env.sh"
. "$BG_SRC/tests/lib/postfix-env.sh"
set +u
TAILPID=
AWKPID=

# demo_cleanup - stop the log display, then everything else started
demo_cleanup() {
	[ -n "$TAILPID" ] && kill "$TAILPID" 2> /dev/null
	[ -n "$AWKPID" ] && wait "$AWKPID" 2> /dev/null
	TAILPID=
	AWKPID=
	pf_stop_all
	[ -n "${DEMO_KEEP:-}" ] && cp -r "$T/." "$DEMO_KEEP/" 2> /dev/null
	cleanup
}
trap demo_cleanup EXIT
trap 'say; say "demo: interrupted; stopping everything it started"; exit 1' \
    HUP INT TERM

BG="$BG_BUILD/bounceguard -c $CONF"
A=$T/A
B=$T/B
PSUB=$(pf_port)
PMX=$(pf_port)
PB=$(pf_port)
[ "$PSUB" != "$PMX" ] && [ "$PMX" != "$PB" ] && [ "$PSUB" != "$PB" ] ||
    die "no three distinct free ports; run it again"

# demo_instance DIR HOSTNAME SMTPD-LINES MAIN-EXTRA MASTER-EXTRA PORT - a
# private Postfix instance, started; SMTPD-LINES are the master.cf lines of
# its smtpd services, and it is up when PORT listens
demo_instance() {
	d=$1
	pf_main_cf "$d" "$2"
	cat >> "$d/etc/main.cf" <<MAIN
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
biff = no
$4
MAIN
	cat > "$d/etc/master.cf" <<MASTER
$3
$(pf_master_services)
$5
MASTER
	: > "$d/maillog"
	postfix -c "$d/etc" start > "$d/start.log" 2>&1 < /dev/null ||
	    { cat "$d/start.log" >&2; return 1; }
	PF_DIRS="$PF_DIRS $d"
	for _ in $(seq 1 50); do
		ss -ltn | grep -q "127.0.0.1:$6 " && return 0
		sleep 0.1
	done
	return 1
}

# wait_for COUNT PATTERN FILE [SECONDS] - until FILE has COUNT matching lines
wait_for() {
	i=0
	while [ "$(grep -c -- "$2" "$3" 2> /dev/null)" -lt "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt $((${4:-30} * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# show_log - the mail log lines, filtered and shortened, as they happen
show_log() {
	[ -n "${DEMO_QUIET:-}" ] && return 0
	mkfifo "$T/logfifo"
	# On a terminal, long lines are wrapped to its width (less the indent).
	width=0
	if [ -t 1 ]; then
		width=$(stty size 2> /dev/null < /dev/tty | cut -d' ' -f2)
		[ "${width:-0}" -gt 60 ] && width=$((width - 14)) || width=0
	fi
	# mawk (Debian's awk) reads a pipe in blocks unless told otherwise.
	interactive=
	awk -W version 2>&1 | grep -q mawk && interactive="-W interactive"
	# shellcheck disable=SC2086
	awk $interactive -v W="$width" -v D="$B/mail/" -v A="$A/maillog" -v B="$B/maillog" -v M="$T/log" -v P="$T/pipe.log" '
	/^==> .* <==$/ { f = $2; next }
	/^$/ { next }
	{
		who = f == A ? "A" : f == B ? "B" : f == M ? "milter" : "pipe"
		line = $0
		# Drop the time stamp and host name: "Nov 24 08:00:00 host".
		sub(/^[A-Z][a-z][a-z] +[0-9]+ [0-9:]+ [^ ]+ /, "", line)
		sub(/^[0-9-]+T[0-9:.+-]+ [^ ]+ /, "", line)
		sub(/^postfix\//, "", line)
		sub(/\[[0-9]+\]: /, ": ", line)
		keep = 0
		if (who == "milter" && line ~ /: (stamp|reject) /) keep = 1
		if (who == "pipe" && line ~ /: (bounce|quarantine) |warning/) keep = 1
		if ((who == "A" || who == "B") && line ~ /(status=[a-z]+ |reject: RCPT)/) keep = 1
		if (!keep) next
		sub(/^bounceguard-(milter|pipe): /, "", line)
		# Postfix: "QID: to=<R>, relay=X, delay=..., status=S (TEXT)"
		if (match(line, /status=[a-z]+ /)) {
			st = substr(line, RSTART, RLENGTH - 1)
			rest = substr(line, RSTART + RLENGTH)
			to = line
			sub(/, .*/, "", to)
			line = to " " st " " rest
		}
		# "NOQUEUE: reject: RCPT from host[addr]: TEXT; from=<S> to=<R> ..."
		if (match(line, /(milter-)?reject: RCPT from [^ ]+: /)) {
			head = substr(line, 1, RSTART - 1)
			rest = substr(line, RSTART + RLENGTH)
			sub(/; from=<.*/, "", rest)
			line = head "RCPT TO refused: " rest
		}
		sub(/host 127\.0\.0\.1\[127\.0\.0\.1\] said: /, "", line)
		sub(/ \(in reply to RCPT TO command\)/, "", line)
		i = index(line, D)
		if (i) line = substr(line, 1, i - 1) substr(line, i + length(D))
		while (W > 0 && length(line) > W) {
			cut = W
			while (cut > W / 2 && substr(line, cut, 1) != " ") cut--
			if (cut <= W / 2) cut = W
			printf "      %-6s %s\n", who, substr(line, 1, cut)
			who = ""
			line = "  " substr(line, cut + 1)
		}
		printf "      %-6s %s\n", who, line
		fflush()
	}' < "$T/logfifo" &
	AWKPID=$!
	tail -s 0.1 -n 0 -F "$A/maillog" "$B/maillog" "$T/log" "$T/pipe.log" \
	    > "$T/logfifo" 2> /dev/null &
	TAILPID=$!
}

# campaign SENDER RCPT... - one message per recipient, over SMTP to A's
# submission port; prints the server's answer to RCPT TO for each
campaign() {
	from=$1
	shift
	for r in "$@"; do
		swaks --server "127.0.0.1:$PSUB" --helo news.example \
		    --from "$from" --to "$r" \
		    --header "Subject: Our November newsletter" \
		    --body "Hello from news.example." > "$T/swaks.out" 2>&1
		ans=$(awk '/^ -> RCPT TO/ { getline; sub(/^ *<[-*]+ */, ""); print; exit }' "$T/swaks.out")
		printf '      %-6s RCPT TO:<%s> -> %s\n' client "$r" \
		    "${ans:-(no answer; see $T/swaks.out)}"
	done
}

# settle - let the log display catch up: the logs stop growing for 0.5 s
settle() {
	[ -n "${DEMO_QUIET:-}" ] && return 0
	last=
	quiet=0
	while [ "$quiet" -lt 5 ]; do
		now=$(cat "$A/maillog" "$B/maillog" "$T/log" "$T/pipe.log" | wc -c)
		if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; fi
		last=$now
		sleep 0.1
	done
	sleep 0.2
}

step_title "Starting bounceguard-milter: stamps outbound mail, refuses suppressed recipients"
mkdir -p "$T/quarantine"
chown bounceguard "$T/quarantine"
: > "$T/pipe.log"
chown bounceguard "$T/pipe.log"
write_conf "milter_socket_group = postfix" \
    "shipped_rules_dir = $BG_SRC/rules" "rules_dir =" \
    "quarantine_dir = $T/quarantine" "local_hostnames = out.news.example"
start_milter || { cat "$T/log" >&2; die "the milter did not start"; }
note "its configuration, store and socket are in $T"

step_title "Starting Postfix A, our sending server (out.news.example)"
mkdir -p "$A"
echo "bounces.example.com bounceguard:" > "$A/transport"
A_MAIN="relayhost = [127.0.0.1]:$PB
relay_domains = bounces.example.com
transport_maps = texthash:$A/transport
bounceguard_destination_recipient_limit = 1
smtpd_milters = unix:$T/run/milter.sock
non_smtpd_milters =
milter_default_action = tempfail"
A_PORTS="127.0.0.1:$PSUB inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING
127.0.0.1:$PMX inet n - n - - smtpd"
# As contrib/postfix/master.cf.pipe, except that the demo has no syslog
# daemon: the pipe's log lines (-e: on standard error too) go to a file.
A_PIPE="bounceguard unix - n n - 4 pipe
  flags=Rq user=bounceguard argv=/bin/sh -c {exec \"\$\$0\" \"\$\$@\" 2>>$T/pipe.log}
  $BG_BUILD/bounceguard-pipe -e -c $CONF -r \${recipient} -s \${sender} -a \${client_address} -q \${queue_id}"
demo_instance "$A" out.news.example "$A_PORTS" "$A_MAIN" "$A_PIPE" "$PMX" ||
    die "Postfix A did not start"
note "submission 127.0.0.1:$PSUB (the milter marks it outbound: outbound_daemons = ORIGINATING)"
note "MX 127.0.0.1:$PMX: bounces to bounces.example.com go to bounceguard-pipe (master.cf)"

step_title "Starting Postfix B, the remote site remote.example (mx.remote.example)"
mkdir -p "$B/mail"
chown nobody:nogroup "$B/mail"
cat > "$B/vmailbox" <<EOF
alice@remote.example alice/
carol@remote.example carol
dave@remote.example dave/
frank@remote.example frank/
EOF
# carol's mailbox file is as large as B allows: the next message bounces.
head -c 10240 /dev/zero | tr '\0' 'x' > "$B/mail/carol"
chown nobody:nogroup "$B/mail/carol"
cat > "$B/access" <<EOF
dave@remote.example 554 5.7.1 Service unavailable; client [127.0.0.1] is listed at bl.blocklist.example
EOF
B_MAIN="relayhost = [127.0.0.1]:$PMX
virtual_mailbox_domains = remote.example
virtual_mailbox_maps = texthash:$B/vmailbox
virtual_mailbox_base = $B/mail
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_mailbox_limit = 10240
message_size_limit = 10240
smtpd_recipient_restrictions = check_recipient_access texthash:$B/access, permit_mynetworks, reject"
B_PORTS="127.0.0.1:$PB inet n - n - - smtpd"
demo_instance "$B" mx.remote.example "$B_PORTS" "$B_MAIN" \
    "virtual unix - n n - - virtual" "$PB" || die "Postfix B did not start"
note "alice, frank: mailboxes       bob, erin: no such user (refused at RCPT)"
note "carol: mailbox full           dave: B's access map refuses us as blocklisted"

show_log
RCPTS="alice@remote.example bob@remote.example carol@remote.example dave@remote.example erin@remote.example frank@remote.example"
step_title "Sending a campaign from news@news.example to six recipients at remote.example"
note "client: what A answers at RCPT TO; then the log lines of A, B, the milter and"
note "the pipe as they happen (the milter stamps each message with its VERP sender)"
# shellcheck disable=SC2086
campaign news@news.example $RCPTS
settle
note "waiting until bounceguard-pipe has recorded the four bounces ..."
wait_for 4 ' bounce recipient=' "$T/pipe.log" 20 ||
    die "the bounces did not all arrive (see $T/pipe.log)"
settle

step_title "frank complains: remote.example's feedback loop reports our message as spam"
i=0
until orig=$(ls "$B/mail/frank/new"/* 2> /dev/null | head -1) && [ -n "$orig" ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && die "frank's message is not in his mailbox"
	sleep 0.1
done
verp=$(sed -n 's/^Return-Path: <\(.*\)>$/\1/p' "$orig" | head -1)
note "B sends an ARF report (RFC 5965) with frank's copy to its return path,"
note "<$verp>"
{
	cat <<EOF
From: Abuse desk <fbl@remote.example>
To: <$verp>
Subject: Complaint about a message from news.example
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

--arf
Content-Type: text/plain

A user of remote.example marked this message as spam.

--arf
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: remote-example-fbl/1.0
Version: 1
Original-Rcpt-To: <frank@remote.example>
Source-IP: 127.0.0.1

--arf
Content-Type: message/rfc822

EOF
	cat "$orig"
	printf '\n--arf--\n'
} | sendmail -C "$B/etc" -f fbl@remote.example "$verp" ||
    die "sendmail into B failed"
wait_for 1 'type=complaint' "$T/pipe.log" 20 ||
    die "the complaint was not recorded (see $T/pipe.log)"
settle

# table [FIELD...] - align tab-separated columns (only the named ones)
table() {
	awk -F '\t' -v want="$*" '
	NR == 1 {
		nw = split(want, w, " ")
		for (i = 1; i <= NF; i++) col[$i] = i
		if (nw == 0) for (i = 1; i <= NF; i++) pick[++np] = i
		else for (i = 1; i <= nw; i++) if (w[i] in col) pick[++np] = col[w[i]]
	}
	{
		for (i = 1; i <= np; i++) {
			v = $pick[i]
			if (v == "") v = "-"
			cell[NR, i] = v
			if (length(v) > width[i]) width[i] = length(v)
		}
		rows = NR
	}
	END {
		for (r = 1; r <= rows; r++) {
			line = "      "
			for (i = 1; i <= np; i++)
				line = line sprintf(i < np ? "%-" width[i] "s  " : "%s", cell[r, i])
			print line
		}
	}'
}

step_title "What bounceguard recorded"
note "\$ bounceguard stats      (bounce rates per recipient domain)"
$BG stats | table
say
note "\$ bounceguard dump       (every address it knows; some columns left out here)"
$BG dump | table address state reason scope hard soft block complaint last_status
say
note "bob, erin: suppressed at once (hard bounce: user unknown)"
note "carol: counted, still active (soft bounce: mailbox full; 5 in 30 days suppress)"
note "dave: counted for the domain, never suppressed (the block was against us, not him)"
note "frank: suppressed for news.example only (his complaint was about its mail)"

step_title "Sending the same campaign again"
note "the milter refuses the suppressed addresses at RCPT TO: nothing is sent to them"
# shellcheck disable=SC2086
campaign news@news.example $RCPTS
note "another sender's mail still reaches frank (the complaint was about news.example):"
campaign alerts@shop.example frank@remote.example
settle
note "waiting until the pipe has recorded B's new bounces for carol and dave ..."
wait_for 7 ' bounce recipient=' "$T/pipe.log" 20 ||
    die "the second round of bounces did not arrive"
settle

step_title "Stopping everything the demo started"
demo_cleanup
trap - EXIT
note "Postfix A and B, the milter and the log display stopped; $T removed."
say
say "Done in $(($(date +%s) - START)) s. Next: README.md, man -l man/bounceguard.8,"
say "and contrib/postfix/ for the lines to add to a real Postfix."
