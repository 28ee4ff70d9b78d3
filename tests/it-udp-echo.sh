#!/bin/sh
# udp-server --echo answers every datagram of a 1000-message burst from
# udp-client, in order, and a burst of mixed sizes datagram for datagram;
# --upper upper-cases; --expect-replies N exits 6 when fewer replies
# arrive.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server echo udp-server 0

# 1000 datagrams out, 1000 replies back, each on its own line.
seq 1 1000 > "$T/in"
"$SOCKIT" udp-client --expect-replies 1000 127.0.0.1 "$echo_PORT" \
    < "$T/in" > "$T/out" 2> "$T/err" ||
    fail "udp-client exited $?: $(cat "$T/err")"
n=$(wc -l < "$T/out")
[ "$n" -eq 1000 ] || fail "got $n reply lines, expected 1000"
cmp -s "$T/in" "$T/out" || fail "replies differ from the messages sent"
grep -q "^listening on 127.0.0.1:$echo_PORT (udp)\$" "$T/echo.err" ||
    fail "no listening line: $(cat "$T/echo.err")"

# A burst of datagrams of mixed sizes from one socket: the server sends
# runs of equal-sized replies to one peer as one UDP GSO send, and each
# must still come back as its own datagram, whole and in order.
python3 - "$echo_PORT" <<'PY' || fail "mixed-size burst not echoed exactly"
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.settimeout(5)
sizes = [64] * 20 + [10] + [64] * 5 + [100, 100, 50, 1, 0, 0] + \
    [3000] * 3 + [20000] * 4 + [1]
msgs = [bytes([65 + i % 26]) * n for i, n in enumerate(sizes)]
for m in msgs:
    s.sendto(m, ("127.0.0.1", port))
got = [s.recvfrom(65536)[0] for _ in msgs]
if got != msgs:
    sys.stderr.write("sent %s\ngot  %s\n" % (sizes, [len(g) for g in got]))
    sys.exit(1)
PY

# The HOST:PORT form and --send.
out=$("$SOCKIT" udp-client --expect-replies 1 --send 'hi there' \
    "127.0.0.1:$echo_PORT" < /dev/null) || fail "--send exited $?"
[ "$out" = "hi there" ] || fail "--send echo returned '$out'"

start_server up udp-server --upper 0
out=$(printf 'hello, World\nabc-xyz 123\n' |
    "$SOCKIT" udp-client --expect-replies 2 127.0.0.1 "$up_PORT") ||
    fail "udp-client against --upper exited $?"
[ "$out" = "HELLO, WORLD
ABC-XYZ 123" ] || fail "--upper returned '$out'"

# The server answers 3 messages; 5 replies are expected: exit 6, and the
# 3 replies that came are still printed.
printf 'a\nb\nc\n' > "$T/in3"
"$SOCKIT" udp-client --expect-replies 5 --reply-timeout 0.5 \
    127.0.0.1 "$echo_PORT" < "$T/in3" > "$T/out3" 2> "$T/err3"
rc=$?
[ "$rc" = 6 ] || fail "--expect-replies 5 with 3 replies exited $rc, \
expected 6: $(cat "$T/err3")"
cmp -s "$T/in3" "$T/out3" || fail "the 3 replies were '$(cat "$T/out3")'"
grep -q 'expect-replies 5: got 3' "$T/err3" ||
    fail "no shortfall message: $(cat "$T/err3")"
exit 0
