#!/bin/sh
# A peer's FIN only means "no more data from the peer": tcp-server
# --stdio keeps sending its stdin after the client half-closes, so a
# download with the client's stdin at /dev/null (cron, CI) arrives whole
# and both ends exit 0.  A peer that goes away before stdin was all sent
# is exit 1 with the number of bytes that were and were not delivered, on
# either end.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

head -c 33554432 /dev/urandom > "$T/big"

# stdio_server NAME IN OUT ARGS...: start_server with stdin IN and stdout
# OUT (a background job's stdin must be redirected on the job itself).
stdio_server() {
	name=$1 in=$2 out=$3
	shift 3
	rm -f "$T/$name.port"
	"$SOCKIT" "$@" --port-file "$T/$name.port" < "$in" > "$out" \
	    2> "$T/$name.err" &
	eval "${name}_PID=$!"
	PIDS="$PIDS $!"
	poll_until 10 test -s "$T/$name.port" ||
	    fail "$name did not start: $(cat "$T/$name.err")"
	eval "${name}_PORT=$(cat "$T/$name.port")"
}

# 1. Download: server stdin is the file, client stdin is /dev/null.
stdio_server dl "$T/big" /dev/null tcp-server 0 --stdio
"$SOCKIT" tcp-client 127.0.0.1 "$dl_PORT" < /dev/null > "$T/got" \
    2> "$T/client.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_exit "$cpid" 60
[ "$RC" = 0 ] || fail "client exited $RC: $(cat "$T/client.err")"
wait_exit "$dl_PID" 30
[ "$RC" = 0 ] || fail "server exited $RC: $(cat "$T/dl.err")"
cmp -s "$T/big" "$T/got" ||
    fail "download truncated: $(wc -c < "$T/got") of 33554432 bytes"

# 2. The same upload the other way: client stdin is the file, the
#    server's stdin is /dev/null.
stdio_server up /dev/null "$T/up.got" tcp-server 0 --stdio
"$SOCKIT" tcp-client 127.0.0.1 "$up_PORT" < "$T/big" > "$T/out" \
    2> "$T/client.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_exit "$cpid" 60
[ "$RC" = 0 ] || fail "upload client exited $RC: $(cat "$T/client.err")"
wait_exit "$up_PID" 30
[ "$RC" = 0 ] || fail "upload server exited $RC: $(cat "$T/up.err")"
cmp -s "$T/big" "$T/up.got" ||
    fail "upload truncated: $(wc -c < "$T/up.got") of 33554432 bytes"

# 3. A client that reads a little and then resets: the server cannot
#    deliver the rest of its stdin, exits 1 and says how much was lost.
stdio_server gone "$T/big" /dev/null tcp-server 0 --stdio
python3 - "$gone_PORT" <<'PY' || fail "resetting client"
import socket, struct, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
got = 0
while got < 65536:
    b = s.recv(65536)
    if not b:
        sys.exit('EOF after %d bytes' % got)
    got += len(b)
# Linger 0: close() sends a reset.
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
PY
wait_exit "$gone_PID" 30
[ "$RC" = 1 ] || fail "server whose client reset exited $RC: $(cat "$T/gone.err")"
grep -q "stdin not sent in full: [0-9]* bytes delivered, [0-9]* read but not delivered" "$T/gone.err" ||
    fail "no count of bytes not delivered: $(cat "$T/gone.err")"

# 4. The client's side: the server hangs up (a banner, then close) while
#    the client still has 32 MiB of stdin to send.
start_server ban tcp-server 0 --banner 'bye\n'
"$SOCKIT" tcp-client 127.0.0.1 "$ban_PORT" < "$T/big" > "$T/out" \
    2> "$T/client.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_exit "$cpid" 60
[ "$RC" = 1 ] || fail "client to a server that hung up exited $RC"
[ "$(cat "$T/out")" = bye ] || fail "client printed '$(cat "$T/out")'"
grep -q "peer: .*stdin not sent in full: [0-9]* bytes delivered" \
    "$T/client.err" || fail "client message: $(cat "$T/client.err")"
exit 0
