#!/bin/sh
# --busy-poll USEC|auto on every server: echo stays exact (fixed, auto
# and off), a busy-polling
# --discard (which lets the kernel drop TCP bytes) still counts every
# byte, --stdio delivers every byte, a framed --discard still enforces
# --max-frame, udp-server and unix-server serve as usual, and bad values
# are usage errors.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

head -c 1048576 /dev/urandom > "$T/1m"
want=$(sha256sum < "$T/1m")

# Echo: 1 MiB of random bytes come back unchanged, with a fixed spin,
# the adaptive one (the default) and none.
for mode in 50 auto 0; do
	start_server echo tcp-server --busy-poll "$mode" 0
	got=$("$SOCKIT" tcp-client 127.0.0.1 "$echo_PORT" < "$T/1m" |
	    sha256sum) || fail "tcp-client against --busy-poll $mode exited $?"
	[ "$got" = "$want" ] || fail "--busy-poll $mode echo changed the data"
done

# --discard: 8 MiB dropped (in the kernel when the loop may spin, copied
# with --busy-poll 0), and the close line counts all of them.
counted() {
	grep -q 'closed .*in=8388608 ' "$T/sink.err"
}
for mode in 50 auto 0; do
	start_server sink tcp-server --discard --busy-poll "$mode" -v 0
	head -c 8388608 /dev/zero |
	    "$SOCKIT" tcp-client 127.0.0.1 "$sink_PORT" > /dev/null ||
	    fail "tcp-client into --discard --busy-poll $mode exited $?"
	poll_until 5 counted || fail "--discard --busy-poll $mode did not" \
	    "count 8388608 bytes: $(cat "$T/sink.err")"
	kill "$sink_PID"
done

# --stdio: what the peer sends reaches stdout whole (whole-buffer reads
# when busy polling).
start_server stdio tcp-server --stdio --busy-poll 50 0 > "$T/stdio.out" \
    < /dev/null
"$SOCKIT" tcp-client 127.0.0.1 "$stdio_PORT" < "$T/1m" > /dev/null ||
    fail "tcp-client into --stdio --busy-poll exited $?"
wait_exit "$stdio_PID" 10
[ "$RC" = 0 ] || fail "--stdio --busy-poll exited $RC: $(cat "$T/stdio.err")"
[ "$(sha256sum < "$T/stdio.out")" = "$want" ] ||
    fail "--stdio --busy-poll wrote other bytes than were sent"

# A framed --discard still decodes: a header over --max-frame is a
# frame error, and the server goes on.
start_server framed tcp-server --discard --busy-poll 50 --frame len32 \
    --max-frame 16 0
printf '\000\000\001\000oversize' |
    "$SOCKIT" tcp-client 127.0.0.1 "$framed_PORT" > /dev/null 2>&1
frame_error() {
	grep -q 'frame error' "$T/framed.err"
}
poll_until 5 frame_error ||
    fail "no frame error with --discard --busy-poll: $(cat "$T/framed.err")"
kill -0 "$framed_PID" 2>/dev/null || fail "server died after a frame error"

# udp-server.
start_server udp udp-server --busy-poll 50 0
out=$(printf 'one\ntwo\n' |
    "$SOCKIT" udp-client --expect-replies 2 127.0.0.1 "$udp_PORT") ||
    fail "udp-client against --busy-poll exited $?"
[ "$out" = "one
two" ] || fail "udp --busy-poll returned '$out'"

# unix-server --discard: Unix stream sockets copy (the kernel does not
# drop there), and every byte is still counted.
start_unix u "$T/u" --discard --busy-poll 50 -v
"$SOCKIT" unix-client "$T/u" < "$T/1m" > /dev/null ||
    fail "unix-client into --discard --busy-poll exited $?"
unix_counted() {
	grep -q 'closed .*in=1048576 ' "$T/u.err"
}
poll_until 5 unix_counted ||
    fail "unix --discard --busy-poll did not count 1048576 bytes: $(cat "$T/u.err")"

# Usage errors: exit 2 with one line.
for bad in x -1 1000001 autox AUTO ''; do
	"$SOCKIT" tcp-server --busy-poll "$bad" 0 2> "$T/bad.err"
	rc=$?
	[ "$rc" = 2 ] || fail "--busy-poll $bad exited $rc, expected 2"
	[ "$(wc -l < "$T/bad.err")" -eq 1 ] ||
	    fail "--busy-poll $bad: $(cat "$T/bad.err")"
done
exit 0
