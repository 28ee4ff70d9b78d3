#!/bin/sh
# tcp-server and tcp-client interoperate with real peers: python3 sockets
# and socketserver, nc.openbsd and socat, in both directions.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
need nc.openbsd
need socat

# run_bg IN OUT ERR CMD...: starts CMD in the background; sets BG_PID.
run_bg() {
	in=$1 out=$2 err=$3
	shift 3
	"$@" < "$in" > "$out" 2> "$err" &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

head -c 1048576 /dev/urandom > "$T/data" || fail "cannot make test data"
printf 'from the peer\n' > "$T/peer.in"
printf 'from sockit\n' > "$T/sockit.in"

start_server echo tcp-server 0

# 1. A python3 socket client against the sockit echo server: 1 MiB in
#    uneven sends, half-close, read to EOF.
cat > "$T/client.py" <<'PY'
import socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
data = open(path, 'rb').read()
s = socket.create_connection(('127.0.0.1', port), timeout=20)
s.settimeout(20)
i, n = 0, 1
while i < len(data):
    s.sendall(data[i:i + n])
    i += n
    n = n * 3 + 1 if n < 200000 else 1
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
s.close()
if bytes(got) != data:
    sys.exit('python client: got %d bytes, sent %d, equal=%s'
             % (len(got), len(data), bytes(got) == data))
PY
python3 "$T/client.py" "$echo_PORT" "$T/data" ||
    fail "python3 client against sockit tcp-server failed"

# 2. sockit tcp-client against a python3 ThreadingTCPServer echo server.
cat > "$T/pyserver.py" <<'PY'
import os, socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(20)
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            self.request.sendall(b)
socketserver.ThreadingTCPServer.allow_reuse_address = True
srv = socketserver.ThreadingTCPServer(('127.0.0.1', 0), Echo)
tmp = sys.argv[1] + '.tmp'
with open(tmp, 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(tmp, sys.argv[1])
srv.timeout = 30
srv.handle_request()
srv.server_close()
PY
python3 "$T/pyserver.py" "$T/py.port" 2> "$T/py.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/py.port" ||
    fail "python3 server did not start: $(cat "$T/py.err")"
run_bg "$T/data" "$T/out2" "$T/err2" \
    "$SOCKIT" tcp-client 127.0.0.1 "$(cat "$T/py.port")"
wait_exit "$BG_PID" 30
[ "$RC" = 0 ] || fail "tcp-client against python3 server exited $RC: \
$(cat "$T/err2")"
cmp -s "$T/data" "$T/out2" || fail "tcp-client <-> python3 server: data differs"

# 3. nc.openbsd -N as client of the sockit echo server.
run_bg "$T/data" "$T/out3" "$T/err3" nc.openbsd -N 127.0.0.1 "$echo_PORT"
wait_exit "$BG_PID" 30
[ "$RC" = 0 ] || fail "nc.openbsd client exited $RC: $(cat "$T/err3")"
cmp -s "$T/data" "$T/out3" || fail "nc.openbsd <-> tcp-server: data differs"

# 4. socat as client of the sockit echo server.
run_bg "$T/data" "$T/out4" "$T/err4" socat -t 10 - "TCP:127.0.0.1:$echo_PORT"
wait_exit "$BG_PID" 30
[ "$RC" = 0 ] || fail "socat client exited $RC: $(cat "$T/err4")"
cmp -s "$T/data" "$T/out4" || fail "socat <-> tcp-server: data differs"

# 5. nc.openbsd as client of tcp-server --stdio: each side gets the other's
#    bytes, and the server exits 0 after the client closes.
run_bg "$T/sockit.in" "$T/stdio.out" "$T/stdio.err" \
    "$SOCKIT" tcp-server 0 --stdio --port-file "$T/stdio.port"
spid=$BG_PID
poll_until 10 test -s "$T/stdio.port" ||
    fail "stdio server did not start: $(cat "$T/stdio.err")"
run_bg "$T/peer.in" "$T/out5" "$T/err5" \
    nc.openbsd -N 127.0.0.1 "$(cat "$T/stdio.port")"
wait_exit "$BG_PID" 20
[ "$RC" = 0 ] || fail "nc.openbsd against --stdio exited $RC: $(cat "$T/err5")"
wait_exit "$spid" 20
[ "$RC" = 0 ] || fail "tcp-server --stdio exited $RC: $(cat "$T/stdio.err")"
cmp -s "$T/peer.in" "$T/stdio.out" || fail "--stdio printed '$(cat "$T/stdio.out")'"
cmp -s "$T/sockit.in" "$T/out5" || fail "nc.openbsd received '$(cat "$T/out5")'"

# Servers whose port we learn from their own log (they bind port 0).
# peer_port FILE: prints the port a socat -d -d or nc -lv log announces.
peer_port() {
	sed -n 's/.*listening on AF=2 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p;
	    s/^Listening on [^ ]* \([0-9][0-9]*\)$/\1/p' "$1" | head -n 1
}
has_port() {
	[ -n "$(peer_port "$1")" ]
}

# 6. sockit tcp-client against a socat echo server.
socat -d -d TCP-LISTEN:0,bind=127.0.0.1 EXEC:/bin/cat 2> "$T/socat.err" &
PIDS="$PIDS $!"
poll_until 10 has_port "$T/socat.err" ||
    fail "socat server did not start: $(cat "$T/socat.err")"
run_bg "$T/data" "$T/out6" "$T/err6" \
    "$SOCKIT" tcp-client 127.0.0.1 "$(peer_port "$T/socat.err")"
wait_exit "$BG_PID" 30
[ "$RC" = 0 ] || fail "tcp-client against socat exited $RC: $(cat "$T/err6")"
cmp -s "$T/data" "$T/out6" || fail "tcp-client <-> socat: data differs"

# 7. sockit tcp-client against nc.openbsd -l: both directions arrive and
#    both exit once each side has closed.
run_bg "$T/peer.in" "$T/nc.out" "$T/nc.err" \
    nc.openbsd -lvN 127.0.0.1 0
ncpid=$BG_PID
poll_until 10 has_port "$T/nc.err" ||
    fail "nc.openbsd -l did not start: $(cat "$T/nc.err")"
run_bg "$T/sockit.in" "$T/out7" "$T/err7" \
    "$SOCKIT" tcp-client 127.0.0.1 "$(peer_port "$T/nc.err")"
wait_exit "$BG_PID" 20
[ "$RC" = 0 ] || fail "tcp-client against nc.openbsd -l exited $RC: \
$(cat "$T/err7")"
wait_exit "$ncpid" 20
cmp -s "$T/peer.in" "$T/out7" || fail "tcp-client received '$(cat "$T/out7")'"
cmp -s "$T/sockit.in" "$T/nc.out" || fail "nc.openbsd -l received \
'$(cat "$T/nc.out")'"
exit 0
