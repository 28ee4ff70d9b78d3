#!/bin/sh
# --exec under --tls (SPEC 9): the program reads and writes plain bytes
# and learns what the handshake settled from its environment:
# SOCKIT_TLS_PEER_SHA256 and SOCKIT_TLS_PEER_SUBJECT for a verified
# client certificate (--tls-client-ca), SOCKIT_TLS_ALPN for a negotiated
# protocol (the server's preference wins), each only when there is one;
# SOCKIT_PEER and SOCKIT_LOCAL as without TLS.  Clients: sockit,
# openssl s_client, python3 ssl; and unix-server.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures
fp=$(tls_fp "$TLS/client.pem")
subject="O=sockit test, CN=sockit client"

# The program: one line in, that line and its SOCKIT_* environment out.
cat > "$T/prog.sh" <<'EOF'
read -r line
echo "line=$line"
env | grep -E '^SOCKIT_(PEER|LOCAL|TLS_[A-Z0-9_]*)=' | sort
EOF
start_server m tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-client-ca "$TLS/ca.pem" \
    --tls-alpn proto-b,proto-a --exec "/bin/sh $T/prog.sh"

# want FILE LINE ALPN: FILE is the program's report for a verified
# client that negotiated ALPN (empty: none).
want() {
	{
		echo "line=$2"
		sed -n 's/^\(SOCKIT_LOCAL=127\.0\.0\.1:[0-9]*\)$/\1/p' "$1"
		sed -n 's/^\(SOCKIT_PEER=127\.0\.0\.1:[0-9]*\)$/\1/p' "$1"
		[ -z "$3" ] || echo "SOCKIT_TLS_ALPN=$3"
		echo "SOCKIT_TLS_PEER_SHA256=$fp"
		echo "SOCKIT_TLS_PEER_SUBJECT=$subject"
	} > "$T/want"
	grep -q "^SOCKIT_LOCAL=127.0.0.1:$m_PORT$" "$1" ||
	    bad "SOCKIT_LOCAL: $(cat "$1")"
	cmp -s "$T/want" "$1" ||
	    bad "the program reported:
$(cat "$1")
expected:
$(cat "$T/want")"
}

# 1. sockit tcp-client with a certificate, offering proto-a and proto-x.
printf 'from sockit\n' > "$T/in"
sk 10 "$T/in" tcp-client --tls --tls-ca "$TLS/ca.pem" \
    --tls-cert "$TLS/client.pem" --tls-key "$TLS/client.key" \
    --tls-alpn proto-x,proto-a localhost "$m_PORT"
[ "$RC" = 0 ] || bad "sockit client exited $RC: $(cat "$T/err")"
want "$T/out" "from sockit" proto-a

# 2. openssl s_client offering both: the server's order gives proto-b.
printf 'from s_client\n' |
    openssl s_client -connect "127.0.0.1:$m_PORT" -CAfile "$TLS/ca.pem" \
    -cert "$TLS/client.pem" -key "$TLS/client.key" -alpn proto-a,proto-b \
    -quiet > "$T/s.out" 2> "$T/s.err" &
spid=$!
PIDS="$PIDS $spid"
wait_exit "$spid" 10
[ "$RC" = 0 ] || bad "s_client exited $RC: $(cat "$T/s.err")"
want "$T/s.out" "from s_client" proto-b

# 3. python3 ssl, with a certificate and no ALPN.
cat > "$T/client.py" <<'PY'
import socket, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
ctx.load_cert_chain(tls + '/client.pem', tls + '/client.key')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=10),
                    server_hostname='localhost')
s.sendall(b'from python\n')
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.write(data.decode())
PY
python3 "$T/client.py" "$m_PORT" "$TLS" > "$T/p.out" 2> "$T/p.err" ||
    bad "python3 client: $(cat "$T/p.err")"
want "$T/p.out" "from python" ""

# 4. No --tls-client-ca, no ALPN: no SOCKIT_TLS_* at all (a certificate
#    the server did not ask for is not sent).
start_server n tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --exec "/bin/sh $T/prog.sh"
sk 10 "$T/in" tcp-client --tls --tls-ca "$TLS/ca.pem" \
    --tls-cert "$TLS/client.pem" --tls-key "$TLS/client.key" \
    --tls-alpn proto-a localhost "$n_PORT"
[ "$RC" = 0 ] || bad "client of the plain TLS server exited $RC: $(cat "$T/err")"
grep -q '^SOCKIT_TLS_' "$T/out" && bad "unasked-for SOCKIT_TLS_*: $(cat "$T/out")"
grep -q "^SOCKIT_PEER=127.0.0.1:" "$T/out" || bad "no SOCKIT_PEER: $(cat "$T/out")"

# 5. unix-server --tls --exec: the same variables, SOCKIT_PEER the
#    peer's credentials.
start_unix u "$T/u.sock" --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-client-ca "$TLS/ca.pem" \
    --tls-alpn proto-a --exec "/bin/sh $T/prog.sh"
sk 10 "$T/in" unix-client --tls --tls-ca "$TLS/ca.pem" --tls-name localhost \
    --tls-cert "$TLS/client.pem" --tls-key "$TLS/client.key" \
    --tls-alpn proto-a "$T/u.sock"
[ "$RC" = 0 ] || bad "unix-client exited $RC: $(cat "$T/err")"
{
	echo "line=from sockit"
	echo "SOCKIT_LOCAL=$T/u.sock"
	grep '^SOCKIT_PEER=pid=[0-9]*,uid=[0-9]*$' "$T/out"
	echo "SOCKIT_TLS_ALPN=proto-a"
	echo "SOCKIT_TLS_PEER_SHA256=$fp"
	echo "SOCKIT_TLS_PEER_SUBJECT=$subject"
} > "$T/want"
cmp -s "$T/want" "$T/out" || bad "unix-server program reported:
$(cat "$T/out")
expected:
$(cat "$T/want")"
exit "$FAILED"
