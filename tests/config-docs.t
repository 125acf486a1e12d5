#!/bin/sh
# config-docs.t - every configuration key is documented, and the manuals
# are clean.
#
# Keys are taken from the CFG_KEY(name, ...) lines of common/conf/config_keys.h.
# Checks, printed as TAP:
#  - each key appears exactly once as "name =" or "#name =" at the start
#    of a line in contrib/bounceguard.conf;
#  - each key has an entry (".It Cm name") in man/bounceguard.conf.5;
#  - no "name =" or "#name =" line of contrib/bounceguard.conf names a
#    key that config_keys.h does not declare;
#  - "mandoc -T lint -W warning" is silent on every man/*.5 and man/*.8
#    (skipped when mandoc is not installed), and so is groff through
#    "man --warnings -l", which keeps every RFC that SEE ALSO cites;
#  - contrib/bounceguard.conf loads with the real parser, and every key
#    shown commented out ("#name = value") shows the built-in default
#    (skipped without a C compiler or the built libraries in $BG_BUILD/lib).
#
# Environment: BG_SRC, the source tree (default: the parent of this
# script's directory); BG_BUILD, the build directory (default
# $BG_SRC/build).

src=${BG_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
build=${BG_BUILD:-$src/build}
keys_h=$src/common/conf/config_keys.h
conf=$src/contrib/bounceguard.conf
man5=$src/man/bounceguard.conf.5

n=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/config-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
trap 'exit 1' 1 2 15

# ok COND_STATUS DESCRIPTION - one TAP line from an exit status
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# skip DESCRIPTION REASON - one skipped test
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# diag FILE - show a file's lines as TAP diagnostics
diag() {
	sed 's/^/# /' "$1"
}

sed -n 's/^[ 	]*CFG_KEY(\([A-Za-z0-9_]*\),.*/\1/p' "$keys_h" \
    >"$tmp/keys" 2>/dev/null
nkeys=$(wc -l <"$tmp/keys")
[ "$nkeys" -gt 0 ]
ok $? "config_keys.h declares keys ($nkeys found)"

# The "name =" and "#name =" lines of the default file, by name.
sed -n 's/^#\{0,1\}\([a-z][a-z0-9_]*\)[ 	]*=.*/\1/p' "$conf" \
    >"$tmp/conf-keys" 2>/dev/null

while read -r key; do
	c=$(grep -cx "$key" "$tmp/conf-keys")
	[ "$c" -eq 1 ]
	ok $? "$key in contrib/bounceguard.conf$([ "$c" -eq 1 ] ||
	    echo " (found $c times, expected once)")"
done <"$tmp/keys"

while read -r key; do
	grep -Eq "^\\.It (Cm|Ic|Va) $key( |\$)" "$man5" 2>/dev/null
	ok $? "$key in man/bounceguard.conf.5"
done <"$tmp/keys"

: >"$tmp/unknown"
while read -r key; do
	grep -qx "$key" "$tmp/keys" || echo "$key" >>"$tmp/unknown"
done <"$tmp/conf-keys"
[ -s "$conf" ] && [ ! -s "$tmp/unknown" ]
ok $? "contrib/bounceguard.conf names only declared keys"
[ -s "$tmp/unknown" ] && diag "$tmp/unknown"

# The manual pages.
have_mandoc=false
command -v mandoc >/dev/null 2>&1 && have_mandoc=true
for page in "$src"/man/*.5 "$src"/man/*.8; do
	[ -f "$page" ] || continue
	name=man/${page##*/}
	if ! $have_mandoc; then
		skip "mandoc lint $name" "mandoc not installed"
		continue
	fi
	mandoc -T lint -W warning "$page" >"$tmp/lint" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$tmp/lint" ]
	ok $? "mandoc lint $name"
	[ -s "$tmp/lint" ] && diag "$tmp/lint"
done

# The same pages as "man -l" shows them, with groff, which reports what
# mandoc does not (a multi-word .%T in a reference block, for one), and
# with every RFC the SEE ALSO section cites still there.
have_groff=false
command -v groff >/dev/null 2>&1 && command -v man >/dev/null 2>&1 &&
    have_groff=true
for page in "$src"/man/*.5 "$src"/man/*.8; do
	[ -f "$page" ] || continue
	name=man/${page##*/}
	if ! $have_groff; then
		skip "groff renders $name without a diagnostic" "groff or man not installed"
		continue
	fi
	MANWIDTH=80 man --warnings -l "$page" >"$tmp/page" 2>"$tmp/groff"
	rc=$?
	cited=$(sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$page" |
	    sed -n 's/^\.%R RFC \([0-9]*\).*/\1/p')
	missing=
	for rfc in $cited; do
		tr -s ' \n' '  ' <"$tmp/page" | grep -q "RFC $rfc" ||
		    missing="$missing $rfc"
	done
	[ "$rc" -eq 0 ] && [ ! -s "$tmp/groff" ] && [ -z "$missing" ]
	ok $? "groff renders $name without a diagnostic"
	[ -s "$tmp/groff" ] && diag "$tmp/groff"
	[ -n "$missing" ] && echo "#   SEE ALSO lost:$missing"
done

# The default file through the real parser.
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
	skip "contrib/bounceguard.conf loads" "no C compiler"
	skip "commented-out values are the defaults" "no C compiler"
elif [ ! -f "$build/lib/libconf.a" ]; then
	skip "contrib/bounceguard.conf loads" "$build/lib/libconf.a not built"
	skip "commented-out values are the defaults" "$build/lib/libconf.a not built"
else
	# libconf and the libraries below it (the Makefile's LIB_ORDER)
	inc="-I$src/common/base -I$src/common/mail -I$src/common/conf"
	libs="$build/lib/libconf.a $build/lib/libmail.a $build/lib/libbase.a"
	cat >"$tmp/load.c" <<'EOF'
/* load FILE [--defaults]: load FILE; with --defaults, also report every
 * key whose value differs from the built-in default. */
#include <stdio.h>
#include <string.h>

#include "libbase.h"
#include "libconf.h"

int
main(int argc, char **argv)
{
	struct buf err = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct config *cfg, *def;
	int	 rc = 0;

	if (argc < 2 || (cfg = config_load(argv[1], &err)) == NULL) {
		fputs(argc < 2 ? "usage: load FILE\n" : buf_cstr(&err), stdout);
		buf_free(&err);
		return 1;
	}
	if (argc > 2) {
		def = config_default();
		for (size_t i = 0; i < config_key_count(); i++) {
			const char *key = config_key_name(i);

			buf_reset(&a);
			buf_reset(&b);
			config_format_value(cfg, key, &a);
			config_format_value(def, key, &b);
			if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0) {
				printf("%s: shown as \"%s\", default \"%s\"\n",
				    key, buf_cstr(&a), buf_cstr(&b));
				rc = 1;
			}
		}
		config_free(def);
	}
	config_free(cfg);
	buf_free(&err);
	buf_free(&a);
	buf_free(&b);
	return rc;
}
EOF
	# A library built with SANITIZE=1 needs the sanitizers' run time.
	if ! "$cc" -std=gnu11 -D_GNU_SOURCE $inc -o "$tmp/load" \
	    "$tmp/load.c" $libs >"$tmp/cc" 2>&1 &&
	    ! "$cc" -std=gnu11 -D_GNU_SOURCE -fsanitize=address,undefined \
	    $inc -o "$tmp/load" "$tmp/load.c" $libs \
	    >>"$tmp/cc" 2>&1; then
		ok 1 "the configuration loader compiles"
		diag "$tmp/cc"
	else
		"$tmp/load" "$conf" >"$tmp/out" 2>&1
		ok $? "contrib/bounceguard.conf loads"
		diag "$tmp/out"

		# Keep only the commented-out keys (and their "#<TAB>"
		# continuation lines), uncommented; drop the keys a site sets,
		# and the paths under the directories chosen at build time
		# (PREFIX, SYSCONFDIR, STATEDIR), which the file shows with
		# the Makefile's defaults.
		awk '
		/^[a-z]/ { skip = 1; next }
		/^[ \t]/ { if (skip) next }
		/^#[a-z][a-z0-9_]*[ \t]*=[ \t]*\/(usr\/local|etc\/bounceguard|var\/lib\/bounceguard)(\/|[ \t]*$)/ {
			skip = 1; next
		}
		/^#[a-z][a-z0-9_]*[ \t]*=/ { skip = 0; print substr($0, 2); next }
		/^#\t/ { if (!skip) print substr($0, 2) }
		' "$conf" >"$tmp/defaults.conf"
		"$tmp/load" "$tmp/defaults.conf" --defaults >"$tmp/out" 2>&1
		ok $? "commented-out values are the defaults"
		diag "$tmp/out"
	fi
fi

echo "1..$n"
[ "$failed" -eq 0 ]
