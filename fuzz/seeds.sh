#!/bin/sh
# seeds.sh - write the seed corpus of one fuzz target from the project's
# own files (fixtures, rules, the sample configuration), so that no copy
# of them is kept under fuzz/.
#
# seeds.sh TARGET DIR
#   TARGET is bounce, verp, config, rules or lookup; DIR is created and
#   filled with one input per file. Run from the top of the source tree.
set -eu
target=$1 dir=$2
mkdir -p "$dir"
n=0

# seed FILE... - copy files as seeds
seed() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$dir/seed-$n"
	done
}

# seed_text TEXT - one seed from text (printf escapes allowed)
seed_text() {
	n=$((n + 1))
	printf "$1" > "$dir/seed-$n"
}

case $target in
bounce)
	seed tests/fixtures/*.eml tests/fixtures/*.mbox \
	    tests/fixtures/maildir/cur/* tests/fixtures/maildir/new/*
	;;
verp)
	for a in $(cat tests/fixtures/*.eml | grep -o \
	    '[A-Za-z0-9._%+=-]*@[A-Za-z0-9.-]*[A-Za-z]' | sort -u); do
		seed_text "$a"
	done
	seed_text 'b-abcdefgh-aaaa-jane=example.org@bounces.example.com'
	seed_text '<B-ABCDEFGH-AAAA-Jane=Example.ORG@Bounces.Example.COM>'
	seed_text 'b-abcdefgh-aaaa.mjzgs3tfmvzgk3bomfwxa3dffzxxezy@bounces.example.com'
	seed_text 'b-abcdefgh-aaaa_abcdefghijkl@bounces.example.com'
	seed_text '"jane doe"@example.org'
	seed_text 'jane.doe+list@sub.example.co.uk'
	;;
config)
	seed contrib/bounceguard.conf
	# each documented key, uncommented, on its own
	sed -n 's/^#\([a-z_][a-z_]* = .*\)/\1/p' contrib/bounceguard.conf |
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" > "$dir/seed-$n"
	done
	seed_text 'verp_domain = bounces.example.com\nlocal_hostnames = a.example.com,\n  b.example.com\nsoft_bounce_window = 30d\n'
	;;
rules)
	seed rules/*.rules
	for f in rules/*.rules; do
		n=$((n + 1))
		{ cat "$f"; printf '\000550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown in local recipient table'; } > "$dir/seed-$n"
	done
	;;
lookup)
	seed_text 'check jane@example.org\n'
	seed_text 'check bob@example.org news.example.com\r\n'
	seed_text 'verp Jane@Example.ORG\nverp x\ncheck\n'
	seed_text 'CHECK nobody@example.net\nhello\n\n'
	seed_text '27:suppressed jane@example.org,'
	seed_text '26:suppressed bob@example.org,15:verp a@example.com,'
	seed_text '20:suppressed example.org,'
	seed_text '5:abcde,3:x y,'
	seed_text 'verp "a b"@example.org\n'
	;;
*)
	echo "seeds.sh: unknown target: $target" >&2
	exit 2
	;;
esac
