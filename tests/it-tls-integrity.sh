#!/bin/sh
# 64 MiB of random bytes through TLS, byte for byte (SHA-256), in both
# directions, between sockit and every other implementation at hand:
#  - tcp-client -> tcp-server --tls (echo: both directions at once),
#    and the server's closed line counts every byte;
#  - tcp-client -> socat OPENSSL-LISTEN PIPE (echo), and
#    socat OPENSSL -> tcp-server --tls (echo);
#  - tcp-client -> openssl s_server (upload), and
#    tcp-server --tls --stdio -> openssl s_client (download);
#  - python3 ssl client -> tcp-server --tls --stdio, upload and download.
# Prints the time each transfer took (no thresholds).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
need socat
tls_fixtures
SIZE=67108864
ca="--tls-ca $TLS/ca.pem"
head -c "$SIZE" /dev/urandom > "$T/data" || fail "cannot make test data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

# same WHAT FILE: FILE holds the data.
same() {
	got=$(sha256sum < "$2" | cut -d' ' -f1)
	[ "$got" = "$want" ] ||
	    bad "$1: $(wc -c < "$2") bytes, sha256 $got, expected $SIZE bytes, $want"
}
# timed WHAT START: prints how long WHAT took since START (ms).
timed() {
	ms=$(($(now_ms) - $2))
	echo "$1: 64 MiB in $ms ms"
}

# 1. sockit both ends: the echo.
start_server echo tcp-server 0 -v --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key"
t0=$(now_ms)
sk 60 "$T/data" tcp-client --tls $ca localhost "$echo_PORT"
timed "sockit tcp-client -> tcp-server --tls --echo -> back" "$t0"
[ "$RC" = 0 ] || bad "sockit echo: exit $RC: $(cat "$T/err")"
same "sockit echo" "$T/out"
poll_until 5 grep -q "^closed 127\\.0\\.0\\.1:[0-9]* in=$SIZE out=$SIZE " \
    "$T/echo.err" || bad "no complete closed line: $(cat "$T/echo.err")"

# 2. socat's echo (PIPE), and socat as the client of sockit's.
socat -d -d "OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=$TLS/server.pem,key=$TLS/server.key,verify=0" \
    PIPE 2> "$T/socat.err" &
PIDS="$PIDS $!"
socat_port() {
	sed -n 's/.*listening on AF=2 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/socat.err" |
	    head -n 1
}
has_socat_port() {
	[ -n "$(socat_port)" ]
}
poll_until 10 has_socat_port || fail "socat OPENSSL-LISTEN: $(cat "$T/socat.err")"
t0=$(now_ms)
sk 60 "$T/data" tcp-client --tls $ca localhost "$(socat_port)"
timed "sockit tcp-client -> socat OPENSSL-LISTEN PIPE -> back" "$t0"
[ "$RC" = 0 ] || bad "client -> socat echo: exit $RC: $(cat "$T/err")"
same "client -> socat echo" "$T/out"

t0=$(now_ms)
socat -t 30 - "OPENSSL:127.0.0.1:$echo_PORT,cafile=$TLS/ca.pem" \
    < "$T/data" > "$T/socat.out" 2> "$T/socat-c.err" &
spid=$!
PIDS="$PIDS $spid"
wait_exit "$spid" 60
timed "socat OPENSSL -> sockit tcp-server --tls --echo -> back" "$t0"
[ "$RC" = 0 ] || bad "socat -> sockit echo: exit $RC: $(cat "$T/socat-c.err")"
same "socat -> sockit echo" "$T/socat.out"

# 3. openssl: s_server receives an upload from tcp-client; s_client
#    downloads from tcp-server --stdio.
sport=$(free_port)
start_peer ss "$sport" openssl s_server -accept "127.0.0.1:$sport" \
    -cert "$TLS/server.pem" -key "$TLS/server.key" -quiet -naccept 1
t0=$(now_ms)
sk 60 "$T/data" tcp-client --tls $ca localhost "$sport"
[ "$RC" = 0 ] || bad "client -> s_server: exit $RC: $(cat "$T/err")"
wait_exit "$ss_PID" 30
timed "sockit tcp-client -> openssl s_server" "$t0"
same "client -> s_server" "$T/ss.out"

rm -f "$T/dl.port"
"$SOCKIT" tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --stdio --port-file "$T/dl.port" \
    < "$T/data" > "$T/dl.out" 2> "$T/dl.err" &
dl=$!
PIDS="$PIDS $dl"
poll_until 10 test -s "$T/dl.port" || fail "--stdio server: $(cat "$T/dl.err")"
t0=$(now_ms)
openssl s_client -connect "127.0.0.1:$(cat "$T/dl.port")" -CAfile "$TLS/ca.pem" \
    -verify_return_error -quiet -ign_eof < /dev/null > "$T/sc.out" 2> "$T/sc.err" &
scpid=$!
PIDS="$PIDS $scpid"
wait_exit "$scpid" 60
timed "sockit tcp-server --tls --stdio -> openssl s_client" "$t0"
[ "$RC" = 0 ] || bad "s_client download: exit $RC: $(cat "$T/sc.err")"
same "--stdio -> s_client" "$T/sc.out"
kill "$dl" 2> /dev/null

# 4. python3 ssl: a download and an upload through tcp-server --stdio.
cat > "$T/py.py" <<'PY'
import hashlib, socket, ssl, sys
port, tls, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=30),
                    server_hostname='localhost')
if mode == 'download':
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(1 << 20)
        if not b:                   # close_notify
            break
        h.update(b)
        n += len(b)
    print('%d %s' % (n, h.hexdigest()))
else:
    with open(path, 'rb') as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            s.sendall(b)
s.unwrap().close()                  # close_notify, then the server's
PY
for mode in download upload; do
	rm -f "$T/py.port"
	if [ "$mode" = download ]; then in=$T/data; else in=/dev/null; fi
	"$SOCKIT" tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
	    --tls-key "$TLS/server.key" --stdio --port-file "$T/py.port" \
	    < "$in" > "$T/pysrv.out" 2> "$T/pysrv.err" &
	pysrv=$!
	PIDS="$PIDS $pysrv"
	poll_until 10 test -s "$T/py.port" || fail "--stdio server: $(cat "$T/pysrv.err")"
	t0=$(now_ms)
	python3 "$T/py.py" "$(cat "$T/py.port")" "$TLS" "$mode" "$T/data" \
	    > "$T/py.out" 2> "$T/py.err" || bad "python3 $mode: $(cat "$T/py.err")"
	wait_exit "$pysrv" 30
	timed "python3 ssl $mode through tcp-server --tls --stdio" "$t0"
	[ "$RC" = 0 ] || bad "--stdio server ($mode): exit $RC: $(cat "$T/pysrv.err")"
	if [ "$mode" = download ]; then
		[ "$(cat "$T/py.out")" = "$SIZE $want" ] ||
		    bad "python3 download: $(cat "$T/py.out"), expected $SIZE $want"
	else
		same "python3 upload" "$T/pysrv.out"
	fi
done
exit "$FAILED"
