#!/bin/sh
# TLS interop, both ways, with the other TLS implementations at hand:
# openssl s_server / s_client, socat OPENSSL(-LISTEN), ncat --ssl and
# python3's ssl module.  Each exchange is checked byte for byte, and the
# half-close of SPEC 9 (at end of input send close_notify, keep reading)
# is shown with peers that answer only after it: socat's EXEC:'tr a-z
# A-Z' and sockit's --sh-exec 'tr a-z A-Z' print nothing before end of
# input.
#
# ncat 7.93 cannot half-close TLS: it ends the whole connection at the
# end of its input, and without close_notify.  So its exchanges use
# --send/--expect or keep ncat's input open until the answer is in, and
# a sockit client of "ncat -l < file" needs --tls-allow-truncation to
# exit 0 (without it, exit 1 "truncated", as SPEC 9 says).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
need socat
if command -v ncat > /dev/null 2>&1; then
	NCAT=ncat
else
	NCAT=
	echo "ncat not installed: its cases are skipped"
fi
tls_fixtures
ca="--tls-ca $TLS/ca.pem"
srv="--tls-cert $TLS/server.pem --tls-key $TLS/server.key"
printf 'hello\nworld\n' > "$T/hw"

# check WHAT WANT-FILE GOT-FILE
check() {
	cmp -s "$2" "$3" && return
	if [ "$(wc -c < "$2")" -gt 100 ]; then
		bad "$1: got $(wc -c < "$3") bytes, not the $(wc -c < "$2") sent"
	else
		bad "$1: got '$(cat "$3")', expected '$(cat "$2")'"
	fi
}

# bg NAME IN CMD...: CMD in the background, stdin IN, output in
# $T/NAME.out and $T/NAME.err; sets BG.
bg() {
	name=$1 in=$2
	shift 2
	"$@" < "$in" > "$T/$name.out" 2> "$T/$name.err" &
	BG=$!
	PIDS="$PIDS $BG"
}

# ---- sockit tcp-client against other servers ----

# 1. openssl s_server -rev (each line reversed): the client's
#    close_notify comes right after its input, the answers after it.
mkfifo "$T/ss.fifo"
openssl s_server -accept 127.0.0.1:0 -cert "$TLS/server.pem" -key "$TLS/server.key" \
    -rev 0<> "$T/ss.fifo" > "$T/ss.out" 2> "$T/ss.err" &
PIDS="$PIDS $!"
ss_port() {
	sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/ss.out" 2> /dev/null
}
has_ss_port() {
	[ -n "$(ss_port)" ]
}
poll_until 10 has_ss_port || fail "openssl s_server: $(cat "$T/ss.err")"
printf 'olleh\ndlrow\n' > "$T/want"
sk 10 "$T/hw" tcp-client --tls $ca localhost "$(ss_port)"
[ "$RC" = 0 ] || bad "client -> s_server -rev: exit $RC: $(cat "$T/err")"
check "client -> s_server -rev" "$T/want" "$T/out"

# 2. socat OPENSSL-LISTEN with EXEC:'tr a-z A-Z': the answer exists only
#    after the client's close_notify reached tr as end of input.
socat -d -d "OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=$TLS/server.pem,key=$TLS/server.key,verify=0" \
    EXEC:'tr a-z A-Z' 2> "$T/socat.err" &
PIDS="$PIDS $!"
socat_port() {
	sed -n 's/.*listening on AF=2 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/socat.err" |
	    head -n 1
}
has_socat_port() {
	[ -n "$(socat_port)" ]
}
poll_until 10 has_socat_port || fail "socat OPENSSL-LISTEN: $(cat "$T/socat.err")"
printf 'HELLO\nWORLD\n' > "$T/upper"
sk 10 "$T/hw" tcp-client --tls $ca localhost "$(socat_port)"
[ "$RC" = 0 ] || bad "client -> socat tr: exit $RC: $(cat "$T/err")"
check "client -> socat EXEC:tr (half-close)" "$T/upper" "$T/out"
sk 10 "$T/hw" tcp-client --tls $ca 127.0.0.1 "$(socat_port)"
[ "$RC" = 0 ] || bad "client -> socat tr by IP: exit $RC: $(cat "$T/err")"
check "client -> socat EXEC:tr by IP" "$T/upper" "$T/out"

# 3. ncat --ssl -l -k --sh-exec: a --send/--expect dialogue (the client
#    half-closes after the last step, when the answer is in).
if [ -n "$NCAT" ]; then
	nport=$(free_port)
	start_peer ncat "$nport" ncat --ssl -l 127.0.0.1 "$nport" \
	    --ssl-cert "$TLS/server.pem" --ssl-key "$TLS/server.key" -k \
	    --sh-exec 'read x; echo "got $x"'
	sk 10 /dev/null tcp-client --tls $ca localhost "$nport" --send 'hello\n' \
	    --expect 'got hello' --timeout 5
	[ "$RC" = 0 ] || bad "client -> ncat --sh-exec: exit $RC: $(cat "$T/err")"
	[ "$(cat "$T/out")" = "got hello" ] || bad "client -> ncat --sh-exec: '$(cat "$T/out")'"

	# 4. "ncat --ssl -l < file": ncat sends the file and closes without
	#    close_notify: exit 1 "truncated", or 0 with --tls-allow-truncation;
	#    the file arrives whole both times.  --recv-only: ncat stops sending
	#    once it gets a close_notify, as it stops at a TCP half-close.
	head -c 300000 /dev/urandom > "$T/file"
	for opt in "" --tls-allow-truncation; do
		nport=$(free_port)
		ncat --ssl -l 127.0.0.1 "$nport" --ssl-cert "$TLS/server.pem" \
		    --ssl-key "$TLS/server.key" < "$T/file" > "$T/nl.out" 2> "$T/nl.err" &
		PIDS="$PIDS $!"
		poll_until 10 tcp_listening "$nport" || fail "ncat -l: $(cat "$T/nl.err")"
		sk 10 /dev/null tcp-client --tls $ca --recv-only $opt localhost "$nport"
		if [ -z "$opt" ]; then
			[ "$RC" = 1 ] || bad "client <- ncat -l < file: exit $RC, expected 1: $(cat "$T/err")"
			grep -q 'truncated: connection closed without close_notify' "$T/err" ||
			    bad "client <- ncat -l < file: $(cat "$T/err")"
		else
			[ "$RC" = 0 ] || bad "client $opt <- ncat -l < file: exit $RC: $(cat "$T/err")"
		fi
		check "client $opt <- ncat -l < file" "$T/file" "$T/out"
	done
fi

# 5. A python3 ssl echo server: 1 MiB from the client, echoed while it
#    is sent; the client's close_notify ends the echo, the server's own
#    close_notify ends the client.
cat > "$T/pyecho.py" <<'PY'
import os, socket, ssl, sys, threading
tls, pf = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls + '/server.pem', tls + '/server.key')
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(8)
with open(pf + '.tmp', 'w') as f:
    f.write('%d\n' % ls.getsockname()[1])
os.rename(pf + '.tmp', pf)
def serve(c):
    c.settimeout(20)
    try:
        s = ctx.wrap_socket(c, server_side=True)
        while True:
            b = s.recv(65536)
            if not b:            # close_notify
                break
            s.sendall(b)
        s.unwrap().close()
    except (OSError, ssl.SSLError) as e:
        print('python echo: %r' % e, file=sys.stderr)
        c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/pyecho.py" "$TLS" "$T/pyecho.port" 2> "$T/pyecho.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/pyecho.port" || fail "python3 echo server: $(cat "$T/pyecho.err")"
head -c 1048576 /dev/urandom > "$T/mib"
sk 20 "$T/mib" tcp-client --tls $ca localhost "$(cat "$T/pyecho.port")"
[ "$RC" = 0 ] || bad "client -> python3 echo: exit $RC: $(cat "$T/err")"
check "client -> python3 echo (1 MiB)" "$T/mib" "$T/out"

# ---- other clients against sockit tcp-server --tls ----

# shellcheck disable=SC2086
start_server shtr tcp-server 0 --tls $srv --sh-exec 'tr a-z A-Z'
# shellcheck disable=SC2086
start_server upper tcp-server 0 --tls $srv --upper
# shellcheck disable=SC2086
start_server reply tcp-server 0 --tls $srv --sh-exec 'read x; echo "got $x"'
# shellcheck disable=SC2086
start_server banner tcp-server 0 --tls $srv --banner 'Welcome over TLS\n'
# shellcheck disable=SC2086
start_server echo tcp-server 0 -v --tls $srv

# 6. socat OPENSSL: its close_notify at end of input is the end of tr's
#    input; the answer comes after it.
for s in shtr upper; do
	eval "port=\$${s}_PORT"
	bg socat "$T/hw" socat -t 10 - "OPENSSL:127.0.0.1:$port,cafile=$TLS/ca.pem"
	wait_exit "$BG" 10
	[ "$RC" = 0 ] || bad "socat -> $s: exit $RC: $(cat "$T/socat.err")"
	check "socat -> server $s (half-close)" "$T/upper" "$T/socat.out"
done

# 7. openssl s_client -ign_eof (it never sends close_notify itself): a
#    program that answers and exits, and a banner; the server's
#    close_notify ends s_client.
printf 'hello\n' > "$T/h"
bg sc "$T/h" openssl s_client -connect "127.0.0.1:$reply_PORT" \
    -CAfile "$TLS/ca.pem" -verify_return_error -quiet -ign_eof
wait_exit "$BG" 10
[ "$RC" = 0 ] || bad "s_client -> --sh-exec: exit $RC: $(cat "$T/sc.err")"
[ "$(cat "$T/sc.out")" = "got hello" ] || bad "s_client -> --sh-exec: '$(cat "$T/sc.out")'"
bg sc /dev/null openssl s_client -connect "127.0.0.1:$banner_PORT" \
    -CAfile "$TLS/ca.pem" -verify_return_error -quiet -ign_eof
wait_exit "$BG" 10
[ "$RC" = 0 ] || bad "s_client -> --banner: exit $RC: $(cat "$T/sc.err")"
[ "$(cat "$T/sc.out")" = "Welcome over TLS" ] || bad "s_client -> --banner: '$(cat "$T/sc.out")'"

# 8. ncat --ssl --ssl-verify: its input stays open (a FIFO) until the
#    echo is in, then ends; ncat then closes without close_notify and
#    the server logs the truncation.
if [ -n "$NCAT" ]; then
	mkfifo "$T/nc.fifo"
	ncat --ssl --ssl-verify --ssl-trustfile "$TLS/ca.pem" localhost "$echo_PORT" \
	    < "$T/nc.fifo" > "$T/nc.out" 2> "$T/nc.err" &
	ncpid=$!
	PIDS="$PIDS $ncpid"
	exec 7> "$T/nc.fifo"
	printf 'hello\n' >&7
	poll_until 10 grep -q hello "$T/nc.out" || bad "ncat -> echo: '$(cat "$T/nc.out")' $(cat "$T/nc.err")"
	exec 7>&-
	wait_exit "$ncpid" 10
	[ "$RC" = 0 ] || bad "ncat -> echo: exit $RC: $(cat "$T/nc.err")"
	[ "$(cat "$T/nc.out")" = hello ] || bad "ncat -> echo: '$(cat "$T/nc.out")'"
	poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=6 out=6 [0-9.]*s: TLS: truncated: connection closed without close_notify$' \
	    "$T/echo.err" || bad "ncat's end was not logged as a truncation: $(cat "$T/echo.err")"
	# ncat against the banner server: the banner and a clean end.
	bg ncb /dev/null ncat --ssl --ssl-verify --ssl-trustfile "$TLS/ca.pem" \
	    --recv-only localhost "$banner_PORT"
	wait_exit "$BG" 10
	[ "$RC" = 0 ] && [ "$(cat "$T/ncb.out")" = "Welcome over TLS" ] ||
	    bad "ncat -> --banner: exit $RC, '$(cat "$T/ncb.out")' $(cat "$T/ncb.err")"
fi

# 9. python3 ssl: messages of uneven sizes, each echoed back before the
#    next, then close_notify both ways (unwrap).
cat > "$T/pyclient.py" <<'PY'
import os, socket, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=20),
                    server_hostname='localhost')
n, total = 1, 0
while total < 1 << 20:
    msg = os.urandom(n)
    s.sendall(msg)
    got = b''
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            sys.exit('closed after %d bytes' % total)
        got += b
    if got != msg:
        sys.exit('message of %d bytes echoed wrong' % n)
    total += n
    n = n * 3 + 1 if n < 100000 else 1
s.unwrap().close()
print('python3 client: %d bytes echoed' % total)
PY
python3 "$T/pyclient.py" "$echo_PORT" "$TLS" > "$T/pyc.out" 2>&1 ||
    bad "python3 client -> echo: $(cat "$T/pyc.out")"
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=[0-9]* out=[0-9]* [0-9.]*s$' \
    "$T/echo.err" || bad "python3's clean end: $(cat "$T/echo.err")"
exit "$FAILED"
