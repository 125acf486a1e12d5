#!/bin/sh
# demo.t - "make demo" runs to the end without a terminal and shows what
# it promises: the four bounces and the complaint recorded by the pipe
# (run by Postfix A's master.cf), bounceguard stats and dump, the
# hard-bounced and complained-about addresses refused at RCPT TO on the
# second campaign while the blocked and the soft-bounced ones still go
# out, and nothing left running or on disk afterwards.
: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
PATH=$PATH:/usr/sbin
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP must run as root (private Postfix instances)"; exit 0; }
for p in postfix sendmail swaks ss; do
	command -v $p > /dev/null 2>&1 ||
	    { echo "1..0 # SKIP $p not installed (apt-get install postfix swaks iproute2)"; exit 0; }
done
for f in bounceguard bounceguard-milter bounceguard-pipe bench/bg_seed; do
	[ -x "$BG_BUILD/$f" ] || { echo "1..0 # SKIP $BG_BUILD/$f not built"; exit 0; }
done

OUT=$(mktemp /tmp/bg-demo-test.XXXXXX)
trap 'rm -f "$OUT"' EXIT
n=0
failed=0

# ok STATUS DESCRIPTION - one TAP line
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# has DESCRIPTION PATTERN - the demo's output has a line matching PATTERN
has() {
	grep -q -- "$2" "$OUT"
	ok $? "$1"
}

# step N - the demo's output from step N to the next one
step() {
	sed -n "/^\[$1\/9\]/,/^\[$(($1 + 1))\/9\]/p" "$OUT"
}

# in_step N DESCRIPTION PATTERN - step N's output has a line matching PATTERN
in_step() {
	step "$1" | grep -q -- "$3"
	ok $? "$2"
}

sh "$BG_SRC/tests/demo.sh" > "$OUT" 2>&1 < /dev/null
rc=$?
ok $rc "the demo ran to the end (exit $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$OUT"

for s in 1 2 3 4 5 6 7 8 9; do
	grep -q "^\[$s/9\] " "$OUT" || break
done
ok $([ "$s" = 9 ]; echo $?) "it printed its nine numbered steps"

# The first campaign: every bounce reached the pipe through Postfix A.
in_step 5 "bob's unknown user: a synchronous hard bounce, suppressed" \
    'pipe .*bounce recipient=<bob@remote.example> reason=userunknown type=hard status=5.1.1 mode=sync action=suppressed'
in_step 5 "erin's unknown user: the same" \
    'pipe .*bounce recipient=<erin@remote.example> reason=userunknown type=hard status=5.1.1 mode=sync action=suppressed'
in_step 5 "carol's full mailbox: B's own bounce (asynchronous), soft, counted" \
    'pipe .*bounce recipient=<carol@remote.example> reason=mailboxfull type=soft status=5.2.2 mode=async action=counted'
in_step 5 "dave's blocklisting reply: a block bounce, counted, not suppressed" \
    'pipe .*bounce recipient=<dave@remote.example> reason=blocked type=block status=5.7.1 mode=sync action=counted'
in_step 5 "Postfix A delivered the bounces to the bounceguard pipe transport" \
    'A .*pipe: .*to=<b-.*-bob=remote.example@bounces.example.com> status=sent (delivered via bounceguard service)'
in_step 5 "the mail log shows the milter stamping the VERP sender" \
    'milter .*stamp sender=<news@news.example> verp=<b-[a-z0-9]*-[a-z0-9]*-alice=remote.example@bounces.example.com>'
has "frank's complaint: suppressed for news.example only" \
    'pipe .*bounce recipient=<frank@remote.example> reason=feedback type=complaint .*action=suppressed scope=news.example'

# What bounceguard stats and dump printed.
in_step 7 "bounceguard stats: its header" 'domain  *sent  *bounced  *rate'
in_step 7 "bounceguard stats: 6 sent, 4 bounced, 2 hard, 1 soft, 1 block, 1 complaint" \
    'remote.example  *6  *4  *66.66%  *2  *1  *1  *1 '
in_step 7 "bounceguard dump: bob suppressed (userunknown)" \
    'bob@remote.example  *suppressed  *userunknown '
in_step 7 "bounceguard dump: erin suppressed (userunknown)" \
    'erin@remote.example  *suppressed  *userunknown '
in_step 7 "bounceguard dump: dave (blocked) still active" \
    'dave@remote.example  *active .* 1  *0  *5\.7\.1'
in_step 7 "bounceguard dump: carol (one soft bounce) still active" \
    'carol@remote.example  *active .* 1  *0  *0  *5\.2\.2'
in_step 7 "bounceguard dump: frank suppressed for news.example" \
    'frank@remote.example  *suppressed  *feedback  *news.example'

# The second campaign.
for r in bob erin; do
	in_step 8 "second campaign: $r refused at RCPT TO" \
	    "client RCPT TO:<$r@remote.example> -> 550 5.1.1 <$r@remote.example>: recipient suppressed by bounceguard (userunknown since"
done
in_step 8 "second campaign: frank refused for news.example" \
    'client RCPT TO:<frank@remote.example> -> 550 5.1.1 <frank@remote.example>: recipient suppressed by bounceguard (feedback since'
for r in alice carol dave; do
	in_step 8 "second campaign: $r accepted" "client RCPT TO:<$r@remote.example> -> 250 "
done
in_step 8 "another sender's mail to frank accepted (the complaint's scope)" \
    'client RCPT TO:<frank@remote.example> -> 250 '
in_step 8 "the blocked address was sent to again and counted again" \
    'pipe .*bounce recipient=<dave@remote.example> reason=blocked .*action=counted'
in_step 8 "Postfix A's log names the milter's refusal" \
    'A .*smtpd: NOQUEUE: RCPT TO refused: 550 5.1.1 <bob@remote.example>: recipient suppressed by bounceguard'

# Everything stopped and removed.
T=$(sed -n 's/.*stopped; \(\/tmp\/bg-milter-test\.[A-Za-z0-9]*\) removed\./\1/p' "$OUT")
ok $([ -n "$T" ] && [ ! -e "$T" ]; echo $?) "its working directory is gone (${T:-not named})"
sleep 1
left=$(ps -eo args | grep -F "${T:-/nonexistent}/" | grep -v grep)
ok $([ -z "$left" ]; echo $?) "no process of the demo is left running"
[ -z "$left" ] || echo "$left" | sed 's/^/# /'

echo "1..$n"
[ "$failed" -eq 0 ]
