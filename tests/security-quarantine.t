#!/bin/sh
# security-quarantine.t - anyone on the Internet can send mail to the VERP
# domain, and the pipe keeps every message it cannot use in the
# quarantine. The attack: a flood of junk to random VERP addresses fills
# the file system that holds the store, after which genuine bounces are
# deferred. Now the quarantine has a budget: each message is kept
# truncated to quarantine_message_max, the oldest files go when the total
# passes quarantine_max_size, "bounceguard expire" removes files older
# than quarantine_max_age, and genuine bounces are still recorded.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
ADMIN=$BG_BUILD/bounceguard
write_config "quarantine_max_size = 1M
quarantine_message_max = 64K
user = nobody"
chmod 644 "$T/bounceguard.conf"

# junk I: 100 kB of text to a random, unsigned VERP-domain address
junk() {
	{
		printf 'From: spammer@junk.example\nTo: junk%s@bounces.example.com\n' "$1"
		printf 'Subject: junk %s\n\n' "$1"
		head -c 75000 /dev/urandom | base64
	} > "$T/junk"
	run_pipe "junk$1@bounces.example.com" "J$1" < "$T/junk"
}

# quarantine_bytes - what the quarantine's messages take, in bytes
quarantine_bytes() {
	find "$T/quarantine/new" "$T/quarantine/cur" -type f -printf '%s\n' |
	    awk '{ s += $1 } END { print s + 0 }'
}

codes=
i=1
while [ $i -le 40 ]; do
	junk $i
	codes="$codes$rc"
	[ $i = 1 ] && cp "$T/err" "$T/err.first"
	[ $rc = 0 ] && grep -q 'quarantine pruned=' "$T/err" && cp "$T/err" "$T/err.pruned"
	i=$((i + 1))
done
ok $([ "$codes" = "$(printf '0%.0s' $(seq 1 40))" ]; echo $?) \
    "40 junk messages (4 MB): each kept and acknowledged (exit 0)"
bytes=$(quarantine_bytes)
ok $([ "$bytes" -le $((1024 * 1024)) ]; echo $?) \
    "the quarantine holds $bytes bytes, within quarantine_max_size (1M)"
files=$(ls "$T/quarantine/new" | wc -l)
ok $([ "$files" -ge 10 ] && [ "$files" -le 16 ]; echo $?) \
    "it keeps the newest $files messages of 64K"
check "the newest junk is kept" sh -c "ls '$T/quarantine/new' | grep -q '\.J40_P'"
check "the oldest junk went" sh -c "! ls '$T/quarantine/new' | grep -q '\.J1_P'"
check "pruning is logged with what it removed and kept" \
    grep -q "J[0-9]*: quarantine pruned=[0-9]* bytes=[0-9]* kept=[0-9]* kept_bytes=[0-9]* max_size=1048576" "$T/err.pruned"
f=$(ls "$T"/quarantine/new/*J40_P*)
check "a 100 kB message is kept truncated after a header giving its size" \
    sh -c "head -n 1 '$f' | grep -q '^X-Bounceguard-Truncated: kept 65536 of [0-9]* bytes$'"
ok $([ "$(wc -c < "$f")" -lt 66000 ]; echo $?) "the copy is under 66000 bytes ($(wc -c < "$f"))"

# A genuine bounce after the flood is recorded.
hard_dsn jane@example.org G1 > "$T/msg"
run_pipe "$(verp jane@example.org)" G1 < "$T/msg"
ok $rc "a genuine bounce after the flood: exit 0"
check "and recorded" sh -c "$AS_USER '$TOOL' get '$T/bounceguard.conf' jane@example.org | grep -q '^state=suppressed'"

# Age: a file older than quarantine_max_age (30d) goes at the next expire.
old=$(ls "$T/quarantine/new" | head -1)
touch -d '40 days ago' "$T/quarantine/new/$old"
"$ADMIN" -c "$T/bounceguard.conf" expire > "$T/expire" 2>&1
ok $? "bounceguard expire: exit 0"
check "it removed the old file" sh -c "[ ! -e '$T/quarantine/new/$old' ]"
check "and says so" grep -q "^expire: removed 1 quarantined files ([0-9]* bytes); $((files - 1)) kept ([0-9]* bytes)$" "$T/expire"
check "the usage total it records is exact" \
    sh -c "[ \"\$(cat '$T/quarantine/.usage')\" = \"\$(find '$T/quarantine/new' '$T/quarantine/cur' -type f -printf '%s\n' | awk '{ s += \$1 } END { print s + 0 }')\" ]"

# A link planted in the quarantine is neither followed nor removed.
ln -s /etc/hostname "$T/quarantine/new/0.link"
touch -h -d '40 days ago' "$T/quarantine/new/0.link"
"$ADMIN" -c "$T/bounceguard.conf" expire > /dev/null 2>&1
check "expire leaves a planted link and its target alone" \
    sh -c "[ -L '$T/quarantine/new/0.link' ] && [ -e /etc/hostname ]"
done_testing
