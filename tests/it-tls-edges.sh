#!/bin/sh
# TLS at its edges: --tls-handshake-timeout alone is a usage error; a
# peer's bare FIN is reported as the truncation even while the relay had
# something to write; -z --tls ends with close_notify; the closed line of
# an --exec connection counts what peer and program exchanged; a
# --discard server ends with close_notify too; a server that says
# something and hangs up while the client still sends: its words reach
# stdout; a --stdio server whose client goes away mid-download counts
# what was not sent, whichever of its reads and writes fails first.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures
srvtls="--tls --tls-cert $TLS/server.pem --tls-key $TLS/server.key"

# 1. --tls-handshake-timeout without --tls is a usage error, as every
#    other --tls-* option is ("the --tls-* options need --tls", exit 2).
"$SOCKIT" tcp-server 0 --tls-handshake-timeout 1 --port-file "$T/b1.port" \
    2> "$T/b1.err" < /dev/null &
b1=$!
PIDS="$PIDS $b1"
poll_until 5 sh -c "test -s '$T/b1.port' || ! kill -0 $b1 2>/dev/null"
if running "$b1"; then
	bad "1: 'tcp-server 0 --tls-handshake-timeout 1' (no --tls) runs: $(cat "$T/b1.err"); expected exit 2, 'the --tls-* options need --tls'"
	kill "$b1"
fi

# 2. A peer that ends with a TCP FIN without close_notify is reported as
#    the truncation (SPEC 9), also when the relay has something to write
#    at that moment (--echo, --stdio), not as "write: Protocol error".
cat > "$T/fin.py" <<'PY'
import socket, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=10),
                    server_hostname='localhost')
s.sendall(b'hello\n')
raw = socket.socket(fileno=s.detach())
raw.settimeout(10)
raw.shutdown(socket.SHUT_WR)        # a FIN, no close_notify
while raw.recv(65536):
    pass
PY
for h in --echo --stdio; do
	rm -f "$T/b2.port"
	# shellcheck disable=SC2086
	"$SOCKIT" tcp-server 0 --once $srvtls $h --port-file "$T/b2.port" \
	    < /dev/null > /dev/null 2> "$T/b2.err" &
	b2=$!
	PIDS="$PIDS $b2"
	poll_until 10 test -s "$T/b2.port" || fail "server: $(cat "$T/b2.err")"
	python3 "$T/fin.py" "$(cat "$T/b2.port")" "$TLS"
	wait_exit "$b2" 10
	grep -q 'TLS: truncated: connection closed without close_notify' "$T/b2.err" ||
	    bad "2: tcp-server --tls $h, client ends with a bare FIN: logged '$(grep closed "$T/b2.err")', expected 'TLS: truncated: connection closed without close_notify'"
done
# The client side: stdin still being sent when the server truncates.
cat > "$T/finsrv.py" <<'PY'
import os, socket, ssl, sys
tls, pf = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls + '/server.pem', tls + '/server.key')
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(1)
with open(pf + '.tmp', 'w') as f:
    f.write('%d\n' % ls.getsockname()[1])
os.rename(pf + '.tmp', pf)
c, _ = ls.accept()
c.settimeout(10)
s = ctx.wrap_socket(c, server_side=True)
s.sendall(b'reply\n')
raw = socket.socket(fileno=s.detach())
raw.settimeout(10)
raw.shutdown(socket.SHUT_WR)
while raw.recv(65536):
    pass
PY
python3 "$T/finsrv.py" "$TLS" "$T/b2c.port" 2> "$T/b2c.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/b2c.port" || fail "python3 server: $(cat "$T/b2c.err")"
head -c 1048576 /dev/zero > "$T/mib"
sk 10 "$T/mib" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$(cat "$T/b2c.port")"
grep -q 'truncated' "$T/err" ||
    bad "2: tcp-client --tls < 1 MiB, the server ends with a bare FIN: exit $RC, '$(cat "$T/err")', expected 'truncated: connection closed without close_notify'"

# 3. tcp-client --tls -z ends the connection with close_notify, so a
#    probe is no truncation in the server's log.
# shellcheck disable=SC2086
start_server b3 tcp-server 0 $srvtls
"$SOCKIT" tcp-client --tls --tls-ca "$TLS/ca.pem" -z localhost "$b3_PORT" ||
    bad "3: -z --tls exited $?"
poll_until 2 grep -q '^closed' "$T/b3.err"
if grep -q 'truncated' "$T/b3.err"; then
	bad "3: 'tcp-client --tls -z' made the server log: $(grep closed "$T/b3.err")"
fi

# 4. --exec/--sh-exec: the closed line counts what peer and program
#    exchanged, also when the relay ends before the program is reaped.
# shellcheck disable=SC2086
start_server b4 tcp-server 0 -v $srvtls --sh-exec 'read x; echo "got $x"'
printf 'hello\n' > "$T/h"
sk 10 "$T/h" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$b4_PORT"
poll_until 5 grep -q '^closed' "$T/b4.err"
grep -q '^closed 127\.0\.0\.1:[0-9]* in=6 out=10 ' "$T/b4.err" ||
    bad "4: --sh-exec 'read x; echo \"got \$x\"' fed 'hello': logged '$(grep closed "$T/b4.err")', expected in=6 out=10"
# 5. A handler that never writes (--discard) still ends with close_notify:
#    the client sees a clean end, not a truncation.
# shellcheck disable=SC2086
start_server b5 tcp-server 0 $srvtls --discard
printf 'hello\n' > "$T/h5"
sk 10 "$T/h5" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$b5_PORT"
[ "$RC" = 0 ] ||
    bad "5: tcp-client --tls to a --discard server: exited $RC: $(cat "$T/err")"

# 6. A TLS server says bye and closes while the client still has 32 MiB
#    to send: the client's writes fail (exit 1, the count says "sent":
#    TLS cannot tell what was acknowledged), and "bye" is on stdout.
# shellcheck disable=SC2086
start_server b6 tcp-server 0 $srvtls --banner 'bye\n'
head -c 33554432 /dev/zero > "$T/big6"
sk 60 "$T/big6" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$b6_PORT"
[ "$RC" = 1 ] || bad "6: client to a TLS server that hung up exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = bye ] ||
    bad "6: client printed '$(cat "$T/out")', expected the server's 'bye'"
grep -q 'stdin not sent in full: [0-9]* bytes sent, [0-9]* read but not sent' "$T/err" ||
    bad "6: no count of what was sent: $(cat "$T/err")"

# 7. --stdio --tls sends 32 MiB; the client fails on a full stdout and
#    goes away.  The server exits 1 and its closed line counts what of
#    its stdin was not sent, in TLS's words ("sent", not "delivered"),
#    also when a read sees the client go first.
# shellcheck disable=SC2086
"$SOCKIT" --quiet tcp-server 0 --stdio $srvtls --port-file "$T/b7.port" \
    < "$T/big6" > /dev/null 2> "$T/b7.err" &
b7=$!
PIDS="$PIDS $b7"
poll_until 10 test -s "$T/b7.port" || fail "7: server did not start: $(cat "$T/b7.err")"
sk_out 30 /dev/null /dev/full tcp-client --tls --tls-ca "$TLS/ca.pem" \
    localhost "$(cat "$T/b7.port")"
[ "$RC" = 1 ] || bad "7: client with stdout on /dev/full exited $RC"
wait_exit "$b7" 30
[ "$RC" = 1 ] || bad "7: --stdio server whose client went away exited $RC"
grep -q 'stdin not sent in full: [0-9]* bytes sent, [0-9]* read but not sent' "$T/b7.err" ||
    bad "7: the server did not count what was not sent: $(cat "$T/b7.err")"

# 8. A client that resets while the server waits for more stdin (a FIFO
#    the test holds open): the server's read meets the reset first, and
#    its closed line still counts what of stdin was sent.
mkfifo "$T/fifo8"
exec 3<> "$T/fifo8"
# shellcheck disable=SC2086
"$SOCKIT" --quiet tcp-server 0 --stdio $srvtls --port-file "$T/b8.port" \
    < "$T/fifo8" > /dev/null 2> "$T/b8.err" &
b8=$!
PIDS="$PIDS $b8"
poll_until 10 test -s "$T/b8.port" || fail "8: server did not start: $(cat "$T/b8.err")"
printf 'hello\n' >&3
python3 - "$(cat "$T/b8.port")" "$TLS" <<'PY' || bad "8: resetting client failed"
import socket, ssl, struct, sys
port, tls = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=10),
                    server_hostname='localhost')
got = b''
while len(got) < 6:
    b = s.recv(100)
    if not b:
        sys.exit('EOF after %r' % got)
    got += b
raw = socket.socket(fileno=s.detach())
raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
raw.close()
PY
wait_exit "$b8" 30
exec 3>&-
[ "$RC" = 1 ] || bad "8: --stdio server whose client reset exited $RC"
grep -q 'TLS: .*: stdin not sent in full: 6 bytes sent, 0 read but not sent' "$T/b8.err" ||
    bad "8: the server did not count what was sent: $(cat "$T/b8.err")"
exit "$FAILED"
