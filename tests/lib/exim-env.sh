# exim-env.sh - what the Exim integration tests need before anything else
# (sourced, after BG_SRC is set): root, a private unpacked Exim (made by
# tests/lib/exim-setup.sh, its binary in $EXIM) and swaks. When one is
# missing it prints TAP's skip line with the reason and exits 0.

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root: the private Exim runs as root with -C"
	exit 0
fi
if ! EXIM=$(sh "$BG_SRC/tests/lib/exim-setup.sh" 2>/tmp/exim-setup.$$); then
	echo "1..0 # SKIP Exim unavailable: $(tail -1 /tmp/exim-setup.$$)"
	rm -f /tmp/exim-setup.$$
	exit 0
fi
rm -f /tmp/exim-setup.$$
if ! command -v swaks >/dev/null 2>&1; then
	echo "1..0 # SKIP swaks (the SMTP client) is not installed: sh build-aux/deps.sh --test"
	exit 0
fi

# exim_main_conf DIR HOSTNAME - the main-section lines every private Exim
# shares: spool, logs and pid file in DIR, loopback only, the RCPT ACL
# named acl_check_rcpt, no lookups of the client, no TLS, no environment
exim_main_conf() {
	cat <<CONF
primary_hostname = $2
exim_path = $EXIM
spool_directory = $1/spool
log_file_path = $1/log/%slog
pid_file_path = $1/exim.pid
local_interfaces = <; 127.0.0.1
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
tls_advertise_hosts =
keep_environment =
CONF
}
