#!/bin/sh
# tcp-client scripting: --expect/--send in order, --timeout (exit 4),
# EOF before the expected text (exit 6), --recv-bytes.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server login tcp-server 0 --banner 'login: ' --echo
P=$login_PORT

# The dialogue succeeds; what was read is echoed to stdout.
sk 10 /dev/null tcp-client --expect 'login: ' --send 'bob\n' --expect 'bob' \
    127.0.0.1 "$P"
[ "$RC" = 0 ] || fail "login dialogue exited $RC: $(cat "$T/err")"
grep -q '^login: bob' "$T/out" || fail "dialogue printed '$(cat "$T/out")'"

# Text that never comes: exit 4 after about --timeout.
sk 6 /dev/null tcp-client --expect nope --timeout 1 127.0.0.1 "$P"
[ "$RC" = 4 ] || fail "--expect nope --timeout 1 exited $RC, expected 4: \
$(cat "$T/err")"
[ "$(cat "$T/out")" = "login: " ] ||
    fail "--expect timeout: stdout was '$(cat "$T/out")'"

# The server closes before the text: exit 6.
start_server hi tcp-server 0 --banner 'hi\n'
sk 10 /dev/null tcp-client --expect nope --timeout 5 127.0.0.1 "$hi_PORT"
[ "$RC" = 6 ] || fail "--expect nope against a closing server exited $RC, \
expected 6: $(cat "$T/err")"
[ "$(cat "$T/out")" = "hi" ] || fail "exit 6: stdout was '$(cat "$T/out")'"

# Text that does come before the EOF: exit 0.
sk 10 /dev/null tcp-client --expect 'hi\n' 127.0.0.1 "$hi_PORT"
[ "$RC" = 0 ] || fail "--expect 'hi\\n' exited $RC: $(cat "$T/err")"

# --recv-bytes N prints exactly N bytes and stops, although the server
# (banner + echo, our write side kept open) would keep the connection.
sk 10 /dev/null tcp-client --recv-bytes 3 --no-shutdown 127.0.0.1 "$P"
[ "$RC" = 0 ] || fail "--recv-bytes 3 exited $RC: $(cat "$T/err")"
[ "$(wc -c < "$T/out")" -eq 3 ] && [ "$(cat "$T/out")" = "log" ] ||
    fail "--recv-bytes 3 printed '$(cat "$T/out")'"

# --recv-bytes against a --banner server that sends more and closes.
start_server big tcp-server 0 --banner 'abcdefghij'
sk 10 /dev/null tcp-client --recv-bytes 4 127.0.0.1 "$big_PORT"
[ "$RC" = 0 ] || fail "--recv-bytes 4 exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "abcd" ] || fail "--recv-bytes 4 printed '$(cat "$T/out")'"

# --send without --expect: escapes are decoded; the echo is printed after
# the banner.
sk 10 /dev/null tcp-client --send 'x\ty\n' 127.0.0.1 "$P"
[ "$RC" = 0 ] || fail "--send exited $RC: $(cat "$T/err")"
printf 'login: x\ty\n' > "$T/want"
cmp -s "$T/want" "$T/out" || fail "--send printed '$(cat "$T/out")'"
exit 0
