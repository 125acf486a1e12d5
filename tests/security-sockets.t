#!/bin/sh
# security-sockets.t - issue 18, items 3 and 4: the milter's listening
# sockets.
#
# Item 3: "inet:PORT" listened on every interface and nobody's address
# was checked, so anyone who could reach the lookup socket minted signed
# VERP addresses and read the suppression list. Now an inet socket
# without an address listens on loopback, and a client outside
# lookup_clients / milter_clients (loopback by default) is logged and
# disconnected before it can ask anything.
#
# Item 4: root created the sockets and the pid file by path, following
# links: the bounceguard user, owning the socket directory, could plant a
# link and have root chown/chmod or truncate any file. Now a directory
# that others than root can change is refused, and nothing is followed.
. "$BG_SRC/tests/lib/milter-env.sh"

# set_conf ["KEY = VALUE"...] - the test configuration, with these keys
# replaced or added
set_conf() {
	write_conf
	for l in "$@"; do
		sed -i "/^${l%% =*} =/d" "$CONF"
		printf '%s\n' "$l" >> "$CONF"
	done
}

# free_port - a loopback TCP port nobody listens on
free_port() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
		ss -ltn | grep -q ":$p " || { echo "$p"; return; }
	done
}

# tcp_ask SOURCE PORT REQUEST - connect from SOURCE to 127.0.0.1:PORT,
# send REQUEST, shut our side, print the answer (or "closed" when the
# server hung up without a word)
tcp_ask() {
	perl -MIO::Socket::INET -e '
		my ($src, $port, $req) = @ARGV;
		$req =~ s/\\n/\n/g;
		alarm 10;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		    PeerPort => $port, LocalAddr => $src, Proto => "tcp")
		    or die "connect: $!\n";
		$s->send($req); shutdown($s, 1);
		local $/; my $a = <$s>;
		print defined $a && length $a ? $a : "closed\n";' "$1" "$2" "$3" 2>&1
}

# tcp_probe SOURCE PORT - connect from SOURCE and send nothing: "closed"
# when the server hangs up within 2 s, else "open"
tcp_probe() {
	perl -MIO::Socket::INET -MIO::Select -e '
		my ($src, $port) = @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		    PeerPort => $port, LocalAddr => $src, Proto => "tcp")
		    or die "connect: $!\n";
		my $r = IO::Select->new($s)->can_read(2) ? sysread($s, my $b, 1) : -1;
		print $r == -1 ? "open\n" : $r == 0 ? "closed\n" : "data\n";' "$1" "$2" 2>&1
}

# wait_started - the daemon's "starting" line, or its exit
wait_started() {
	for _ in $(seq 1 50); do
		grep -q starting "$T/log" && return 0
		kill -0 "$MPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# start_fg - the daemon in the foreground, on the current $CONF
start_fg() {
	: > "$T/log"
	"$MILTER" -c "$CONF" -f >> "$T/log" 2>&1 &
	MPID=$!
	wait_started
}

# listens_on PORT ADDR - ss shows a listener on ADDR:PORT and none elsewhere
listens_on() {
	l=$(ss -Hltn "sport = :$1" | awk '{print $4}')
	[ "$l" = "$2:$1" ]
}

write_conf
$SEED suppress jane@example.org userunknown
lport=$(free_port)
mport=$(free_port)
while [ "$mport" = "$lport" ]; do mport=$(free_port); done

# --- Item 3: loopback by default, allow-lists ------------------------------
set_conf "lookup_socket = inet:$lport" "milter_socket = inet:$mport"
start_fg
ok $? "the daemon starts with milter_socket = inet:$mport, lookup_socket = inet:$lport"
check "inet:PORT without an address: the lookup socket listens on 127.0.0.1 only" \
    listens_on "$lport" 127.0.0.1
check "... and so does the milter socket" listens_on "$mport" 127.0.0.1
check "the start-up line names the address" \
    grep -q "starting: milter_socket=inet:$mport@127.0.0.1 lookup_socket=inet:$lport@127.0.0.1" "$T/log"
got=$(tcp_ask 127.0.0.1 "$lport" 'check jane@example.org\n')
ok $([ "$got" = "suppressed userunknown" ]; echo $?) "a loopback client is served ($got)"
stop_milter

# Listening on every interface must be asked for; the allow-list still
# applies. The attacker is 127.0.0.2, the MTA 127.0.0.1.
set_conf "lookup_socket = inet:$lport@0.0.0.0" "milter_socket = inet:$mport@0.0.0.0" \
    "lookup_clients = 127.0.0.1/32" "milter_clients = 127.0.0.1/32, ::1"
start_fg
ok $? "the daemon starts listening on 0.0.0.0 with allow-lists of 127.0.0.1"
check "inet:PORT@0.0.0.0 listens on every interface, as asked" listens_on "$lport" 0.0.0.0
got=$(tcp_ask 127.0.0.2 "$lport" 'verp bob@example.org\n')
ok $([ "$got" = closed ]; echo $?) "lookup: a client outside lookup_clients mints no VERP address (got: $got)"
got=$(tcp_ask 127.0.0.2 "$lport" 'check jane@example.org\n')
ok $([ "$got" = closed ]; echo $?) "lookup: ... and cannot read the suppression list (got: $got)"
check "lookup: the refusal is logged" \
    grep -q 'lookup: refused client=127.0.0.2 reason=not_in_lookup_clients' "$T/log"
got=$(tcp_ask 127.0.0.1 "$lport" 'check jane@example.org\n')
ok $([ "$got" = "suppressed userunknown" ]; echo $?) "lookup: a client inside it is served ($got)"

# The milter socket: libmilter accepts, our accept() checks the MTA.
got=$(tcp_probe 127.0.0.2 "$mport")
ok $([ "$got" = closed ]; echo $?) "milter: an MTA outside milter_clients is disconnected at once (got: $got)"
got=$(tcp_probe 127.0.0.1 "$mport")
ok $([ "$got" = open ]; echo $?) "milter: one inside it is kept, waiting for the protocol (got: $got)"
check "milter: the refusal is logged" \
    grep -q 'milter: refused client=127.0.0.2 reason=not_in_milter_clients' "$T/log"
"$MC" -s "inet:$mport@127.0.0.1" -C 10.1.2.3 -f news@example.com -r bob@example.org > "$T/o" 2>&1
ok $(grep -q '^eom chgfrom <b-' "$T/o"; echo $?) "milter: an MTA inside it is served (mail stamped)"
check "milter: the daemon keeps running after refusals" kill -0 "$MPID"

# A reload changes the allow-lists.
sed -i 's|^lookup_clients = .*|lookup_clients = 127.0.0.2/32|' "$CONF"
reload_milter
got=$(tcp_ask 127.0.0.1 "$lport" 'check jane@example.org\n')
ok $([ "$got" = closed ]; echo $?) "after a reload, 127.0.0.1 is no longer in lookup_clients (got: $got)"
got=$(tcp_ask 127.0.0.2 "$lport" 'check jane@example.org\n')
ok $([ "$got" = "suppressed userunknown" ]; echo $?) "... and 127.0.0.2 is ($got)"
stop_milter

# An empty allow-list is a mistake, said in words; "any" is a choice.
set_conf "lookup_clients ="
"$MILTER" -c "$CONF" -t > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q 'lookup_clients: empty; list networks, or write "any"' "$T/out"; echo $?) \
    "an empty lookup_clients is refused, naming the key (exit $rc)"
set_conf "lookup_clients = any" "milter_clients = any"
check "lookup_clients = any is accepted" "$MILTER" -c "$CONF" -t
set_conf "milter_clients = 192.0.2.0/33"
"$MILTER" -c "$CONF" -t > "$T/out" 2>&1
ok $(grep -q 'milter_clients: bad network address "192.0.2.0/33"' "$T/out"; echo $?) \
    "a bad network in milter_clients is refused, naming it"

# --- Item 4: directories others can change, links -------------------------
# The victim is a root file that a bounceguard-owned directory points to.
printf 'secret\n' > "$T/victim"
chmod 600 "$T/victim"
victim_state() { stat -c '%u:%g %a %s' "$T/victim"; cat "$T/victim"; }
before=$(victim_state)
mkdir "$T/evil"
chown bounceguard "$T/evil"

# attack NAME KEY FILE [-f] - the daemon's KEY points into $T/evil, where
# the bounceguard user planted FILE -> victim; it must refuse, fatally,
# naming the directory, and leave the victim alone
attack() {
	name=$1 key=$2 file=$3 fg=${4:-}
	setpriv --reuid=bounceguard --regid=bounceguard --clear-groups \
	    ln -sf "$T/victim" "$T/evil/$file"
	set_conf "$key = $( [ "$key" = pid_file ] || printf unix:)$T/evil/$file" \
	    "milter_socket_group = bounceguard" "lookup_socket_group = bounceguard"
	timeout 20 "$MILTER" -c "$CONF" $fg > "$T/out" 2>&1
	rc=$?
	ok $([ $rc = 1 ] && grep -q "fatal: $key .*directory $T/evil is owned by uid $(id -u bounceguard)" "$T/out" &&
	    [ "$(victim_state)" = "$before" ]; echo $?) \
	    "$name: refused (exit $rc), fatal naming $T/evil; the victim is untouched"
	sed 's/^/# /' "$T/out" | head -2
}
attack "milter socket in a bounceguard-owned directory" milter_socket milter.sock -f
attack "lookup socket in a bounceguard-owned directory" lookup_socket lookup.sock -f
attack "pid file in a bounceguard-owned directory" pid_file milter.pid
ok $(! pgrep -f "$MILTER -c $CONF" > /dev/null; echo $?) "no daemon was left running"

# A root-owned directory under a bounceguard-owned one is no better: the
# owner of the parent can rename it and put another in its place.
mkdir "$T/evil/inner"
set_conf "lookup_socket = unix:$T/evil/inner/lookup.sock"
timeout 20 "$MILTER" -c "$CONF" -f > "$T/out" 2>&1
ok $([ $? = 1 ] && grep -q "fatal: lookup_socket .*directory $T/evil is owned by uid" "$T/out"; echo $?) \
    "a root directory inside a bounceguard-owned one: refused, naming the one above"

# Group-writable, root-owned: refused too.
mkdir "$T/grp"
chgrp bounceguard "$T/grp"
chmod 775 "$T/grp"
set_conf "milter_socket = unix:$T/grp/milter.sock"
timeout 20 "$MILTER" -c "$CONF" -f > "$T/out" 2>&1
ok $([ $? = 1 ] && grep -q "fatal: milter_socket .*directory $T/grp is owned by uid 0, mode 0775" "$T/out"; echo $?) \
    "a group-writable directory: refused"

# Links in a directory only root can change are not followed either.
ln -s "$T/victim" "$T/run/milter.pid"
write_conf
"$MILTER" -c "$CONF" > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q "fatal: pid_file $T/run/milter.pid: is a symbolic link" "$T/out" &&
    [ "$(victim_state)" = "$before" ]; echo $?) \
    "a pid file that is a symbolic link: not followed, fatal (exit $rc); the victim is untouched"
rm -f "$T/run/milter.pid"
ln "$T/victim" "$T/run/milter.pid"
"$MILTER" -c "$CONF" > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q "fatal: pid_file $T/run/milter.pid: not a plain file of ours with one link" "$T/out" &&
    [ "$(victim_state)" = "$before" ]; echo $?) \
    "a pid file hard-linked to another file: not truncated, fatal (exit $rc)"
rm -f "$T/run/milter.pid"
rm -f "$T/run/lookup.sock"
ln -s "$T/victim" "$T/run/lookup.sock"
timeout 20 "$MILTER" -c "$CONF" -f > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && [ "$(victim_state)" = "$before" ] && [ -L "$T/run/lookup.sock" ]; echo $?) \
    "a link where the lookup socket goes: bind fails, fatal (exit $rc); the victim is untouched"
sed 's/^/# /' "$T/out" | grep fatal
rm -f "$T/run/lookup.sock"

# And in good directories everything still works, with mode and group set.
set_conf "milter_socket_group = bounceguard" "lookup_socket_mode = 0600"
start_milter
ok $? "in root-owned directories the daemon starts"
ok $([ "$(stat -c '%a %G' "$T/run/milter.sock")" = "660 bounceguard" ] &&
    [ "$(stat -c '%a' "$T/run/lookup.sock")" = 600 ]; echo $?) \
    "socket modes and group set ($(stat -c '%a %G' "$T/run/milter.sock"), $(stat -c '%a' "$T/run/lookup.sock"))"
stop_milter
ok $([ "$(victim_state)" = "$before" ]; echo $?) "the victim was never touched ($(victim_state | tr '\n' ' '))"
done_testing
