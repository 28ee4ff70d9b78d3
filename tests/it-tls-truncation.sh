#!/bin/sh
# Truncation (SPEC 9): a TCP FIN without close_notify is an error, exit 1
# with "truncated" in the message, unless --tls-allow-truncation makes it
# a normal end (exit 0).  The bytes that came before the FIN are
# delivered either way.  The peer is python3's ssl module, which ends a
# connection with a bare FIN when the TLS layer is detached from the
# socket (no unwrap(), so no close_notify); with unwrap() it sends
# close_notify and the same client exits 0.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures

# The server: per connection it reads all the client sends, up to its
# close_notify (so the client has nothing left to write, and its end
# can only be reported as what it is), then answers and ends with a FIN
# without close_notify ("fin") or with close_notify ("notify"), as the
# client's line says.
cat > "$T/server.py" <<'PY'
import os, socket, ssl, sys
tls, pf = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls + '/server.pem', tls + '/server.key')
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(8)
with open(pf + '.tmp', 'w') as f:
    f.write('%d\n' % ls.getsockname()[1])
os.rename(pf + '.tmp', pf)
ls.settimeout(60)
while True:
    c, _ = ls.accept()
    c.settimeout(10)
    try:
        s = ctx.wrap_socket(c, server_side=True)
        line = b''
        while True:
            b = s.recv(4096)
            if not b:                   # the client's close_notify
                break
            line += b
        s.sendall(b'reply before the end\n')
        if line.strip() == b'notify':
            s.unwrap().close()      # close_notify both ways
            continue
        raw = socket.socket(fileno=s.detach())
        raw.settimeout(10)
        raw.shutdown(socket.SHUT_WR)     # a FIN, no close_notify
        raw.close()
    except (OSError, ssl.SSLError) as e:
        print('server: %r' % e, file=sys.stderr)
        c.close()
PY
python3 "$T/server.py" "$TLS" "$T/py.port" 2> "$T/py.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/py.port" || fail "python3 server: $(cat "$T/py.err")"
port=$(cat "$T/py.port")

# client MODE WANT-RC [OPTIONS]
client() {
	mode=$1 want=$2
	shift 2
	printf '%s\n' "$mode" > "$T/in"
	sk 10 "$T/in" tcp-client --tls --tls-ca "$TLS/ca.pem" "$@" localhost "$port"
	[ "$RC" = "$want" ] ||
	    bad "$mode $*: exit $RC, expected $want: $(cat "$T/err")"
	[ "$(cat "$T/out")" = "reply before the end" ] ||
	    bad "$mode $*: the reply before the end was not printed: '$(cat "$T/out")'"
}
client fin 1
grep -qx "sockit: tcp-client: read from localhost:$port: truncated: connection closed without close_notify" \
    "$T/err" || bad "truncated: the client said '$(cat "$T/err")'"
client fin 0 --tls-allow-truncation
[ ! -s "$T/err" ] || bad "--tls-allow-truncation: the client said '$(cat "$T/err")'"
client notify 0
[ ! -s "$T/err" ] || bad "close_notify: the client said '$(cat "$T/err")'"
client notify 0 --tls-allow-truncation

# The server side: a python3 client sends a line and a bare FIN.
cat > "$T/client.py" <<'PY'
import socket, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=10),
                    server_hostname='localhost')
s.sendall(b'sent before the FIN\n')
raw = socket.socket(fileno=s.detach())
raw.settimeout(10)
raw.shutdown(socket.SHUT_WR)
while raw.recv(65536):
    pass
PY
# server WANT-RC [OPTIONS]: a --once server writing what it gets to a
# file, and one FIN client.
server() {
	want=$1
	shift
	rm -f "$T/got" "$T/once.port"
	"$SOCKIT" tcp-server 0 --once --tls --tls-cert "$TLS/server.pem" \
	    --tls-key "$TLS/server.key" --sh-exec "cat > $T/got" \
	    --port-file "$T/once.port" "$@" 2> "$T/once.err" < /dev/null &
	opid=$!
	PIDS="$PIDS $opid"
	poll_until 10 test -s "$T/once.port" || fail "server: $(cat "$T/once.err")"
	python3 "$T/client.py" "$(cat "$T/once.port")" "$TLS" 2> "$T/pyc.err" ||
	    bad "python3 client: $(cat "$T/pyc.err")"
	wait_exit "$opid" 10
	[ "$RC" = "$want" ] || bad "server $*: exit $RC, expected $want: $(cat "$T/once.err")"
	[ "$(cat "$T/got")" = "sent before the FIN" ] ||
	    bad "server $*: the program got '$(cat "$T/got")'"
}
server 1
grep -q '^closed 127\.0\.0\.1:[0-9]* in=[0-9]* out=0 [0-9.]*s: TLS: truncated: connection closed without close_notify$' \
    "$T/once.err" || bad "the server logged: $(cat "$T/once.err")"
server 0 --tls-allow-truncation
grep -q '^closed' "$T/once.err" && bad "--tls-allow-truncation: the server logged: $(cat "$T/once.err")"
exit "$FAILED"
