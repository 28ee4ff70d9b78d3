#!/bin/sh
# udp-client --wait-for: while the port answers "unreachable" the client
# sends its first datagram again, and the rest once one got through; a
# client started before its server gets every reply once the server is
# up; against nobody it gives up after SEC (exit 4); a peer that never
# answers counts as up after a moment of silence.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

free_udp_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# 1. A client started before its server.
port=$(free_udp_port) || fail "no free port"
printf 'early\nbird\n' > "$T/in"
"$SOCKIT" udp-client --wait-for 10 --expect-replies 2 127.0.0.1 "$port" \
    < "$T/in" > "$T/wait.out" 2> "$T/wait.err" &
wpid=$!
PIDS="$PIDS $wpid"
# Meanwhile, for about a second, nobody is on $port: --wait-for 1 gives
# up with exit 4 and says so.
"$SOCKIT" udp-client --wait-for 1 --send nobody 127.0.0.1 "$port" \
    < /dev/null > /dev/null 2> "$T/one.err"
rc=$?
[ "$rc" = 4 ] || fail "--wait-for 1 against nobody exited $rc, expected 4: \
$(cat "$T/one.err")"
grep -q 'nobody answered within --wait-for 1 s' "$T/one.err" ||
    fail "unclear --wait-for timeout: $(cat "$T/one.err")"
running "$wpid" || fail "--wait-for 10 gave up early: $(cat "$T/wait.err")"
start_server late udp-server 127.0.0.1 "$port"
wait_exit "$wpid" 15
[ "$RC" = 0 ] || fail "--wait-for 10 exited $RC: $(cat "$T/wait.err")"
cmp -s "$T/in" "$T/wait.out" ||
    fail "--wait-for 10 printed '$(cat "$T/wait.out")'"

# 2. A peer that receives but never answers: silence means it is up,
#    and every message follows, each once.
cat > "$T/mute.py" <<'PY'
import os, socket, sys
portfile, want = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(10)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
got = [s.recv(100) for _ in range(want)]
if got != [b'%d' % i for i in range(1, want + 1)]:
    sys.exit('got %r' % got)
s.settimeout(0.3)
try:
    sys.exit('one more: %r' % s.recv(100))
except socket.timeout:
    pass
PY
python3 "$T/mute.py" "$T/mute.port" 50 > "$T/mute.out" 2>&1 &
mpid=$!
PIDS="$PIDS $mpid"
poll_until 10 test -s "$T/mute.port" || fail "python3 peer did not start"
seq 1 50 | "$SOCKIT" udp-client --wait-for 5 --expect-replies 0 \
    127.0.0.1 "$(cat "$T/mute.port")" 2> "$T/mute.err" ||
    fail "--wait-for against a mute peer exited $?: $(cat "$T/mute.err")"
wait_exit "$mpid" 15
[ "$RC" = 0 ] || fail "the mute peer: $(cat "$T/mute.out")"
exit 0
