#!/bin/sh
# Protocol versions and ciphers (SPEC 9): TLS 1.2 and 1.3 by default;
# --tls-min 1.3 refuses a peer that only speaks 1.2, on either side,
# with exit 1 and a message that names the versions (a version is no
# authentication: not 7).  --tls-ciphers (1.2) and --tls-ciphersuites
# (1.3) restrict what is negotiated; nothing in common is a refused
# handshake, said in words.  A server prefers AES-128-GCM unless told
# otherwise, ChaCha20 for a client that lists it first.  Peers: openssl s_server -tls1_2,
# s_client -tls1_2 / -tls1_3, python3 ssl limited to 1.2.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures
ca="--tls-ca $TLS/ca.pem"
printf 'hello\n' > "$T/in"

# s_client VERSION-FLAG PORT [ARGS]: runs openssl s_client -brief; sets
# RC, output in $T/sc.out.
s_client() {
	v=$1 port=$2
	shift 2
	openssl s_client -connect "127.0.0.1:$port" "$v" -CAfile "$TLS/ca.pem" \
	    -brief "$@" < /dev/null > "$T/sc.out" 2>&1 &
	scpid=$!
	PIDS="$PIDS $scpid"
	wait_exit "$scpid" 10
}

# 1. A sockit server with --tls-min 1.3.
start_server v13 tcp-server 0 -v --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-min 1.3
s_client -tls1_2 "$v13_PORT"
[ "$RC" != 0 ] || bad "s_client -tls1_2 against --tls-min 1.3 exited 0"
grep -qi 'protocol version' "$T/sc.out" ||
    bad "s_client -tls1_2 against --tls-min 1.3: $(cat "$T/sc.out")"
poll_until 5 grep -qF 'TLS handshake: protocol version: peer supports only up to TLS 1.2 (minimum here: TLS 1.3)' \
    "$T/v13.err" || bad "--tls-min 1.3 server log: $(cat "$T/v13.err")"
s_client -tls1_3 "$v13_PORT"
[ "$RC" = 0 ] || bad "s_client -tls1_3 against --tls-min 1.3 exited $RC: $(cat "$T/sc.out")"
grep -q 'Protocol version: TLSv1.3' "$T/sc.out" || bad "s_client -tls1_3: $(cat "$T/sc.out")"
cat > "$T/py12.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2] + '/ca.pem')
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
try:
    s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])),
                                                 timeout=10),
                        server_hostname='localhost')
    print('connected', s.version())
except ssl.SSLError as e:
    print('refused:', e.reason)
PY
python3 "$T/py12.py" "$v13_PORT" "$TLS" > "$T/py.out" 2>&1
grep -q '^refused: TLSV1_ALERT_PROTOCOL_VERSION' "$T/py.out" ||
    bad "python3 TLS 1.2 client against --tls-min 1.3: $(cat "$T/py.out")"

# 2. The default accepts TLS 1.2 clients.
start_server def tcp-server 0 -v --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key"
s_client -tls1_2 "$def_PORT"
[ "$RC" = 0 ] || bad "s_client -tls1_2 against the default exited $RC: $(cat "$T/sc.out")"
grep -q 'Protocol version: TLSv1.2' "$T/sc.out" || bad "s_client -tls1_2: $(cat "$T/sc.out")"
python3 "$T/py12.py" "$def_PORT" "$TLS" > "$T/py.out" 2>&1
grep -q '^connected TLSv1.2$' "$T/py.out" ||
    bad "python3 TLS 1.2 client against the default: $(cat "$T/py.out")"
poll_until 5 grep -q '^tls 127\.0\.0\.1:[0-9]* version=TLSv1\.2' "$T/def.err" ||
    bad "no TLSv1.2 in the server log: $(cat "$T/def.err")"
sk 10 "$T/in" -v tcp-client --tls $ca --tls-min 1.3 localhost "$def_PORT"
[ "$RC" = 0 ] || bad "--tls-min 1.3 client against the default: $RC $(cat "$T/err")"
grep -q "^tls localhost:$def_PORT: TLSv1.3 " "$T/err" || bad "client log: $(cat "$T/err")"

# 3. A sockit client with --tls-min 1.3 against openssl s_server -tls1_2.
sport=$(free_port)
start_peer ss "$sport" openssl s_server -accept "127.0.0.1:$sport" \
    -cert "$TLS/server.pem" -key "$TLS/server.key" -tls1_2 -rev -quiet
sk 10 "$T/in" tcp-client --tls $ca --tls-min 1.3 localhost "$sport"
[ "$RC" = 1 ] || bad "--tls-min 1.3 against s_server -tls1_2: exit $RC, expected 1: $(cat "$T/err")"
grep -qF "TLS handshake with localhost:$sport: protocol version: peer does not support TLS 1.3" \
    "$T/err" || bad "--tls-min 1.3 against s_server -tls1_2 said: $(cat "$T/err")"
! grep -qi 'input/output error' "$T/err" || bad "$(cat "$T/err")"
sk 10 "$T/in" -v tcp-client --tls $ca localhost "$sport"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = olleh ] ||
    bad "default client against s_server -tls1_2: $RC '$(cat "$T/out")' $(cat "$T/err")"
grep -q "^tls localhost:$sport: TLSv1.2 " "$T/err" || bad "client log: $(cat "$T/err")"

# 4. Ciphers: the server allows one of each kind.
start_server c tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-ciphersuites TLS_AES_128_GCM_SHA256 \
    --tls-ciphers ECDHE-ECDSA-AES128-GCM-SHA256
s_client -tls1_3 "$c_PORT"
grep -q 'Ciphersuite: TLS_AES_128_GCM_SHA256' "$T/sc.out" ||
    bad "--tls-ciphersuites: s_client saw $(cat "$T/sc.out")"
s_client -tls1_2 "$c_PORT"
grep -q 'Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256' "$T/sc.out" ||
    bad "--tls-ciphers: s_client saw $(cat "$T/sc.out")"
sk 10 "$T/in" tcp-client --tls $ca --tls-ciphersuites TLS_AES_128_GCM_SHA256 \
    localhost "$c_PORT"
[ "$RC" = 0 ] && cmp -s "$T/in" "$T/out" ||
    bad "matching --tls-ciphersuites: $RC $(cat "$T/err")"
sk 10 "$T/in" tcp-client --tls $ca \
    --tls-ciphersuites TLS_CHACHA20_POLY1305_SHA256 localhost "$c_PORT"
[ "$RC" = 1 ] || bad "no cipher suite in common: exit $RC, expected 1: $(cat "$T/err")"
grep -q 'handshake failure' "$T/err" || bad "no cipher suite in common: $(cat "$T/err")"
poll_until 5 grep -q 'TLS handshake: no cipher in common with the peer' "$T/c.err" ||
    bad "no cipher in common: server log: $(cat "$T/c.err")"
# 5. The default TLS 1.3 order of a server: AES-128-GCM first, whatever
# the client lists first; ChaCha20 for a client that puts it first (one
# without AES instructions); AES-256-GCM when it is all the client has;
# --tls-ciphersuites replaces the order.
suite_of() {
	sed -n 's/^Ciphersuite: //p' "$T/sc.out"
}
s_client -tls1_3 "$def_PORT" -ciphersuites \
    TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256
[ "$(suite_of)" = TLS_AES_128_GCM_SHA256 ] ||
    bad "default order, AES-256 listed first: $(cat "$T/sc.out")"
s_client -tls1_3 "$def_PORT" -ciphersuites \
    TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
[ "$(suite_of)" = TLS_CHACHA20_POLY1305_SHA256 ] ||
    bad "default order, ChaCha20 listed first: $(cat "$T/sc.out")"
s_client -tls1_3 "$def_PORT" -ciphersuites TLS_AES_256_GCM_SHA384
[ "$(suite_of)" = TLS_AES_256_GCM_SHA384 ] ||
    bad "default order, only AES-256 offered: $(cat "$T/sc.out")"
start_server c256 tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" \
    --tls-ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256
s_client -tls1_3 "$c256_PORT"
[ "$(suite_of)" = TLS_AES_256_GCM_SHA384 ] ||
    bad "--tls-ciphersuites order: $(cat "$T/sc.out")"
exit "$FAILED"
