#!/bin/sh
# udp-server and udp-client interoperate with real peers: a python3
# socket client and socketserver.UDPServer, and socat as client of
# udp-server and as server for udp-client.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
need socat

start_server echo udp-server 0
start_server up udp-server 0 --upper

# 1. A python3 UDP client against udp-server: 200 datagrams of varied
#    sizes (up to the 65507-byte maximum), each answered to its sender.
cat > "$T/client.py" <<'PY'
import socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.settimeout(10)
s.connect(('127.0.0.1', port))
sizes = [1, 2, 100, 1400, 1500, 8192, 65507] + [i * 37 % 3000 + 1
                                                 for i in range(193)]
for i, n in enumerate(sizes):
    msg = bytes((ord('a') + (i + j) % 26) for j in range(n))
    s.send(msg)
    got = s.recv(70000)
    want = msg.upper() if mode == 'upper' else msg
    if got != want:
        sys.exit('datagram %d (%d bytes): got %d bytes back, equal=%s'
                 % (i, n, len(got), got == want))
# An empty datagram is a message too.
s.send(b'')
if s.recv(10) != b'':
    sys.exit('empty datagram not echoed as empty')
PY
python3 "$T/client.py" "$echo_PORT" echo ||
    fail "python3 client against udp-server --echo failed"
python3 "$T/client.py" "$up_PORT" upper ||
    fail "python3 client against udp-server --upper failed"

# 2. udp-client against a python3 socketserver.UDPServer echo server that
#    writes its port to a file (atomically) once bound.
cat > "$T/pyserver.py" <<'PY'
import os, socketserver, sys, time
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)
srv = socketserver.UDPServer(('127.0.0.1', 0), Echo)
tmp = sys.argv[1] + '.tmp'
with open(tmp, 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(tmp, sys.argv[1])
srv.timeout = 1
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    srv.handle_request()
srv.server_close()
PY
python3 "$T/pyserver.py" "$T/py.port" 2> "$T/py.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/py.port" ||
    fail "python3 server did not start: $(cat "$T/py.err")"
seq 1 300 > "$T/in2"
"$SOCKIT" udp-client --expect-replies 300 127.0.0.1 "$(cat "$T/py.port")" \
    < "$T/in2" > "$T/out2" 2> "$T/err2" ||
    fail "udp-client against python3 UDPServer exited $?: $(cat "$T/err2")"
sort -n "$T/out2" | cmp -s "$T/in2" - ||
    fail "udp-client <-> python3 UDPServer: $(wc -l < "$T/out2") lines, \
not the 300 sent"

# 3. socat as a UDP client of udp-server (echo and --upper).  socat sends
#    what it reads from stdin (one datagram per read) and prints replies.
printf 'from socat\n' > "$T/in3"
socat -t 5 - "UDP:127.0.0.1:$echo_PORT" < "$T/in3" > "$T/out3" 2> "$T/err3" ||
    fail "socat client exited $?: $(cat "$T/err3")"
cmp -s "$T/in3" "$T/out3" || fail "socat got '$(cat "$T/out3")' from --echo"
socat -t 5 - "UDP:127.0.0.1:$up_PORT" < "$T/in3" > "$T/out3u" 2> "$T/err3u" ||
    fail "socat client exited $?: $(cat "$T/err3u")"
[ "$(cat "$T/out3u")" = "FROM SOCAT" ] ||
    fail "socat got '$(cat "$T/out3u")' from --upper"

# 4. udp-client against a socat UDP server.  UDP-LISTEN:0 (unlike
#    UDP-RECVFROM) logs the port it bound; it locks onto the first peer
#    and echoes through cat, which may merge datagrams, so one message.
socat -d -d UDP-LISTEN:0,bind=127.0.0.1 EXEC:/bin/cat 2> "$T/socat.err" &
PIDS="$PIDS $!"
socat_port() {
	sed -n 's/.*listening on UDP AF=2 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
	    "$T/socat.err" | head -n 1
}
has_port() {
	[ -n "$(socat_port)" ]
}
poll_until 10 has_port || fail "socat server did not start: $(cat "$T/socat.err")"
out=$("$SOCKIT" udp-client --expect-replies 1 --send 'to socat' \
    127.0.0.1 "$(socat_port)" < /dev/null 2> "$T/err4") ||
    fail "udp-client against socat exited $?: $(cat "$T/err4")"
[ "$out" = "to socat" ] || fail "socat echoed '$out'"
exit 0
