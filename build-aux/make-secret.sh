#!/bin/sh
# make-secret.sh - create the VERP signing secret file unless it exists.
#
# make-secret.sh FILE [GROUP]
#   Writes one line of 32 random bytes in hex, mode 0640. When GROUP
#   exists the file is given to it, so that the programs running as the
#   configured user (whose group it is) can read it; otherwise it stays
#   root's and the line printed says what to run. An existing file is
#   never touched: rotating keys is the administrator's decision.
f=$1
group=${2:-}
[ -n "$f" ] || { echo "usage: make-secret.sh FILE [GROUP]" >&2; exit 2; }
if [ -e "$f" ]; then
    echo "make-secret: $f exists, left unchanged"
    exit 0
fi
umask 027
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$f.tmp" && echo >> "$f.tmp" &&
    mv "$f.tmp" "$f" || exit 1
if [ -n "$group" ] && getent group "$group" >/dev/null 2>&1 &&
    chgrp "$group" "$f" 2>/dev/null; then
    echo "make-secret: created $f (group $group, mode 0640)"
else
    echo "make-secret: created $f (mode 0640); run: chgrp ${group:-bounceguard} $f"
fi
