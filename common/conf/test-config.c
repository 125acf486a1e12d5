/*++
 * NAME
 *	test-config 1
 * SUMMARY
 *	unit tests for the configuration file parser
 * DESCRIPTION
 *	Table-driven: each case is a file's text and the error line it
 *	must produce (or NULL when it must load). Every error message the
 *	parser can give is covered here.
 *--*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "libbase.h"
#include "tap.h"

static char tmpdir[] = "/tmp/bg-test-config-XXXXXX";

/* write_file - a config file with the given text */
static char *
write_file(const char *name, const char *text, size_t len)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*fp = fopen(path, "w");

	if (fp == NULL || fwrite(text, 1, len, fp) != len || fclose(fp) != 0)
		fatal("write %s", path);
	return path;
}

struct error_case {
	const char *text;
	const char *want;	/* substring of the error, after the path */
};

static const struct error_case error_cases[] = {
	{ "bogus = 1\n", ":1: unknown key \"bogus\"" },
	{ "soft_bounce_limit = abc\n",
	  ":1: soft_bounce_limit: bad value \"abc\": expected an integer" },
	{ "soft_bounce_limit = 0\n",
	  ":1: soft_bounce_limit: value \"0\" out of range (1 to 64)" },
	{ "soft_bounce_limit = 99999999999999999999\n",
	  ":1: soft_bounce_limit: bad value" },
	{ "verp_max_age = 10x\n",
	  ":1: verp_max_age: bad value \"10x\": expected a duration" },
	{ "verp_max_age = 1h\n", ":1: verp_max_age: value \"1h\" out of range "
	  "(86400 to 315360000 seconds)" },
	{ "max_message_size = 1T\n",
	  ":1: max_message_size: bad value \"1T\": expected a size" },
	{ "max_message_size = 1k\n",
	  ":1: max_message_size: value \"1k\" out of range" },
	{ "mode = loud\n",
	  ":1: mode: bad value \"loud\": expected one of enforce|monitor" },
	{ "outbound_authenticated = maybe\n",
	  ":1: outbound_authenticated: bad value \"maybe\": expected yes or no" },
	{ "outbound_networks = 10.0.0.0/33\n",
	  ":1: outbound_networks: bad network address \"10.0.0.0/33\"" },
	{ "outbound_networks = 10.0.0.0/8, example.org\n",
	  ":1: outbound_networks: bad network address \"example.org\"" },
	{ "hard_reasons = userunknown, nosuch\n",
	  ":1: hard_reasons: unknown reason \"nosuch\"" },
	{ "store_dir = relative/path\n", ":1: store_dir: bad value "
	  "\"relative/path\": expected an absolute path" },
	{ "store_dir =\n", ":1: store_dir: bad value \"\": expected an absolute path" },
	{ "verp_prefix = B-X\n", ":1: verp_prefix: bad value \"B-X\": "
	  "expected 1 to 16 lower-case letters and digits" },
	{ "milter_socket = /tmp/x\n", ":1: milter_socket: bad value "
	  "\"/tmp/x\": expected unix:/PATH or inet:PORT@ADDRESS" },
	{ "backoff_transport_map = dbm:/var/lib/x\n", ":1: "
	  "backoff_transport_map: bad value \"dbm:/var/lib/x\": expected "
	  "TYPE:/PATH with TYPE hash, btree, lmdb or cdb" },
	{ "backoff_transport_map = hash:relative\n", ":1: "
	  "backoff_transport_map: bad value \"hash:relative\": expected "
	  "TYPE:/PATH with TYPE hash, btree, lmdb or cdb" },
	{ "verp_domain = bad domain\n",
	  ":1: verp_domain: bad value \"bad domain\": expected a domain name" },
	{ "original_sender_header = X Bad\n", ":1: original_sender_header: "
	  "bad value \"X Bad\": expected a header field name" },
	{ "user = a:b\n",
	  ":1: user: bad value \"a:b\": expected a user or group name" },
	{ "milter_socket_mode = 0999\n", ":1: milter_socket_mode: bad value "
	  "\"0999\": expected an octal file mode" },
	{ "milter_socket_mode = 01777\n",
	  ":1: milter_socket_mode: value \"01777\" out of range" },
	{ "health_warning_rate = 1.234%\n", ":1: health_warning_rate: bad "
	  "value \"1.234%\": expected a percentage" },
	{ "health_warning_rate = 10%\nhealth_critical_rate = 5%\n",
	  ": health_warning_rate (10.00%) exceeds health_critical_rate (5.00%)" },
	{ "just words\n", ":1: missing '=' after \"just words\"" },
	{ "block_reasons = blocked, userunknown\n",
	  ":1: reason \"userunknown\" is in both hard_reasons and block_reasons" },
	{ "hard_reasons = userunknown, vacation\n", ":1: hard_reasons: "
	  "\"vacation\" is not a bounce reason; it has a fixed policy" },
	{ "# comment\n  indented = 1\n",
	  ":2: continuation line without a key before it" },
	{ "mode = enforce\n\nmode = monitor\n", ":3: mode: already set at line 1" },
	{ "mode = enforce\n# note\nverp_max_age = 3\n  0d\nbogus = 2\n",
	  ":5: unknown key \"bogus\"" },
};

/* test_error_cases - every error message, with file and line */
static void
test_error_cases(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct buf err = BUF_INIT;
		char	*path = write_file("bad.conf", c->text, strlen(c->text));
		struct config *cfg = config_load(path, &err);
		const char *got = buf_cstr(&err);

		ok(cfg == NULL && strncmp(got, path, strlen(path)) == 0 &&
		    strstr(got, c->want) != NULL, "error: %s", c->want);
		if (cfg != NULL || strstr(got, c->want) == NULL)
			diag("got: %s", got);
		config_free(cfg);
		buf_free(&err);
		free(path);
	}
}

/* test_nul_and_missing - binary junk and a missing file */
static void
test_nul_and_missing(void)
{
	struct buf err = BUF_INIT;
	char	*path = write_file("nul.conf", "mode = en\0force\n", 16);

	ok(config_load(path, &err) == NULL &&
	    strstr(buf_cstr(&err), ":1: NUL byte in line"), "NUL byte refused");
	free(path);
	buf_reset(&err);
	path = xasprintf("%s/none.conf", tmpdir);
	ok(config_load(path, &err) == NULL &&
	    strstr(buf_cstr(&err), "none.conf: cannot open: No such file"),
	    "missing file named");
	free(path);
	buf_free(&err);
}

/* test_all_errors_reported - several problems give several lines */
static void
test_all_errors_reported(void)
{
	static const char text[] = "bogus = 1\nmode = x\nsoft_bounce_limit = 0\n";
	struct buf err = BUF_INIT;
	char	*path = write_file("multi.conf", text, sizeof(text) - 1);
	int	 lines = 0;

	ok(config_load(path, &err) == NULL, "three errors: refused");
	for (const char *p = buf_cstr(&err); *p; p++)
		lines += *p == '\n';
	is_int(lines, 3, "three errors: three lines");
	free(path);
	buf_free(&err);
}

/* test_values - a valid file with continuation lines and comments */
static void
test_values(void)
{
	static const char text[] =
	    "# bounceguard test\n"
	    "verp_domain = bounces.example.com\n"
	    "local_hostnames = mx1.example.com,\n"
	    "    mx2.example.com  mx3.example.com\n"
	    "   # a comment inside a continued value is skipped\n"
	    "\tmx4.example.com\n"
	    "soft_bounce_window = 2w\n"
	    "max_message_size = 512k\n"
	    "mode = monitor\n"
	    "outbound_authenticated = no\n"
	    "milter_socket_mode = 0600\n"
	    "health_critical_rate = 7.5%\n"
	    "reject_reply = 550 5.7.1 <%a>:\n"
	    "\t  suppressed (%r)\n"
	    "outbound_networks = 192.0.2.0/24 2001:db8::/32\n";
	struct buf err = BUF_INIT;
	char	*path = write_file("good.conf", text, sizeof(text) - 1);
	struct config *cfg = config_load(path, &err);

	if (!ok(cfg != NULL, "valid file loads"))
		diag("%s", buf_cstr(&err));
	if (cfg == NULL)
		return;
	is_str(cfg->verp_domain, "bounces.example.com", "string value");
	is_int(cfg->local_hostnames.n, 4, "list across continuation lines");
	is_str(cfg->local_hostnames.v[3], "mx4.example.com", "last element");
	is_int(cfg->soft_bounce_window, 14 * 86400, "duration in weeks");
	is_int(cfg->max_message_size, 512 * 1024, "size in kilobytes");
	is_int(cfg->mode, CFG_MODE_MONITOR, "enum value");
	ok(!cfg->outbound_authenticated, "boolean no");
	is_int(cfg->milter_socket_mode, 0600, "octal mode");
	is_int(cfg->health_critical_rate, 750, "percentage with decimals");
	is_int(cfg->soft_bounce_limit, 5, "unset key keeps its default");
	is_str(cfg->reject_reply, "550 5.7.1 <%a>: suppressed (%r)",
	    "a continued text value is joined with one space");
	is_str(cfg->path, path, "the object knows its file");
	config_free(cfg);
	buf_free(&err);
	free(path);
}

/* test_cidr - network matching for outbound_networks */
static void
test_cidr(void)
{
	static const struct {
		const char *addr;
		int	 match;
	} cases[] = {
		{ "192.0.2.77", 1 }, { "192.0.3.1", 0 }, { "127.0.0.1", 1 },
		{ "2001:db8::25", 1 }, { "2001:db9::1", 0 },
		{ "::ffff:192.0.2.1", 1 }, { "::1", 0 },
	};
	struct config *cfg = config_default();
	struct cidrlist l;
	struct cidr c[3];

	ok(cidr_parse("192.0.2.0/24", &c[0]) == 0 &&
	    cidr_parse("2001:db8::/32", &c[1]) == 0 &&
	    cidr_parse("127.0.0.1", &c[2]) == 0, "networks parse");
	l.n = 3;
	l.v = c;
	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
		const struct sockaddr *sa;

		if (inet_pton(AF_INET, cases[i].addr, &sin.sin_addr) == 1)
			sa = (const struct sockaddr *)&sin;
		else {
			inet_pton(AF_INET6, cases[i].addr, &sin6.sin6_addr);
			sa = (const struct sockaddr *)&sin6;
		}
		is_int(cidrlist_match(&l, sa), cases[i].match, "match %s",
		    cases[i].addr);
	}
	config_free(cfg);
}

/* test_defaults_round_trip - each default formats and parses back */
static void
test_defaults_round_trip(void)
{
	struct config *def = config_default();
	struct buf text = BUF_INIT, err = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct config *cfg;
	char	*path;
	int	 same = 1;

	for (size_t i = 0; i < config_key_count(); i++) {
		buf_printf(&text, "%s = ", config_key_name(i));
		config_format_value(def, config_key_name(i), &text);
		buf_addch(&text, '\n');
	}
	path = write_file("all.conf", text.data, text.len);
	cfg = config_load(path, &err);
	ok(cfg != NULL, "a file setting every key to its default loads");
	for (size_t i = 0; cfg && i < config_key_count(); i++) {
		buf_reset(&a);
		buf_reset(&b);
		config_format_value(def, config_key_name(i), &a);
		config_format_value(cfg, config_key_name(i), &b);
		if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0) {
			diag("%s: %s != %s", config_key_name(i), a.data, b.data);
			same = 0;
		}
	}
	ok(same, "every key round-trips through its text form");
	config_free(cfg);
	config_free(def);
	buf_free(&text);
	buf_free(&err);
	buf_free(&a);
	buf_free(&b);
	free(path);
}

int
main(void)
{
	char	*path;

	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	test_error_cases();
	test_nul_and_missing();
	test_all_errors_reported();
	test_values();
	test_cidr();
	test_defaults_round_trip();
	path = xasprintf("rm -rf %s", tmpdir);
	if (system(path) != 0)
		diag("could not remove %s", tmpdir);
	free(path);
	return done_testing();
}
