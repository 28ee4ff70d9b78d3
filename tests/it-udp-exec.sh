#!/bin/sh
# udp-server --sh-exec runs the command once per datagram, with the
# datagram on its stdin, and sends its output back to the sender.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server up udp-server 0 --sh-exec 'tr a-z A-Z'

out=$("$SOCKIT" udp-client --expect-replies 1 127.0.0.1 "$up_PORT" \
    --send 'hello, exec' < /dev/null 2> "$T/err1") ||
    fail "udp-client exited $?: $(cat "$T/err1")"
[ "$out" = "HELLO, EXEC" ] || fail "--sh-exec answered '$out'"

# Several datagrams: one child each, one reply each (compared sorted
# here; tests/it-udp-exec-order.sh checks their order).
printf 'alpha\nbravo\ncharlie\ndelta\necho\n' > "$T/in"
"$SOCKIT" udp-client --expect-replies 5 127.0.0.1 "$up_PORT" \
    < "$T/in" > "$T/out" 2> "$T/err" ||
    fail "udp-client exited $?: $(cat "$T/err")"
tr a-z A-Z < "$T/in" | sort > "$T/want"
sort "$T/out" | cmp -s "$T/want" - ||
    fail "--sh-exec replies were '$(cat "$T/out")'"

# The child sees the sender in SOCKIT_PEER and the server in SOCKIT_LOCAL.
start_server env udp-server 0 \
    --sh-exec 'printf "%s %s" "$SOCKIT_PEER" "$SOCKIT_LOCAL"'
out=$("$SOCKIT" udp-client --expect-replies 1 --send x \
    127.0.0.1 "$env_PORT" < /dev/null 2> "$T/err2") ||
    fail "udp-client exited $?: $(cat "$T/err2")"
case $out in
"127.0.0.1:"[0-9]*" 127.0.0.1:$env_PORT") ;;
*) fail "SOCKIT_PEER SOCKIT_LOCAL were '$out'" ;;
esac

# Draining with a program still running: a second signal stops it at
# once (exit 1, "cut"); so does the end of --drain.
for how in second timeout; do
	drain=20
	[ "$how" = timeout ] && drain=1
	start_server d$how udp-server 0 --drain "$drain" \
	    --sh-exec "touch $T/d$how.ran; exec sleep 30"
	eval "pid=\$d${how}_PID port=\$d${how}_PORT"
	"$SOCKIT" udp-client --expect-replies 0 --send x 127.0.0.1 "$port" \
	    < /dev/null || fail "udp-client to the $how server"
	poll_until 10 test -e "$T/d$how.ran" || fail "the program did not run"
	kill -TERM "$pid"
	poll_until 10 grep -q 'draining.*signal again' "$T/d$how.err" ||
	    fail "$how: no draining line: $(cat "$T/d$how.err")"
	[ "$how" = second ] && kill -TERM "$pid"
	wait_exit "$pid" 10
	[ "$RC" = 1 ] || fail "$how: exit $RC: $(cat "$T/d$how.err")"
	grep -q "1 program cut" "$T/d$how.err" ||
	    fail "$how: $(cat "$T/d$how.err")"
done
exit 0
