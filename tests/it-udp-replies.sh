#!/bin/sh
# udp-client expects one reply per datagram by default, or N with
# --expect-replies N: it exits 0 as soon as they are in, without
# waiting out --reply-timeout, and 6 (expectation not met) when fewer
# came before --reply-timeout ran out.  --expect-replies 0 does not
# wait at all.  unix-client --dgram does the same.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server echo udp-server 0
start_server sink udp-server 0 --discard

# run SECS NAME ARGS...: runs "$SOCKIT" ARGS (stdin $T/in) in the
# background, at most SECS seconds; sets RC.  Output in $T/NAME.out/.err.
run() {
	secs=$1 name=$2
	shift 2
	"$SOCKIT" "$@" < "$T/in" > "$T/$name.out" 2> "$T/$name.err" &
	rpid=$!
	PIDS="$PIDS $rpid"
	wait_exit "$rpid" "$secs"
}

printf 'one\ntwo\nthree\n' > "$T/in"

# 1. Every datagram answered: exit 0 at once.  --reply-timeout 30 would
#    take 30 s if it were waited out; 10 s is the bound.
run 10 all udp-client --reply-timeout 30 127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "all answered exited $RC: $(cat "$T/all.err")"
cmp -s "$T/in" "$T/all.out" || fail "replies were '$(cat "$T/all.out")'"

# The same with --send texts, and with --expect-replies N.
run 10 send udp-client --reply-timeout 30 --send a --send b \
    127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "--send a --send b exited $RC: $(cat "$T/send.err")"
[ "$(cat "$T/send.out")" = "a
b" ] || fail "--send replies were '$(cat "$T/send.out")'"
run 10 n udp-client --reply-timeout 30 --expect-replies 2 \
    127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "--expect-replies 2 exited $RC: $(cat "$T/n.err")"

# 2. Nobody answers: by default that is exit 6, as with --expect-replies,
#    and the message says how many were answered.
run 10 none udp-client --reply-timeout 0.3 127.0.0.1 "$sink_PORT"
[ "$RC" = 6 ] || fail "no replies exited $RC, expected 6: \
$(cat "$T/none.err")"
grep -q '0 of 3 datagrams answered' "$T/none.err" ||
    fail "no shortfall message: $(cat "$T/none.err")"
run 10 none2 udp-client --reply-timeout 0.3 --expect-replies 2 \
    127.0.0.1 "$sink_PORT"
[ "$RC" = 6 ] || fail "--expect-replies 2, no replies exited $RC, \
expected 6: $(cat "$T/none2.err")"

# 3. --expect-replies 0: fire and forget, no waiting.
run 10 ff udp-client --reply-timeout 30 --expect-replies 0 \
    127.0.0.1 "$sink_PORT"
[ "$RC" = 0 ] || fail "--expect-replies 0 exited $RC: $(cat "$T/ff.err")"

# 4. unix-client --dgram: the same rules.
"$SOCKIT" unix-server --dgram "$T/d" 2> "$T/d.err" &
PIDS="$PIDS $!"
"$SOCKIT" unix-server --dgram --discard "$T/dd" 2> "$T/dd.err" &
PIDS="$PIDS $!"
poll_until 10 test -S "$T/d" -a -S "$T/dd" ||
    fail "unix-server --dgram did not start: $(cat "$T/d.err" "$T/dd.err")"
run 10 unix unix-client --dgram --reply-timeout 30 "$T/d"
[ "$RC" = 0 ] || fail "unix-client --dgram exited $RC: $(cat "$T/unix.err")"
cmp -s "$T/in" "$T/unix.out" ||
    fail "unix-client --dgram replies were '$(cat "$T/unix.out")'"
run 10 unone unix-client --dgram --reply-timeout 0.3 "$T/dd"
[ "$RC" = 6 ] || fail "unix-client --dgram without replies exited $RC, \
expected 6: $(cat "$T/unone.err")"
exit 0
