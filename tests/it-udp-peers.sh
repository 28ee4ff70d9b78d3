#!/bin/sh
# udp-server serves several senders at once: two udp-clients running
# concurrently each get exactly their own replies, none of the other's.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server echo udp-server 0 -v

for c in a b; do
	i=0
	while [ "$i" -lt 500 ]; do
		i=$((i + 1))
		echo "client-$c message $i"
	done > "$T/$c.in"
done

"$SOCKIT" udp-client --expect-replies 500 127.0.0.1 "$echo_PORT" \
    < "$T/a.in" > "$T/a.out" 2> "$T/a.err" &
apid=$!
"$SOCKIT" udp-client --expect-replies 500 127.0.0.1 "$echo_PORT" \
    < "$T/b.in" > "$T/b.out" 2> "$T/b.err" &
bpid=$!
PIDS="$PIDS $apid $bpid"
wait_exit "$apid" 30
[ "$RC" = 0 ] || fail "client a exited $RC: $(cat "$T/a.err")"
wait_exit "$bpid" 30
[ "$RC" = 0 ] || fail "client b exited $RC: $(cat "$T/b.err")"

for c in a b; do
	if grep -qv "^client-$c " "$T/$c.out"; then
		fail "client $c got another peer's replies: \
$(grep -v "^client-$c " "$T/$c.out" | head -n 3)"
	fi
	sort "$T/$c.in" > "$T/$c.in.s"
	sort "$T/$c.out" > "$T/$c.out.s"
	cmp -s "$T/$c.in.s" "$T/$c.out.s" ||
	    fail "client $c: $(wc -l < "$T/$c.out") replies, not its 500"
done

# The server saw two distinct peers.
n=$(grep -c '^accepted 127\.0\.0\.1:' "$T/echo.err")
[ "$n" = 2 ] || fail "server logged $n peers, expected 2: $(cat "$T/echo.err")"
exit 0
