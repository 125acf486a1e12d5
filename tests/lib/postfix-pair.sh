# postfix-pair.sh - the whole bounce loop on loopback: "our" Postfix
# instance, configured from contrib/postfix/ as shipped, and a "remote"
# site that refuses, accepts and bounces, and routes the VERP domain back
# to us. Sourced first (for pp_private_devlog); the rest needs
# milter-env.sh and postfix-env.sh (T, BG_SRC, BG_BUILD, pf_config,
# pf_start, and pf_stop_all, which stops everything started here).
#
# pp_private_devlog SCRIPT [ARGS]
#                     re-run SCRIPT in a private mount namespace whose
#                     /dev is a small private tmpfs, so that the test can
#                     listen on /dev/log (these machines run no syslog);
#                     sets PP_DEVLOG=1 there. Returns when that is not
#                     possible (not root, no unshare, no mknod), with
#                     PP_DEVLOG empty; nothing outside is touched.
# pp_syslog FILE [HOST]
#                     receive syslog(3) lines on /dev/log and append them
#                     to FILE, as from HOST (false without PP_DEVLOG)
# pp_contrib FILE     the configuration lines of a contrib file: no
#                     comments, no blank lines
# pp_remote DIR PORT OURPORT
#                     configure the remote site, mx.remote.example, on PORT:
#                     virtual mailboxes good@, gone@ and full@
#                     remote.example (others are refused at RCPT with
#                     550 5.1.1); gone@ is accepted, and then its
#                     mailbox program says "user unknown" (the remote
#                     site's own DSN, 5.1.1); full@ gets 452 4.2.2 at RCPT; mail for
#                     bounces.example.com goes to 127.0.0.1:OURPORT, sent
#                     from 127.0.0.2, outside our mynetworks
# pp_ours DIR PORT REMOTEPORT MILTER-SOCKET HOSTNAME
#                     configure our site, HOSTNAME, on PORT, with
#                     contrib/postfix/main.cf.milter, main.cf.pipe,
#                     transport and master.cf.pipe (paths replaced by
#                     the test's; the lookup socket is lookup.sock beside
#                     MILTER-SOCKET) and remote.example routed to REMOTEPORT
# (then start both with pf_start DIR PORT DIR PORT)
PP_DEVLOG=${PP_DEVLOG:-}

# The private /dev: a tmpfs with the device nodes programs use.
PP_DEV_SETUP='mount -t tmpfs -o mode=755 bg-dev /dev &&
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
mknod -m 666 /dev/full c 1 7 && mknod -m 666 /dev/random c 1 8 &&
mknod -m 666 /dev/urandom c 1 9 && mknod -m 666 /dev/tty c 5 0 &&
ln -s /proc/self/fd /dev/fd && ln -s fd/0 /dev/stdin &&
ln -s fd/1 /dev/stdout && ln -s fd/2 /dev/stderr &&
mkdir -m 1777 /dev/shm && mount -t tmpfs -o mode=1777 bg-shm /dev/shm'

# pp_private_devlog SCRIPT [ARGS] - re-run SCRIPT with a private /dev/log
pp_private_devlog() {
	[ -z "$PP_DEVLOG" ] && [ "$(id -u)" = 0 ] &&
	    command -v unshare > /dev/null 2>&1 || return 0
	unshare -m --propagation private sh -c "$PP_DEV_SETUP &&
	    head -c 1 /dev/urandom > /dev/null" > /dev/null 2>&1 || return 0
	PP_DEVLOG=1 exec unshare -m --propagation private \
	    sh -c "$PP_DEV_SETUP && exec sh \"\$@\"" sh "$@"
}

# pp_syslog FILE [HOST] - a syslog receiver on /dev/log appending to FILE
pp_syslog() {
	[ -n "$PP_DEVLOG" ] || return 1
	"$BG_BUILD/bench/syslog_sink" /dev/log "$@" 2> "$T/syslog_sink.err" &
	PF_SINKS="$PF_SINKS $!"
	for _ in $(seq 1 100); do
		[ -S /dev/log ] && return 0
		sleep 0.1
	done
	return 1
}

# pp_contrib FILE - the configuration lines of a contrib file
pp_contrib() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"
}

# pp_remote DIR PORT OURPORT - the remote site
pp_remote() {
	d=$1
	pf_config "$d" "$2" mx.remote.example
	mkdir -p "$d/mail"
	chown nobody "$d/mail"
	printf '%s\n' 'good@remote.example good/' 'gone@remote.example gone/' \
	    'full@remote.example full/' > "$d/etc/vmailbox"
	printf '%s\n' \
	    'full@remote.example 452 4.2.2 <full@remote.example>: Mailbox full' \
	    > "$d/etc/access"
	printf '%s\n' \
	    'gone@remote.example lda:' \
	    "bounces.example.com smtp:[127.0.0.1]:$3" > "$d/etc/transport"
	postconf -c "$d/etc" -e \
	    "virtual_mailbox_domains = remote.example" \
	    "virtual_mailbox_maps = texthash:$d/etc/vmailbox" \
	    "virtual_mailbox_base = $d/mail" \
	    "virtual_uid_maps = static:$(id -u nobody)" \
	    "virtual_gid_maps = static:$(id -g nobody)" \
	    "transport_maps = texthash:$d/etc/transport" \
	    "smtpd_recipient_restrictions = check_recipient_access texthash:$d/etc/access" \
	    "smtp_bind_address = 127.0.0.2" || return 1
	# gone@'s mailbox program (a local delivery agent such as Dovecot's
	# LDA) answers "no such user" (EX_NOUSER) after SMTP has accepted
	printf '%s\n' 'virtual   unix - n n - - virtual' \
	    'lda       unix - n n - - pipe user=nobody argv=/bin/sh -c { echo "<gone@remote.example>: mailbox unknown"; exit 67 }' \
	    >> "$d/etc/master.cf"
}

# pp_ours DIR PORT REMOTEPORT MILTER-SOCKET HOSTNAME - our site, from
# contrib/
pp_ours() {
	d=$1
	c=$BG_SRC/contrib/postfix
	pf_config "$d" "$2" "$5"
	postconf -c "$d/etc" -e "mynetworks = 127.0.0.1/32" \
	    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" ||
	    return 1
	# contrib's main.cf.pipe sets it: as an administrator would, drop the
	# old setting rather than leave Postfix to warn about two
	postconf -c "$d/etc" -X smtpd_recipient_restrictions || return 1
	{ pp_contrib "$c/main.cf.milter" |
	    sed "s|unix:/bounceguard/milter.sock|$4|"
	  pp_contrib "$c/main.cf.pipe" |
	    sed -e "s|hash:/etc/postfix/transport|hash:$d/etc/transport|" \
		-e "s|unix:/bounceguard/lookup.sock|${4%milter.sock}lookup.sock|"
	} >> "$d/etc/main.cf"
	{ pp_contrib "$c/transport"
	  echo "remote.example smtp:[127.0.0.1]:$3"
	} > "$d/etc/transport"
	postmap -c "$d/etc" "hash:$d/etc/transport" || return 1
	pp_contrib "$c/master.cf.pipe" |
	    sed -e "s|/usr/local/libexec/bounceguard/bounceguard-pipe|$BG_BUILD/bounceguard-pipe|" \
		-e "s|/etc/bounceguard/bounceguard.conf|$CONF|" >> "$d/etc/master.cf"
}
