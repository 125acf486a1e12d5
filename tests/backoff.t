#!/bin/sh
# backoff.t - adaptive back-off without Postfix: bounceguard follow reads
# a mail log (rate-limit deferrals raise a domain's level, other
# deferrals do not, one reply to several recipients counts once), keeps
# its place across runs, log rotation while stopped and while running,
# and truncation, without losing or double-counting a line; bounceguard
# backoff lists, sets and clears; the lookup socket's transport table
# answers Postfix's transport_maps with the slow transport, lets the
# level decay, and answers NOTFOUND when the store is unavailable; the
# transport map file (backoff_transport_map) follows every change, is
# not rewritten when nothing changed, and a failure to write it is
# reported. (tests/backoff-postfix.t has Postfix read it.)
. "$BG_SRC/tests/lib/milter-env.sh"

PATH=$PATH:/usr/sbin
mkdir "$T/map"
chown bounceguard "$T/map"
MAP=$T/map/backoff_transport
write_conf "shipped_rules_dir = $BG_SRC/rules" "rules_dir =" \
    "backoff_decay_time = 5s" "backoff_transport_map = hash:$MAP"
# postmap reads a main.cf: a private one
mkdir "$T/postfix"
echo "compatibility_level = 3.6" > "$T/postfix/main.cf"
MAIL_CONFIG=$T/postfix
export MAIL_CONFIG
HAVE_POSTMAP=
command -v postmap > /dev/null 2>&1 && HAVE_POSTMAP=1
ADMIN="$BG_BUILD/bounceguard -c $CONF"
L=$T/mail.log
q=0

# defer DOMAIN [QID] [TEXT] - a deferral line of smtp(8)
defer() {
	q=$((q + 1))
	echo "Nov 24 10:00:00 mta postfix/smtp[42]: ${2:-Q$q}: to=<u$q@$1>, relay=mx.$1[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=4.7.0, status=deferred (host mx.$1[192.0.2.1] said: ${3:-421 4.7.0 Rate limit exceeded, slow down} (in reply to RCPT TO command))"
}
# sent DOMAIN - a delivery line of smtp(8)
sent() {
	q=$((q + 1))
	echo "Nov 24 10:00:01 mta postfix/smtp[42]: Q$q: to=<u$q@$1>, relay=mx.$1[192.0.2.1]:25, delay=0.3, delays=0/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X$q)"
}
# noise - lines of other programs
noise() {
	echo "Nov 24 10:00:00 mta postfix/qmgr[7]: Q$q: from=<news@example.com>, size=1234, nrcpt=1 (queue active)"
	echo "Nov 24 10:00:00 mta postfix/smtpd[8]: connect from localhost[127.0.0.1]"
}
# signals DOMAIN - the signals counted for a domain ("" if none)
signals() {
	$ADMIN backoff list --json 2>/dev/null |
	    sed -n "s/.*\"domain\":\"$1\".*\"signals\":\([0-9]*\).*/\1/p"
}
# level DOMAIN - the level in force
level() {
	$ADMIN backoff list --json 2>/dev/null |
	    sed -n "s/.*\"domain\":\"$1\",\"level\":\([0-9]*\).*/\1/p"
}
# inmap DOMAIN - the map's transport for DOMAIN ("" when absent), from
# the indexed file Postfix reads; "?" when the text file disagrees
inmap() {
	q=$(postmap -q "$1" "hash:$MAP" 2>/dev/null)
	t=$(sed -n "s/^$1	\(.*\)/\1/p" "$MAP" 2>/dev/null)
	[ "$q" = "$t" ] && echo "$q" || echo "?"
}
# map_check DESCRIPTION DOMAIN TRANSPORT - a TAP line for the map
map_check() {
	if [ -z "$HAVE_POSTMAP" ]; then
		n=$((n + 1))
		echo "ok $n # skip $1: postmap not installed"
		return
	fi
	got=$(inmap "$2")
	ok $([ "$got" = "$3" ]; echo $?) "$1 ($2: \"$got\")"
}
# follow ARGS - one run of the follower to the end of the log
follow() {
	$ADMIN follow --once "$@" 2>> "$T/follow.log"
}

{ defer fast.example; defer fast.example
  defer full.example Q1000 "452 4.2.2 <u@full.example>: Mailbox full"
  sent calm.example; noise; } > "$L"
follow --from-start "$L"
ok $? "follow --once reads a log from its start"
ok $([ "$(signals fast.example)" = 2 ] && [ "$(level fast.example)" = 0 ]; echo $?) \
    "two rate-limit deferrals: counted, level still 0"
ok $([ -z "$(signals full.example)" ] && [ -z "$(signals calm.example)" ]; echo $?) \
    "a mailbox-full deferral and a delivery make no record"

defer fast.example >> "$L"
follow "$L"
ok $([ "$(level fast.example)" = 1 ] && [ "$(signals fast.example)" = 3 ]; echo $?) \
    "the next run goes on where the last stopped: the third signal raises to 1"
check "the change is logged as key=value" grep -q \
    'backoff: domain=fast.example level=1 previous=0 transport=bgslow1 why=signals signals=3 reason=speeding: 421 4.7.0 Rate limit exceeded, slow down' \
    "$T/follow.log"
map_check "the transport map routes it to bgslow1" fast.example bgslow1:
map_check "and nothing else" full.example ""
ino=$(stat -c %i "$MAP.db" 2>/dev/null)
follow "$L"
ok $([ "$(signals fast.example)" = 3 ]; echo $?) "a run without new lines counts nothing twice"
ok $([ -n "$ino" ] && [ "$(stat -c %i "$MAP.db")" = "$ino" ] ||
    [ -z "$HAVE_POSTMAP" ]; echo $?) \
    "the map is not rewritten when its lines do not change (Postfix would restart for nothing)"

{ defer dup.example QMULTI; defer dup.example QMULTI; defer dup.example QMULTI; } >> "$L"
follow "$L"
ok $([ "$(signals dup.example)" = 1 ]; echo $?) \
    "one reply to three recipients of one message counts once ($(signals dup.example))"

# Rotation while the follower is stopped: the old file's unread tail
# (now mail.log.1) is read first, then the new file from its start.
defer rot.example >> "$L"
mv "$L" "$L.1"
{ defer rot.example; noise; } > "$L"
follow "$L"
ok $([ "$(signals rot.example)" = 2 ]; echo $?) \
    "rotated while stopped: the tail of mail.log.1 and the new file, once each ($(signals rot.example))"
follow "$L"
ok $([ "$(signals rot.example)" = 2 ]; echo $?) "and not again on the next run"

# Truncation (copytruncate): read again from the start.
: > "$L"
defer trunc.example > "$L"
follow "$L"
ok $([ "$(signals trunc.example)" = 1 ]; echo $?) "a truncated log is read from its start"

# A new log without a saved position starts at its end.
defer old.example > "$T/other.log"
follow "$T/other.log"
defer new.example >> "$T/other.log"
follow "$T/other.log"
ok $([ -z "$(signals old.example)" ] && [ "$(signals new.example)" = 1 ]; echo $?) \
    "without a saved position, old lines are skipped and new ones read"

# The follower running: lines, a rotation with a late line written to
# the old file, then a stop and a restart.
: > "$T/follow.log"
$ADMIN follow "$L" 2>> "$T/follow.log" &
FPID=$!
sleep 0.5
{ defer live.example; defer live.example; } >> "$L"
sleep 0.5
mv "$L" "$L.1"
defer live.example >> "$L.1"
{ defer live.example; sent live.example; } > "$L"
for _ in $(seq 1 50); do
	[ "$(signals live.example)" = 4 ] && break
	sleep 0.1
done
ok $([ "$(signals live.example)" = 4 ]; echo $?) \
    "running: rotation with a late line in the old file loses nothing ($(signals live.example))"
check "the rotation is logged" grep -q "follow: $L was rotated" "$T/follow.log"
kill -TERM $FPID
wait $FPID
ok $? "SIGTERM stops the follower with status 0"
defer live.example >> "$L"
$ADMIN follow "$L" 2>> "$T/follow.log" &
FPID=$!
for _ in $(seq 1 50); do
	[ "$(signals live.example)" = 5 ] && break
	sleep 0.1
done
ok $([ "$(signals live.example)" = 5 ]; echo $?) \
    "restarted: the line written while stopped, once ($(signals live.example))"
kill -TERM $FPID
wait $FPID

# Standard input: no position kept.
defer stdin.example | $ADMIN follow - 2>/dev/null
ok $([ "$(signals stdin.example)" = 1 ]; echo $?) "follow - reads standard input"

# bounceguard backoff
$ADMIN backoff set Pinned.Example 2 2> "$T/err"
ok $? "backoff set"
ok $([ "$(level pinned.example)" = 2 ]; echo $?) "set: level 2, domain lower-cased"
map_check "set writes the map at once" pinned.example bgslow2:
check "set is logged" grep -q 'backoff: domain=pinned.example level=2 previous=0 transport=bgslow2 why=set' "$T/err"
$ADMIN backoff > "$T/list" 2>&1
check "list shows the transport and manual" grep -q "^pinned.example	2	bgslow2	manual" "$T/list"
$ADMIN backoff set pinned.example 4 2> "$T/err"
ok $([ $? = 2 ] && grep -q 'bad level "4" (0 to 3' "$T/err"; echo $?) "a level beyond the transports: usage error"
$ADMIN backoff set a@b.example 1 2> "$T/err"
ok $([ $? = 2 ] && grep -q 'bad domain "a@b.example"' "$T/err"; echo $?) "an address is not a domain: usage error"
$ADMIN backoff clear pinned.example 2> /dev/null
ok $([ $? = 0 ] && [ -z "$(level pinned.example)" ]; echo $?) "clear removes the record"
map_check "and the map's line" pinned.example ""
$ADMIN backoff clear pinned.example 2> "$T/err"
ok $([ $? = 1 ] && grep -q 'pinned.example has no back-off record' "$T/err"; echo $?) \
    "clear without a record: exit 1"

# The lookup socket's transport table.
ask() { printf "$1" | "$LC" -s "$T/run/lookup.sock" 2>/dev/null; }
ns() { printf '%d:%s,' "${#1}" "$1"; }
$ADMIN backoff set slow.example 3 2> /dev/null
{ defer decay.example; defer decay.example; defer decay.example; } >> "$L"
follow "$L"
start_milter
ok $? "the milter starts"
while IFS='|' read -r req want; do
	got=$(ask "$(ns "$req")")
	ok $([ "$got" = "$want" ]; echo $?) "socketmap: \"$req\" -> \"$got\""
done <<'TABLE'
transport slow.example|11:OK bgslow3:,
transport SLOW.example|11:OK bgslow3:,
transport decay.example|11:OK bgslow1:,
transport u@slow.example|9:NOTFOUND ,
transport .slow.example|9:NOTFOUND ,
transport calm.example|9:NOTFOUND ,
transport full.example|9:NOTFOUND ,
TABLE
sleep 6
got=$(ask "$(ns 'transport decay.example')")
ok $([ "$got" = "9:NOTFOUND ," ]; echo $?) \
    "after backoff_decay_time without a signal, the default transport ($got)"
ok $([ "$(level decay.example)" = 0 ]; echo $?) "backoff list shows the decay"
map_check "the map still has the decayed domain until the follower ticks" \
    decay.example bgslow1:
follow "$L"
map_check "the follower's tick writes the decay into the map" decay.example ""
map_check "and keeps the level set by hand" slow.example bgslow3:
stop_milter

# A map that cannot be written: set stores the level, says so, exit 1.
sed -i "s|^backoff_transport_map = .*|backoff_transport_map = hash:$T/nodir/map|" "$CONF"
$ADMIN backoff set broken.example 1 2> "$T/err"
ok $([ $? = 1 ] && grep -q "cannot write the transport map: $T/nodir/map.lock" "$T/err" &&
    [ "$(level broken.example)" = 1 ]; echo $?) \
    "map not writable: backoff set stores the level, reports the map, exit 1"
sed -i "s|^backoff_transport_map = .*|backoff_transport_map = hash:$MAP|" "$CONF"
echo "backoff_postmap = $T/no-postmap" >> "$CONF"
$ADMIN backoff set broken.example 2 2> "$T/err"
ok $([ $? = 1 ] && grep -q "no-postmap hash:$MAP.tmp failed (status 127): cannot run it" "$T/err" &&
    [ ! -e "$MAP.tmp" ]; echo $?) "postmap missing: reported, no temporary file left"
map_check "and the map Postfix reads is the previous one" broken.example ""

# A store that cannot be opened: Postfix must use its default transport.
write_conf
sed -i "s|^store_dir = .*|store_dir = $T/nostore|" "$CONF"
start_milter
got=$(ask "$(ns 'transport slow.example')")
ok $([ "$got" = "9:NOTFOUND ," ]; echo $?) "store unavailable: NOTFOUND, never TEMP ($got)"
check "and a warning" grep -q 'lookup: store error domain=slow.example action=default-transport' "$T/log"
stop_milter

done_testing
