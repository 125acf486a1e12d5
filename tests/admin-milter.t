#!/bin/sh
# admin-milter.t - what the administrator changes with bounceguard, the
# running milter daemon honours at once: manual suppressions, @domain
# suppressions, scoped ones, expiring ones, imports, and their lifting,
# asked through the daemon's lookup socket (as Exim does).
. "$BG_SRC/tests/lib/milter-env.sh"
BG=$BG_BUILD/bounceguard
[ -x "$BG" ] || skip_all "$BG not built"

write_conf "user = bounceguard"
start_milter
ok $? "the daemon starts"

# ask ADDRESS [SENDER] - the daemon's answer for one recipient
ask() {
	printf 'check %s\n' "$*" | "$LC" -s "$T/run/lookup.sock" 2>/dev/null
}
# admin ARGS - the administrator's tool on the daemon's store
admin() {
	"$BG" -c "$CONF" "$@" >/dev/null 2>&1
}

is() {
	ok "$([ "$2" = "$3" ]; echo $?)" "$1${2:+ (got \"$2\")}"
}

is "nothing suppressed yet" "$(ask jane@example.org)" "ok"
admin suppress Jane@Example.org --reason "left the company"
is "manual suppression honoured at once" "$(ask jane@example.org)" "suppressed left the company"
admin suppress @defunct.example --reason "domain gone"
is "@domain suppression honoured for any address of the domain" "$(ask anyone@defunct.example)" "suppressed domain gone"
is "and not for other domains" "$(ask anyone@live.example)" "ok"
admin suppress bob@example.org --scope news.example.com --reason complained
is "scoped suppression: mail from that sender domain refused" "$(ask bob@example.org editor@news.example.com)" "suppressed complained"
is "scoped suppression: mail from other senders accepted" "$(ask bob@example.org boss@corp.example)" "ok"
printf 'address,reason\nlist1@example.net,unsubscribed\n' > "$T/list.csv"
admin import "$T/list.csv"
is "imported suppression honoured" "$(ask list1@example.net)" "suppressed unsubscribed"
admin unsuppress jane@example.org
is "lifted suppression: accepted again at once" "$(ask jane@example.org)" "ok"
admin unsuppress @defunct.example
is "lifted domain suppression" "$(ask anyone@defunct.example)" "ok"
admin suppress soon@example.org --expires 3s
is "expiring suppression honoured while it lasts" "$(ask soon@example.org)" "suppressed manual"
sleep 4
is "and no longer once it has expired, before expire runs" "$(ask soon@example.org)" "ok"
admin expire
is "after expire too" "$(ask soon@example.org)" "ok"
stop_milter
done_testing
