# postfix-env.sh - private Postfix instances on loopback, for the milter's
# tests and benchmark; sourced after milter-env.sh (which gives T and the
# exit trap; pf_stop_all must be called from it).
#
# pf_port                    a free loopback TCP port
# pf_sink DIR PORT [nodump]  start smtp-sink on PORT, dumping each message
#                            into DIR (X-Mail-Args holds MAIL FROM)
# pf_instance DIR PORT RELAYPORT [MILTER [SMTPD-OPTIONS]]
#                            write and start a Postfix instance in DIR
#                            that accepts mail on PORT and relays it all
#                            to RELAYPORT, with MILTER (a socket) as
#                            smtpd and non-smtpd milter, and
#                            SMTPD-OPTIONS ("-o name=value") on smtpd
# pf_main_cf DIR HOSTNAME    the directories and the main.cf lines every
#                            instance shares, for callers that add their own
# pf_config DIR PORT HOSTNAME [SMTPD-OPTIONS]
#                            write the main.cf and master.cf that every
#                            instance shares (no relayhost, no milter,
#                            logging to DIR/maillog); change them with
#                            postconf -c DIR/etc -e, or append to
#                            master.cf, before pf_start
# pf_master_services         the master.cf service lines every instance
#                            needs, after its own listeners
# pf_start DIR PORT [DIR PORT]...
#                            start the instances in DIR, wait for PORT
# pf_stop_all                stop every instance and sink started here
PF_DIRS=
PF_SINKS=

# pf_port - a loopback port nobody listens on
pf_port() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
		ss -ltn | grep -q ":$p " || { echo "$p"; return; }
	done
}

# pf_sink DIR PORT [nodump] - smtp-sink dumping messages into DIR (or,
# for benchmarks, keeping nothing: a directory of many thousands of
# files slows every later run down)
pf_sink() {
	mkdir -p "$1"
	chown postfix "$1"
	if [ "${3:-}" = nodump ]; then
		smtp-sink -u postfix "127.0.0.1:$2" 256 \
		    > "$1.log" 2>&1 < /dev/null &
	else
		smtp-sink -u postfix -d "$1/%M." "127.0.0.1:$2" 256 \
		    > "$1.log" 2>&1 < /dev/null &
	fi
	PF_SINKS="$PF_SINKS $!"
}

# pf_main_cf DIR HOSTNAME - the directories of a private instance and the
# main.cf lines every one shares (loopback only, no local delivery, no
# TLS, its own mail log); callers append their own lines
pf_main_cf() {
	mkdir -p "$1/etc" "$1/spool" "$1/data"
	chown postfix "$1/data"
	cat > "$1/etc/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $2
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file_prefixes = $1
maillog_file = $1/maillog
MAIN
}

# pf_config DIR PORT HOSTNAME [SMTPD-OPTIONS] - the configuration of a
# private instance that listens on 127.0.0.1:PORT
pf_config() {
	pf_main_cf "$1" "$3"
	cat >> "$1/etc/main.cf" <<MAIN
mydomain = ${3#*.}
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
default_destination_concurrency_limit = 50
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
MAIN
	cat > "$1/etc/master.cf" <<MASTER
127.0.0.1:$2 inet n - n - - smtpd ${4:-}
$(pf_master_services)
MASTER
}

# pf_master_services - the master.cf lines every private instance needs
# (unprivileged, not chrooted), after its own listeners
pf_master_services() {
	cat <<'SERVICES'
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
SERVICES
}

# pf_start DIR PORT [DIR PORT]... - start the instances in DIR (at the
# same time: "postfix start" checks every file, which takes seconds on a
# loaded machine), and wait for each one's PORT
pf_start() {
	pids=
	args=$*
	while [ $# -ge 2 ]; do
		postfix -c "$1/etc" start > "$1/start.log" 2>&1 < /dev/null &
		pids="$pids $!"
		PF_DIRS="$PF_DIRS $1"
		shift 2
	done
	st=0
	for p in $pids; do wait "$p" || st=1; done
	[ $st = 0 ] || return 1
	set -- $args
	while [ $# -ge 2 ]; do
		i=0
		until ss -ltn | grep -q "127.0.0.1:$2 "; do
			[ $i -ge 100 ] && return 1
			sleep 0.1
			i=$((i + 1))
		done
		shift 2
	done
}

# pf_instance DIR PORT RELAYPORT [MILTER [SMTPD-OPTIONS]] - a private
# instance relaying everything to RELAYPORT
pf_instance() {
	pf_config "$1" "$2" mta.test.example "${5:-}"
	cat >> "$1/etc/main.cf" <<MAIN
relayhost = [127.0.0.1]:$3
smtpd_milters = ${4:-}
non_smtpd_milters = ${4:-}
milter_default_action = tempfail
milter_protocol = 6
MAIN
	pf_start "$1" "$2"
}

# pf_queue_empty DIR - wait (up to 30 s) until the instance's queue is
# empty; looks every 20 ms, which bounds the error of a timed run
pf_queue_empty() {
	for _ in $(seq 1 1500); do
		[ -z "$(find "$1/spool/incoming" "$1/spool/active" \
		    "$1/spool/deferred" "$1/spool/maildrop" -type f 2>/dev/null | head -1)" ] &&
		    return 0
		sleep 0.02
	done
	return 1
}

# pf_stop_all - stop the instances (at the same time), then the sinks
pf_stop_all() {
	pids=
	for d in $PF_DIRS; do
		postfix -c "$d/etc" stop > /dev/null 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
	for p in $PF_SINKS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PF_DIRS=
	PF_SINKS=
}
