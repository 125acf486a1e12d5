# tap.sh - TAP helpers for the shell tests (sourced): pass, fail, is, like,
# unlike and skip count in $n and $failed; the test ends with
# 'echo "1..$n"' and exits with $failed as its status.
n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1"
		printf '%s\n' "got:" "$2" "want:" "$3" | sed 's/^/# /'
	fi
}
# like DESCRIPTION TEXT EXTENDED_REGEX
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1"; else
		fail "$1"
		printf '%s\n' "got:" "$2" "want match:" "$3" | sed 's/^/# /'
	fi
}
# unlike DESCRIPTION TEXT EXTENDED_REGEX
unlike() {
	if ! printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1"; else
		fail "$1"
		printf '%s\n' "got:" "$2" "want no match:" "$3" | sed 's/^/# /'
	fi
}
skip() { n=$((n + 1)); echo "ok $n # skip $1"; }
