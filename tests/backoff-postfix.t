#!/bin/sh
# backoff-postfix.t - adaptive back-off proved with two real Postfix
# instances on loopback.
#
# Site B (mx.remote.example) plays a large provider: its smtpd asks a
# policy service of this test (tests/lib/ratelimit-policy.pl) about each
# recipient; a token bucket accepts RATE recipients per INTERVAL seconds,
# each after a short delay, and answers "421 4.7.0 Rate limit exceeded,
# slow down" above that. B discards what it accepts.
#
# Site A (mta.example.com) is configured with contrib/postfix/
# main.cf.backoff and master.cf.backoff as shipped, apart from paths,
# short retry times, and the pace of the slow transports (bgslow1: one
# delivery at a time, as the shipped bgslow2 but without its 2 s rate
# delay, which would make this test last ten minutes). It relays every
# domain to B through smtp_fallback_relay (the test domains have no
# address, and A looks up none), so the default and the slow transports
# reach B alike, per recipient domain, as they reach an MX.
#
# 1. Without back-off (no follower): a newsletter of MSGS messages, sent
#    into A at about 10 per second, to one.example. The 421 replies of B
#    are counted, and every message must arrive in the end.
# 2. With back-off: the same to two.example while bounceguard follow reads
#    A's mail log (maillog_file). Asserted: two.example is in the
#    transport map file within one minute of the first deferral and A
#    then delivers it through bgslow1; B sends at most half as many 421
#    replies; every message arrives; the domain goes back to the default
#    transport when it has recovered (short backoff_decay_time). During
#    the run A's log is rotated twice as logrotate(8) does it (once
#    while the follower runs, once while it is stopped, before it is
#    started again): the follower's signal count must equal the 421
#    deferral lines in A's logs, so no signal is lost or counted twice.
# 3. With no bounceguard process at all (the follower stopped; no milter
#    was ever started): mail to a calm domain still goes out through the
#    default transport, and a domain set in back-off by hand keeps its
#    slow transport, read by Postfix from the map file.
#
# The numbers (421 replies with and without, seconds to the slow
# transport and back) are printed as TAP comments. Run time: about two
# and a half minutes.
. "$BG_SRC/tests/lib/milter-env.sh"
for p in postfix postconf postmap smtp-source; do
	command -v $p > /dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
	    skip_all "$p not installed (apt-get install postfix)"
done
perl -MIO::Socket::INET -MIO::Select -MTime::HiRes -e 1 2> /dev/null ||
    skip_all "perl with IO::Socket::INET and Time::HiRes not installed"
command -v ss > /dev/null 2>&1 || skip_all "ss not installed (apt-get install iproute2)"
PATH=$PATH:/usr/sbin
. "$BG_SRC/tests/lib/postfix-env.sh"
postconf -d -h maillog_file_rotate_suffix > /dev/null 2>&1 ||
    skip_all "Postfix older than 3.4 (no maillog_file)"

ADMIN="$BG_BUILD/bounceguard -c $CONF"
A=$T/ours
B=$T/remote
ML=$A/maillog
MSGS=${BACKOFF_MSGS:-200}	# messages per run
RATE=10				# B accepts 10 recipients ...
INTERVAL=2			# ... per 2 seconds
DELAY=250			# ms B takes to accept one
MAP=$T/lib/backoff_transport
FPID=

# bail REASON - stop here: nothing after this could work
bail() {
	echo "Bail out! $1"
	for f in "$T"/*/start.log "$T/follow.log"; do
		[ -s "$f" ] && tail -n 20 "$f" | sed "s|^|# $f: |"
	done
	exit 1
}
# note TEXT - a TAP comment
note() { echo "# $*"; }
# now - seconds since the epoch, with tenths
now() { date +%s.%1N; }
# since T0 - seconds from T0 to now, one decimal
since() { echo "$1 $(now)" | awk '{ printf "%.1f", $2 - $1 }'; }
# at_b DOMAIN - messages B has delivered (discarded) for DOMAIN
at_b() { grep -c "to=<[^>]*@$1>, relay=none, .*status=sent" "$B/maillog" 2>/dev/null; }
# rejected DOMAIN - 421 replies B's policy gave for DOMAIN
rejected() { grep -c " 421 [^ ]*@$1\$" "$T/policy.log" 2>/dev/null; }
# deferred_421 DOMAIN - A's deferral lines with a 421 reply, in every log
deferred_421() {
	cat "$ML"* 2>/dev/null |
	    grep -c "to=<[^>]*@$1>, .*status=deferred (host [^ ]* said: 421 "
}
# signals DOMAIN - the follower's signal count for DOMAIN
signals() {
	$ADMIN backoff list --json 2>/dev/null |
	    sed -n "s/.*\"domain\":\"$1\".*\"signals\":\([0-9]*\).*/\1/p"
}
# inmap DOMAIN - DOMAIN's transport in the indexed map Postfix reads
inmap() { postmap -c "$A/etc" -q "$1" "hash:$MAP" 2>/dev/null; }
# wait_until SECONDS COMMAND... - poll COMMAND every 0.2 s
wait_until() {
	w_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$w_end" ] && return 1
		sleep 0.2
	done
}
# all_at_b DOMAIN - every message of a run delivered at B
all_at_b() { [ "$(at_b "$1")" -ge "$MSGS" ]; }
# send DOMAIN - the newsletter: MSGS messages at about 10 per second
send() {
	s_pids=
	for _ in $(seq 1 $((MSGS / 10))); do
		smtp-source -m 10 -s 2 -N -f news@example.com -t "u@$1" \
		    "127.0.0.1:$PA" >> "$T/send.log" 2>&1 &
		s_pids="$s_pids $!"
		sleep 1
	done
	for p in $s_pids; do wait "$p"; done
}
# follower_start - bounceguard follow on A's log, in the background, as
# the bounceguard user (contrib/systemd/bounceguard-follow.service)
follower_start() {
	setpriv --reuid=bounceguard --regid=bounceguard --clear-groups \
	    "$BG_BUILD/bounceguard" -c "$CONF" follow "$ML" >> "$T/follow.log" 2>&1 &
	FPID=$!
}
# follower_stop - SIGTERM, and its exit status
follower_stop() {
	kill -TERM "$FPID" 2> /dev/null
	wait "$FPID"
	st=$?
	FPID=
	return $st
}
# rotate - rotate A's log as logrotate(8) does with "create 0644": rename
# it (with the date suffix of "postfix logrotate"), create the new one
# readable by the follower's user, and make postlogd reopen it (postfix
# reload, as "postfix logrotate" does; that command creates the new
# file readable by root only)
rotate() {
	mv "$ML" "$ML.$(date +%Y%m%d-%H%M%S)" &&
	    install -m 0644 /dev/null "$ML" &&
	    postfix -c "$A/etc" reload > "$T/reload.out" 2>&1
}

trap 'cleanup_all' EXIT
cleanup_all() {
	[ -n "$FPID" ] && kill -TERM "$FPID" 2> /dev/null
	cleanup
}

# --- the sites --------------------------------------------------------
PA=$(pf_port)
PB=$(pf_port)
PP=$(pf_port)
while [ "$PB" = "$PA" ]; do PB=$(pf_port); done
while [ "$PP" = "$PA" ] || [ "$PP" = "$PB" ]; do PP=$(pf_port); done
perl "$BG_SRC/tests/lib/ratelimit-policy.pl" "$PP" $RATE $INTERVAL $DELAY \
    "$T/policy.log" 2> "$T/policy.err" &
PF_SINKS="$PF_SINKS $!"

pf_config "$B" "$PB" mx.remote.example
postconf -c "$B/etc" -e \
    "relay_domains = one.example two.example three.example calm.example" \
    "transport_maps = inline:{ one.example=discard:, two.example=discard:, three.example=discard:, calm.example=discard: }" \
    "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$PP" ||
    bail "cannot configure site B"

# The map lives in a directory of the bounceguard user, as
# /var/lib/bounceguard (mode 0750) on Debian.
mkdir -p "$T/lib" "$T/store"
chown bounceguard:bounceguard "$T/lib" "$T/store"
chmod 0750 "$T/lib"
pf_config "$A" "$PA" mta.example.com
: > "$A/etc/transport"
postmap -c "$A/etc" "hash:$A/etc/transport" || bail "postmap fails"
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
    "$BG_SRC/contrib/postfix/main.cf.backoff" |
    sed -e "s|hash:/etc/postfix/transport|hash:$A/etc/transport|" \
	-e "s|hash:/var/lib/bounceguard/backoff_transport|hash:$MAP|" \
    >> "$A/etc/main.cf"
# (a parameter set twice in main.cf makes postlogd warn about it, through
# itself, and hang: changes go through postconf -e)
postconf -c "$A/etc" -e \
    "bgslow1_destination_concurrency_limit = 1" \
    "bgslow2_destination_rate_delay = 1s" \
    "bgslow3_destination_rate_delay = 1s" \
    "default_destination_concurrency_limit = 20" \
    "smtp_fallback_relay = [127.0.0.1]:$PB" \
    "smtp_dns_support_level = disabled" \
    "queue_run_delay = 1s" \
    "minimal_backoff_time = 3s" \
    "maximal_backoff_time = 6s" || bail "cannot configure site A"
grep -v -e '^[[:space:]]*#' "$BG_SRC/contrib/postfix/master.cf.backoff" \
    >> "$A/etc/master.cf"
ok $([ "$(postconf -c "$A/etc" -h transport_maps)" = "hash:$A/etc/transport, hash:$MAP" ] &&
    [ "$(postconf -c "$A/etc" -P bgslow1/unix/syslog_name)" = "bgslow1/unix/syslog_name = postfix/bgslow1" ]; echo $?) \
    "site A has transport_maps and the bgslow transports of contrib/postfix/"

cat > "$CONF" <<CONF
store_dir = $T/store
shipped_rules_dir = $BG_SRC/rules
rules_dir =
backoff_transport_map = hash:$MAP
backoff_threshold = 3
backoff_window = 1m
backoff_settle_time = 10s
backoff_decay_time = 25s
backoff_recover_deliveries = 100000
CONF
MAIL_CONFIG=$A/etc
export MAIL_CONFIG
$ADMIN backoff sync 2> "$T/sync.err"
ok $([ $? = 0 ] && [ -f "$MAP.db" ]; echo $?) \
    "bounceguard backoff sync creates the map before Postfix reads it"
[ -s "$T/sync.err" ] && sed 's/^/# sync: /' "$T/sync.err"

pf_start "$B" "$PB" "$A" "$PA" || bail "cannot start the Postfix instances"
ok 0 "site B on 127.0.0.1:$PB (rate limit $RATE per ${INTERVAL}s), site A on 127.0.0.1:$PA"

# --- 1. without back-off ----------------------------------------------
t0=$(now)
send one.example
wait_until 240 all_at_b one.example
ok $? "without back-off: all $MSGS messages arrive at B ($(at_b one.example), $(since "$t0") s)"
R1=$(rejected one.example)
note "without back-off: $R1 replies 421 from B, $(deferred_421 one.example) deferral lines at A"
ok $([ "$R1" -ge $((MSGS / 4)) ]; echo $?) \
    "without back-off: B is over its limit ($R1 replies 421)"

# --- 2. with back-off -------------------------------------------------
follower_start
wait_until 30 grep -q "follow: reading $ML" "$T/follow.log" ||
    bail "the follower does not start"
t0=$(now)
send two.example > /dev/null 2>&1 &
SENDER=$!
# the first deferral, then the map, then the first slow delivery
wait_until 60 grep -q "to=<[^>]*@two.example>, .*said: 421 " "$ML"
t_first=$(now)
wait_until 60 sh -c "[ \"\$(postmap -c $A/etc -q two.example hash:$MAP)\" = bgslow1: ]"
t_map=$(now)
wait_until 60 sh -c "grep -q 'postfix/bgslow1/smtp.*to=<[^>]*@two.example>, .*status=sent' $ML"
t_slow=$(now)
move=$(echo "$t_first $t_map" | awk '{ printf "%.1f", $2 - $1 }')
slowdel=$(echo "$t_first $t_slow" | awk '{ printf "%.1f", $2 - $1 }')
note "with back-off: two.example in the map $move s after the first 421 deferral; first delivery through bgslow1 after $slowdel s"
ok $([ "$(inmap two.example)" = bgslow1: ] &&
    echo "$slowdel" | awk '{ exit !($1 <= 60) }'; echo $?) \
    "with back-off: the destination moves to the slow transport within a minute ($slowdel s)"
# a rotation while the follower reads, then a restart of the follower
# with a rotation while it is stopped (the suffix has seconds: 1.2 s
# apart)
rotate
ok $? "A's log rotated (renamed, created, postfix reload) while the follower runs"
wait_until 10 grep -q "follow: $ML was rotated; reading the new file" "$T/follow.log"
ok $? "the follower reads the new file"
sleep 1.2
follower_stop
ok $? "the follower stops on SIGTERM"
rotate
ok $? "A's log rotated again while the follower is stopped"
sleep 1
follower_start
wait_until 10 grep -q "was rotated while stopped; finishing $ML\.2" "$T/follow.log"
ok $? "restarted, the follower finishes the rotated log first"
wait $SENDER
# until every message has arrived: when two.example leaves the map
t_back=
w_end=$(($(date +%s) + 240))
until all_at_b two.example || [ "$(date +%s)" -ge $w_end ]; do
	[ -z "$t_back" ] && [ -z "$(inmap two.example)" ] && t_back=$(now)
	sleep 0.2
done
all_at_b two.example
ok $? "with back-off: all $MSGS messages arrive at B ($(at_b two.example), $(since "$t0") s)"
R2=$(rejected two.example)
note "with back-off: $R2 replies 421 from B (without: $R1)"
ok $([ "$R2" -le $((R1 / 2)) ]; echo $?) \
    "with back-off: at most half as many 421 replies ($R2 against $R1)"
# every 421 deferral line has been read once: wait for the follower to
# reach the end of the log
wait_until 20 sh -c "[ \"\$($ADMIN backoff list --json 2>/dev/null |
    sed -n 's/.*\"domain\":\"two.example\".*\"signals\":\([0-9]*\).*/\1/p')\" = $(deferred_421 two.example) ]"
S=$(signals two.example)
D=$(deferred_421 two.example)
note "the follower counted $S signals; A's logs ($(ls "$ML"* | wc -l) files) have $D deferral lines with a 421 reply"
ok $([ "$S" = "$D" ] && [ "$D" -gt 0 ]; echo $?) \
    "two rotations and a restart: no signal lost, none counted twice ($S = $D)"
ok $(grep -q "bgslow1/smtp.*two.example" "$ML"* && [ "$(grep -c 'why=signals' "$T/follow.log")" -ge 1 ]; echo $?) \
    "the raise is logged (backoff: domain=two.example level=1 ... why=signals)"
grep "backoff: domain=two.example" "$T/follow.log" | sed 's/^/# /'
# recovery: backoff_decay_time without a signal
t_rec=$(now)
wait_until 90 sh -c "[ -z \"\$(postmap -c $A/etc -q two.example hash:$MAP)\" ]"
st=$?
[ -z "$t_back" ] && t_back=$(now)
note "two.example left the map $(echo "$t_first $t_back" | awk '{ printf "%.1f", $2 - $1 }') s after the first 421 deferral (backoff_decay_time 25s)"
ok $st "after backoff_decay_time without a signal, two.example leaves the map"
smtp-source -m 3 -s 1 -N -f news@example.com -t u@two.example "127.0.0.1:$PA" > /dev/null 2>&1
wait_until 60 sh -c "[ \$(grep -c 'postfix/smtp\[[0-9]*\]: .*to=<[^>]*@two.example>, .*status=sent' $ML) -ge 3 ]"
ok $? "and its mail goes through the default transport again"
grep -q "transport map hash:$MAP written" "$T/follow.log"
ok $? "the follower logs the map writes"

# --- 3. no bounceguard process ----------------------------------------
follower_stop
ok $? "the follower stops"
$ADMIN backoff set three.example 1 2> /dev/null
ok $([ "$(inmap three.example)" = bgslow1: ]; echo $?) \
    "backoff set three.example 1 writes the map (no follower running)"
ok $([ -z "$FPID" ] && [ -z "$MPID" ]; echo $?) \
    "no bounceguard process runs: the follower is stopped, no milter was started"
# Postfix notices the new table when trivial-rewrite next takes a
# connection: the mail to the calm domain makes one
changed="trivial-rewrite.*: table hash:$MAP(.*) has changed -- restarting"
c_before=$(grep -c "$changed" "$ML")
t_set=$(now)
smtp-source -m 3 -s 1 -N -f news@example.com -t u@calm.example "127.0.0.1:$PA" > /dev/null 2>&1
wait_until 60 sh -c "[ \$(grep -c 'postfix/smtp\[[0-9]*\]: .*to=<[^>]*@calm.example>, .*status=sent' $ML) -ge 3 ]"
ok $? "bounceguard down: mail to a calm domain goes out through the default transport"
wait_until 60 sh -c "[ \$(grep -c '$changed' '$ML') -gt $c_before ]"
ok $? "Postfix notices the changed map by itself ($(since "$t_set") s: trivial-rewrite restarts)"
smtp-source -m 3 -s 1 -N -f news@example.com -t u@three.example "127.0.0.1:$PA" > /dev/null 2>&1
wait_until 60 sh -c "[ \$(grep -c 'postfix/bgslow1/smtp.*to=<[^>]*@three.example>, .*status=sent' $ML) -ge 3 ]"
ok $? "bounceguard down: a domain in back-off keeps its slow transport, from the file"
grep "to=<[^>]*@three.example>" "$ML" | grep -v bgslow1 | head -3 | sed 's/^/# not slow: /'
grep "has changed" "$ML"* | head -3 | sed 's/^/# /' 
ok $(! grep -q "warning: .*transport\|fatal:\|panic:" "$ML"*; echo $?) \
    "A's log has no transport table warning, fatal or panic"
grep -h "warning: .*transport\|fatal:\|panic:" "$ML"* | head -5 | sed 's/^/# /'
pf_queue_empty "$A"
ok $? "A's queue is empty at the end"
done_testing
