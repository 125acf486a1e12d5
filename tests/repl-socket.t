#!/bin/bash
# repl-socket.t - with replication on, a pipe makes its changes through
# its host's milter over $store_dir/bounceguard.repl-socket: without a
# milter running the pipe defers (75) saying so and leaves the store
# alone; the socket is the store user's only (mode, owner, and the
# milter's own peer check, logged); a bounce through a client site's
# pipe is acknowledged, logged with the role the pipe saw, and reaches
# every site; a stopped milter's socket is gone and its pipe defers
# until the milter is back.
. "$BG_SRC/tests/lib/repl-env.sh"
command -v perl >/dev/null || skip_all "perl not installed (the raw socket checks)"

for s in 1 2 3; do write_site "$s"; done
sock() { echo "$T/s$1/store/bounceguard.repl-socket"; }

# epipe N VERP QID < message - site N's pipe with -e (its log on stderr
# too), stderr in $T/pipe.out, exit status in $rc
epipe() {
	$AS_USER "$PIPE" -e -c "$(conf "$1")" -r "$2" -s "" -q "$3" \
	    2>"$T/pipe.out" >/dev/null
	rc=$?
}
# peer_says USER PATH - what a raw connection to PATH as USER gets:
# "greeting ...", "closed" (no greeting), or "error ERRNO-NAME"
peer_says() {
	setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups \
	    perl -MSocket -MErrno -e '
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
	unless (connect($s, pack_sockaddr_un($ARGV[0]))) {
		my ($name) = grep { $!{$_} } keys %!;
		print "error ", $name // $!, "\n";
		exit;
	}
	local $SIG{ALRM} = sub { print "timeout\n"; exit };
	alarm 10;
	# One message: a 4-byte big-endian length, then that many bytes.
	my ($h, $d) = ("", "");
	while (length $h < 4) {
		sysread($s, $h, 4 - length $h, length $h) or last;
	}
	if (length $h < 4) { print "closed\n"; exit }
	my $len = unpack "N", $h;
	while (length $d < $len) {
		sysread($s, $d, $len - length $d, length $d) or last;
	}
	print "greeting $d\n";
	' "$2"
}

# 1. No replication process on this host: the pipe defers, says why,
# and never opens the store itself.
early="early@example.org"
hard_dsn "$early" early > "$T/msg.early"
epipe 2 "$(verp "$early")" QEARLY < "$T/msg.early"
ok $(( rc != 75 )) "no milter running: the pipe defers (exit $rc, want 75)"
grep -q "no replication process is running on this host (bounceguard-milter): connect $(sock 2): " "$T/pipe.out"
ok $? "and says there is no replication process, naming the socket"
sed 's/^/# /' "$T/pipe.out"
ok $(( $(ls -A "$T/s2/store" | wc -l) != 0 )) "the pipe did not open or create the store itself ($(ls -A "$T/s2/store" | tr '\n' ' '))"

# 2. The three sites: a master, and a socket at each.
start=$(date +%s)
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master (site ${MASTER:-none})"
end=$(( $(date +%s) + 30 ))
while [ "$(date +%s)" -lt "$end" ]; do
	[ -S "$(sock 1)" ] && [ -S "$(sock 2)" ] && [ -S "$(sock 3)" ] && break
	sleep 0.2
done
[ -S "$(sock 1)" ] && [ -S "$(sock 2)" ] && [ -S "$(sock 3)" ]
ok $? "every site's milter made its socket ($(( $(date +%s) - start ))s after start)"

# 3. The socket: the store user's, no group or other permissions.
client=$(( MASTER % 3 + 1 ))
p=$(sock "$client")
ok $(( $(( 8#$(stat -c %a "$p") & 8#077 )) != 0 )) "the socket has no group or other permissions (mode $(stat -c %a "$p"))"
is_owner=$(stat -c %U "$p")
[ "$is_owner" = bounceguard ]
ok $? "the socket is owned by the store user (owner $is_owner)"

# 4. Another user: refused by the file mode, and by the milter's own check.
said=$(peer_says bounceguard "$p")
case $said in "greeting role=client master=$(addr "$MASTER")"*) r=0 ;; *) r=1 ;; esac
ok $r "the store user is greeted with the role (client) and master ($said)"
said=$(peer_says nobody "$p")
ok $([ "$said" = "error EACCES" ]; echo $?) "nobody cannot connect: the mode refuses it ($said)"
# A pipe run as nobody (its own readable copies of the secrets).
mkdir -p "$T/nobody"
cp "$T/verp.secret" "$T/repl.secret" "$T/nobody/"
chmod 644 "$T/nobody/verp.secret" "$T/nobody/repl.secret"
sed "s|^verp_secret_file = .*|verp_secret_file = $T/nobody/verp.secret|; s|^repl_secret_file = .*|repl_secret_file = $T/nobody/repl.secret|" \
    "$(conf "$client")" > "$T/nobody/bounceguard.conf"
chmod 644 "$T/nobody/bounceguard.conf"
hard_dsn "nobody-run@example.org" nob > "$T/msg.nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PIPE" -e \
    -c "$T/nobody/bounceguard.conf" -r "$(verp nobody-run@example.org)" \
    -s "" -q QNOBODY < "$T/msg.nobody" 2>"$T/pipe.out" >/dev/null
rc=$?
ok $(( rc != 75 )) "a pipe run as nobody defers (exit $rc)"
grep -q "not allowed to reach this host's replication process (run bounceguard-pipe as the store's user): connect $p: Permission denied" "$T/pipe.out"
ok $? "because it may not connect to the socket, and says so"
sed 's/^/# /' "$T/pipe.out"
# The milter's peer check, with the mode opened up.
chmod 777 "$p"
said=$(peer_says nobody "$p")
chmod 700 "$p"
ok $([ "$said" = closed ]; echo $?) "socket opened to all: the milter closes nobody's connection without a greeting ($said)"
for _ in $(seq 1 20); do
	grep -q "repl event=refused peer=uid:65534 reason=not_the_store_user socket=$p" "$T/s$client/log" && break
	sleep 0.1
done
grep -q "repl event=refused peer=uid:65534 reason=not_the_store_user socket=$p" "$T/s$client/log"
ok $? "and logs the refused peer, its uid and the socket"
said=$(peer_says bounceguard "$p")
case $said in greeting*) r=0 ;; *) r=1 ;; esac
ok $r "the store user is still served after ($said)"

# 5. A bounce through a client site's pipe.
a="through-client@example.org"
hard_dsn "$a" tc > "$T/msg.tc"
epipe "$client" "$(verp "$a")" QTC < "$T/msg.tc"
ok $(( rc != 0 )) "a bounce through a client site's pipe is acknowledged (exit $rc)"
grep -q "QTC: repl role=client master=$(addr "$MASTER")" "$T/pipe.out"
ok $? "the pipe logs the role and master it saw"
[ "$rc" = 0 ] || sed 's/^/# /' "$T/pipe.out"
dumps_agree 20
ok $? "every site's dump --json is identical"
missing=0
for s in 1 2 3; do
	grep -q "\"address\":\"$a\",\"state\":\"suppressed\"" "$T/dump.$s" ||
	    missing=$((missing + 1))
done
ok "$missing" "the bounced address is suppressed on every site ($missing without)"
grep -q "\"address\":\"$early\"" "$T/dump.1"
ok $(( $? == 0 )) "the bounce deferred before the milter ran is not recorded"

# 6. A stopped milter: its socket goes, its pipe defers until it is back.
kill_site "$client" TERM
[ ! -e "$p" ]
ok $? "the stopped milter removed its socket"
b="while-stopped@example.org"
hard_dsn "$b" ws > "$T/msg.ws"
epipe "$client" "$(verp "$b")" QWS < "$T/msg.ws"
ok $(( rc != 75 )) "its pipe defers meanwhile (exit $rc)"
grep -q "no replication process is running on this host" "$T/pipe.out"
ok $? "saying there is no replication process"
# A restarted client's milter makes its socket once its store is open.
# It had a copy, so it opens it as soon as it knows the master: it used
# to wait for a first live record (DB_EVENT_REP_STARTUPDONE), up to 30 s
# when the master had nothing to write, with its pipes deferring.
restart=$(date +%s)
start_site "$client"
for _ in $(seq 1 100); do
	[ -S "$p" ] && break
	sleep 0.1
done
[ -S "$p" ]
ok $? "the restarted milter serves its pipes within 10 s ($(( $(date +%s) - restart ))s)"
grep -q "repl event=waiting" "$T/s$client/log"
ok $(( $? == 0 )) "without waiting out its start-up limit (repl event=waiting)"
for _ in $(seq 1 90); do
	epipe "$client" "$(verp "$b")" QWS < "$T/msg.ws"
	[ "$rc" = 75 ] || break
	grep -v warning "$T/pipe.out" >> "$T/retries"
	sleep 0.5
done
[ -f "$T/retries" ] && sort "$T/retries" | uniq -c | sed 's/^/# /'
echo "# $(( $(date +%s) - start ))s: the retry is acknowledged"
ok $(( rc != 0 )) "the MTA's retry after the milter is back is acknowledged (exit $rc)"
dumps_agree 20
ok $? "and reaches every site"
grep -q "\"address\":\"$b\",\"state\":\"suppressed\"" "$T/dump.$MASTER"
ok $? "the retried bounce is recorded"
echo "# $(( $(date +%s) - start ))s with the sites running"
done_testing
