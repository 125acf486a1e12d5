#!/bin/sh
# make-secret.sh - create the VERP signing secret file unless it exists.
#
# make-secret.sh FILE
#   Writes one line of 32 random bytes in hex, mode 0640. An existing file
#   is never touched: rotating keys is the administrator's decision.
f=$1
[ -n "$f" ] || { echo "usage: make-secret.sh FILE" >&2; exit 2; }
if [ -e "$f" ]; then
    echo "make-secret: $f exists, left unchanged"
    exit 0
fi
umask 027
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$f.tmp" && echo >> "$f.tmp" &&
    mv "$f.tmp" "$f" && echo "make-secret: created $f"
