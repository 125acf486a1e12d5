/*
 * config_keys.h - every configuration key, declared once.
 *
 * CFG_KEY(name, type, default, min, max, options)
 *   type:    STR BOOL INT DURATION SIZE LIST CIDRS ENUM MODE PERCENT
 *   min/max: the allowed range for INT, DURATION (seconds), SIZE (bytes),
 *            MODE and PERCENT (hundredths of a percent); 0/0 means none.
 *   options: for ENUM, the allowed values separated by '|', the first
 *            being value 0; for LIST, "reasons" when every element must be
 *            a reason name, "services" when every element must be a Postfix
 *            master.cf service name; for STR, the syntax the value must have:
 *            "path" (absolute), "name" (a user or group name), "domain",
 *            "token" (lower-case letters and digits, at most 16),
 *            "socket" (unix:/PATH or inet:PORT@ADDR), "map" (a Postfix
 *            indexed table TYPE:/PATH, TYPE one of hash, btree, lmdb,
 *            cdb, the types postmap builds into one file), "header" (a header
 *            field name), "hostport" (HOST:PORT or [IPV6]:PORT; for
 *            LIST, of every element); a trailing '?' allows the empty value;
 *            for CIDRS, "any" when the word "any" stands for every address
 *            and the empty value is refused (the socket allow-lists).
 *
 * This file is included several times with different CFG_KEY macros (the
 * struct, the table); contrib/bounceguard.conf and man/bounceguard.conf.5
 * document every key and a test checks that they do.
 */

/* Files and identity. */
CFG_KEY(store_dir, STR, BG_STATEDIR, 0, 0, "path")
CFG_KEY(user, STR, "bounceguard", 0, 0, "name")
CFG_KEY(syslog_facility, ENUM, "mail", 0, 0,
    "mail|daemon|user|local0|local1|local2|local3|local4|local5|local6|local7")
CFG_KEY(mode, ENUM, "enforce", 0, 0, "enforce|monitor")

/* Signed VERP. */
CFG_KEY(verp_domain, STR, "", 0, 0, "domain?")
CFG_KEY(verp_prefix, STR, "b", 0, 0, "token")
CFG_KEY(verp_secret_file, STR, BG_SYSCONFDIR "/verp.secret", 0, 0, "path")
CFG_KEY(verp_max_age, DURATION, "60d", 86400, 3650LL * 86400, NULL)

/* Parsing and classification. */
CFG_KEY(local_hostnames, LIST, "", 0, 0, NULL)
CFG_KEY(trusted_bounce_networks, CIDRS, "", 0, 0, NULL)
CFG_KEY(shipped_rules_dir, STR, BG_RULESDIR, 0, 0, "path")
CFG_KEY(rules_dir, STR, BG_SYSCONFDIR "/rules.d", 0, 0, "path?")
CFG_KEY(quarantine_dir, STR, BG_STATEDIR "/quarantine", 0, 0, "path")
CFG_KEY(quarantine_max_size, SIZE, "100M", 1LL << 20, 1LL << 40, NULL)
CFG_KEY(quarantine_max_age, DURATION, "30d", 3600, 3650LL * 86400, NULL)
CFG_KEY(quarantine_message_max, SIZE, "256K", 4096, 1LL << 30, NULL)
CFG_KEY(max_message_size, SIZE, "10M", 65536, 1LL << 30, NULL)
CFG_KEY(parse_max_parts, INT, "500", 1, 100000, NULL)
CFG_KEY(parse_max_depth, INT, "20", 1, 1000, NULL)
CFG_KEY(parse_max_recipients, INT, "1000", 1, 1000000, NULL)
CFG_KEY(parse_max_headers, INT, "10000", 100, 1000000, NULL)
CFG_KEY(rule_match_limit, INT, "100000", 1000, 100000000, NULL)
CFG_KEY(rule_depth_limit, INT, "5000", 100, 10000000, NULL)

/* Policy. */
CFG_KEY(hard_reasons, LIST, "userunknown, hostunknown, hasmoved, notaccept",
    0, 0, "reasons")
CFG_KEY(soft_bounce_limit, INT, "5", 1, 64, NULL)
CFG_KEY(soft_bounce_window, DURATION, "30d", 3600, 3650LL * 86400, NULL)
CFG_KEY(soft_suppression_ttl, DURATION, "30d", 3600, 3650LL * 86400, NULL)
CFG_KEY(retryable_reasons, LIST,
    "toomanyconn, speeding, systemerror, systemfull, networkerror", 0, 0,
    "reasons")
CFG_KEY(block_reasons, LIST,
    "blocked, requireptr, badreputation, authfailure, securityerror, "
    "failedstarttls, norelaying, rejected, policyviolation, spamdetected, "
    "virusdetected, contenterror, notcompliantrfc, syntaxerror, mesgtoobig",
    0, 0, "reasons")

/* Events and history. */
CFG_KEY(event_log, STR, "", 0, 0, "path?")
CFG_KEY(event_command, STR, "", 0, 0, NULL)
CFG_KEY(event_command_timeout, DURATION, "10s", 1, 600, NULL)
CFG_KEY(event_history_max, INT, "50", 1, 10000, NULL)
CFG_KEY(event_retention, DURATION, "365d", 86400, 36500LL * 86400, NULL)

/* Store. */
CFG_KEY(store_lock_timeout, DURATION, "10s", 1, 600, NULL)
CFG_KEY(store_cache_size, SIZE, "32M", 1LL << 20, 16LL << 30, NULL)

/* Replication between hosts (off while repl_local is empty). */
CFG_KEY(repl_local, STR, "", 0, 0, "hostport?")
CFG_KEY(repl_peers, LIST, "", 0, 0, "hostport")
CFG_KEY(repl_priority, INT, "100", 0, 1000000, NULL)
CFG_KEY(repl_secret_file, STR, "", 0, 0, "path?")
CFG_KEY(repl_ack_timeout, DURATION, "2s", 1, 60, NULL)
CFG_KEY(repl_request_timeout, DURATION, "10s", 1, 600, NULL)

/* Reporting. */
CFG_KEY(health_warning_rate, PERCENT, "2%", 0, 10000, NULL)
CFG_KEY(health_critical_rate, PERCENT, "5%", 0, 10000, NULL)
CFG_KEY(metrics_max_domains, INT, "50", 0, 100000, NULL)
CFG_KEY(metrics_textfile_dir, STR, "/var/lib/prometheus/node-exporter", 0, 0,
    "path")

/* Adaptive back-off for Postfix (bounceguard follow, the transport table). */
CFG_KEY(backoff_reasons, LIST, "speeding, toomanyconn, blocked, badreputation",
    0, 0, "reasons")
CFG_KEY(backoff_transports, LIST, "bgslow1, bgslow2, bgslow3", 0, 0,
    "services")
CFG_KEY(backoff_threshold, INT, "3", 1, 100000, NULL)
CFG_KEY(backoff_window, DURATION, "10m", 1, 7LL * 86400, NULL)
CFG_KEY(backoff_settle_time, DURATION, "1m", 0, 86400, NULL)
CFG_KEY(backoff_decay_time, DURATION, "30m", 1, 30LL * 86400, NULL)
CFG_KEY(backoff_recover_deliveries, INT, "200", 1, 100000000, NULL)
CFG_KEY(backoff_transport_map, STR, "hash:" BG_STATEDIR "/backoff_transport",
    0, 0, "map?")
CFG_KEY(backoff_postmap, STR, "/usr/sbin/postmap", 0, 0, "path")

/* The milter daemon and its lookup socket. */
CFG_KEY(milter_socket, STR, "unix:/run/bounceguard/milter.sock", 0, 0, "socket")
CFG_KEY(milter_socket_mode, MODE, "0660", 0, 0777, NULL)
CFG_KEY(milter_socket_group, STR, "", 0, 0, "name?")
CFG_KEY(lookup_socket, STR, "unix:/run/bounceguard/lookup.sock", 0, 0, "socket?")
CFG_KEY(lookup_socket_mode, MODE, "0660", 0, 0777, NULL)
CFG_KEY(lookup_socket_group, STR, "", 0, 0, "name?")
CFG_KEY(milter_clients, CIDRS, "127.0.0.0/8, ::1/128", 0, 0, "any")
CFG_KEY(lookup_clients, CIDRS, "127.0.0.0/8, ::1/128", 0, 0, "any")
CFG_KEY(lookup_max_clients, INT, "4096", 16, 1000000, NULL)
CFG_KEY(lookup_max_per_client, INT, "1024", 1, 1000000, NULL)
CFG_KEY(lookup_idle_timeout, DURATION, "10s", 1, 3600, NULL)
CFG_KEY(pid_file, STR, "/run/bounceguard/milter.pid", 0, 0, "path?")
CFG_KEY(on_store_error, ENUM, "accept", 0, 0, "accept|tempfail")
CFG_KEY(reject_reply, STR,
    "550 5.1.1 <%a>: recipient suppressed by bounceguard (%r since %d)",
    0, 0, NULL)
CFG_KEY(original_sender_header, STR, "X-Bounceguard-Sender", 0, 0, "header?")

/* Which mail is outbound (any of these). */
CFG_KEY(outbound_authenticated, BOOL, "yes", 0, 0, NULL)
CFG_KEY(outbound_networks, CIDRS, "127.0.0.0/8, ::1/128", 0, 0, NULL)
CFG_KEY(outbound_sender_domains, LIST, "", 0, 0, NULL)
CFG_KEY(outbound_daemons, LIST, "", 0, 0, NULL)
CFG_KEY(outbound_local_submission, BOOL, "yes", 0, 0, NULL)
