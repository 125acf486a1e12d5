#!/bin/sh
# deps.sh - install bounceguard's build and test dependencies.
#
# deps.sh [--if-missing] [--test | --demo]
#   Installs the Debian packages needed to build (and, with --test, to run
#   the whole test suite and to build and test the Debian package with
#   "make deb" and "make check-deb"; with --demo, to run "make demo") when
#   running as root; otherwise prints the exact apt-get command. With
#   --if-missing it does nothing when all are there.

build_pkgs="autoconf automake pkg-config make gcc libmilter-dev libgmime-3.0-dev libdb-dev db-util libpcre2-dev"
test_pkgs="perl postfix miltertest swaks mandoc libmariadb3 libidn12 libspf2-2 clang libclang-rt-14-dev time procps iproute2 chromium prometheus dpkg-dev debhelper lintian adduser"
demo_pkgs="postfix swaks iproute2"

if_missing=0
pkgs=$build_pkgs
for arg in "$@"; do
    case $arg in
    --if-missing) if_missing=1 ;;
    --test) pkgs="$build_pkgs $test_pkgs" ;;
    --demo) pkgs="$build_pkgs $demo_pkgs" ;;
    *) echo "deps.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)
    case $st in
    ii*) ;;
    *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && { [ $if_missing = 1 ] || echo "deps: all packages present"; exit 0; }

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run as root: apt-get update && $cmd" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
case $missing in
*postfix*)
    echo "postfix postfix/main_mailer_type select No configuration" |
        debconf-set-selections ;;
esac
apt-get update -qq && $cmd
