#!/bin/sh
# tcp-client --proxy-type http through a real HTTP proxy (tinyproxy,
# CONNECT): the tunnel works, a target banner arrives intact and first,
# Basic authentication (--proxy-auth, SOCKIT_PROXY_AUTH) works, a 407 or
# 401 answer exits 7, a CONNECT the proxy refuses or cannot make exits 3,
# 1 MiB goes both ways byte for byte, and TLS runs end to end through
# the tunnel.
#
# tinyproxy ends the whole tunnel at the first end of stream from either
# side, so a client that half-closes before the reply came may lose it:
# exchanges here use --send/--expect, or a stdin that stays open until
# the reply is in.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
need tinyproxy

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_tinyproxy NAME [CONFIG LINES...]: runs tinyproxy in the
# foreground (as a background job, log in $T/NAME.log) on a free port,
# with a config in $T/NAME.conf that allows CONNECT to the ports in
# $CONNECT_PORTS; waits until it accepts; sets NAME_PORT.  tinyproxy
# cannot report its port, so a port taken in between is retried.
start_tinyproxy() {
	name=$1
	shift
	tries=5
	while [ "$tries" -gt 0 ]; do
		port=$(free_port) || fail "no free port"
		{
			echo "Port $port"
			echo "Listen 127.0.0.1"
			echo "Allow 127.0.0.1"
			echo "Timeout 30"
			echo "MaxClients 20"
			echo "LogLevel Info"
			for p in $CONNECT_PORTS; do
				echo "ConnectPort $p"
			done
			for line in "$@"; do
				echo "$line"
			done
		} > "$T/$name.conf"
		tinyproxy -d -c "$T/$name.conf" > "$T/$name.log" 2>&1 &
		pid=$!
		PIDS="$PIDS $pid"
		if poll_until 10 proxy_up "$port" "$pid" && running "$pid"; then
			eval "${name}_PORT=$port"
			return 0
		fi
		tries=$((tries - 1))
	done
	fail "tinyproxy did not start: $(cat "$T/$name.log")"
}
proxy_up() {
	"$SOCKIT" tcp-client -z 127.0.0.1 "$1" 2> /dev/null || ! running "$2"
}
got_line() {
	grep -qx "$2" "$1" 2> /dev/null
}

start_server echo tcp-server 0
start_server ssh tcp-server 0 --banner 'SSH-2.0-test\r\n' --echo
tls_PORT=""
if have_tls; then
	tls_fixtures
	start_server tls tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
	    --tls-key "$TLS/server.key"
fi
dead=$(free_port)
closed=$(free_port)
# $dead is allowed but nobody listens there; $closed is not allowed.
CONNECT_PORTS="$echo_PORT $ssh_PORT $dead $tls_PORT"
start_tinyproxy open
start_tinyproxy auth "BasicAuth bob pw-Hk20q"
http() {
	sk 10 /dev/null tcp-client --proxy-type http "$@"
}

# 1. The tunnel.
http --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$echo_PORT" \
    --send 'hello http\n' --expect 'hello http' --timeout 5
[ "$RC" = 0 ] || fail "through tinyproxy: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "hello http" ] ||
    fail "through tinyproxy: printed '$(cat "$T/out")'"
grep -q "CONNECT 127.0.0.1:$echo_PORT HTTP/1.1" "$T/open.log" ||
    fail "tinyproxy logged no CONNECT: $(cat "$T/open.log")"

# 2. The banner, with a script and with stdin held open.
http --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$ssh_PORT" \
    --expect 'SSH-2.0-test' --send 'ping\n' --expect ping --timeout 5
[ "$RC" = 0 ] || fail "banner, script: exited $RC: $(cat "$T/err")"
printf 'SSH-2.0-test\r\nping\n' > "$T/want2"
cmp -s "$T/want2" "$T/out" ||
    fail "banner, script: printed $(od -c "$T/out" | head -3)"
mkfifo "$T/in2" || fail "mkfifo"
"$SOCKIT" tcp-client --proxy-type http --proxy "127.0.0.1:$open_PORT" \
    127.0.0.1 "$ssh_PORT" < "$T/in2" > "$T/out2" 2> "$T/err2" &
pid=$!
PIDS="$PIDS $pid"
exec 7> "$T/in2"
poll_until 10 got_line "$T/out2" "$(printf 'SSH-2.0-test\r')" ||
    fail "banner, stdin: no banner: $(cat "$T/out2" "$T/err2")"
printf 'ping\n' >&7
poll_until 10 got_line "$T/out2" ping ||
    fail "banner, stdin: no echo: $(cat "$T/out2" "$T/err2")"
exec 7>&-
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "banner, stdin: exited $RC: $(cat "$T/err2")"
cmp -s "$T/want2" "$T/out2" ||
    fail "banner, stdin: printed $(od -c "$T/out2" | head -3)"

# 3. Basic authentication: right (both ways of giving it), missing
#    (407), wrong (401).
http --proxy "127.0.0.1:$auth_PORT" --proxy-auth bob:pw-Hk20q 127.0.0.1 \
    "$echo_PORT" --send 'with auth\n' --expect 'with auth' --timeout 5
[ "$RC" = 0 ] || fail "--proxy-auth: exited $RC: $(cat "$T/err")"
SOCKIT_PROXY_AUTH=bob:pw-Hk20q "$SOCKIT" tcp-client --proxy-type http \
    --proxy "127.0.0.1:$auth_PORT" 127.0.0.1 "$echo_PORT" \
    --send 'env auth\n' --expect 'env auth' --timeout 5 < /dev/null \
    > "$T/out3" 2> "$T/err3"
rc=$?
[ "$rc" = 0 ] || fail "SOCKIT_PROXY_AUTH: exited $rc: $(cat "$T/err3")"
http --proxy "127.0.0.1:$auth_PORT" 127.0.0.1 "$echo_PORT"
[ "$RC" = 7 ] || fail "no credentials: exited $RC, expected 7: $(cat "$T/err")"
grep -q '407' "$T/err" || fail "no credentials: message: $(cat "$T/err")"
http --proxy "127.0.0.1:$auth_PORT" --proxy-auth bob:wrong 127.0.0.1 \
    "$echo_PORT"
[ "$RC" = 7 ] || fail "wrong password: exited $RC, expected 7: $(cat "$T/err")"
grep -q '401' "$T/err" || fail "wrong password: message: $(cat "$T/err")"

# 4. CONNECT to a port nobody listens on (tinyproxy answers 500), and to
#    a port the proxy does not allow (403): both 3, with the proxy's
#    words.
http --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$dead"
[ "$RC" = 3 ] || fail "CONNECT to a dead port: exited $RC, expected 3: $(cat "$T/err")"
grep -q 'the proxy said "HTTP/1.[01] 5' "$T/err" ||
    fail "CONNECT to a dead port: message: $(cat "$T/err")"
http --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$closed"
[ "$RC" = 3 ] || fail "CONNECT refused by the proxy: exited $RC, expected 3: $(cat "$T/err")"
grep -q '403' "$T/err" || fail "CONNECT refused by the proxy: message: $(cat "$T/err")"
# Nobody runs the proxy.
http --proxy "127.0.0.1:$closed" 127.0.0.1 "$echo_PORT"
[ "$RC" = 3 ] || fail "proxy not listening: exited $RC, expected 3: $(cat "$T/err")"

# 5. 1 MiB both ways, stdin closed only once the echo is all in.
cat > "$T/bulk.py" <<'PY'
import hashlib, os, subprocess, sys, threading
data = os.urandom(1 << 20)
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def feed():
    p.stdin.write(data)
    p.stdin.flush()
threading.Thread(target=feed, daemon=True).start()
timer = threading.Timer(30, p.kill)
timer.start()
got = bytearray()
while len(got) < len(data):
    b = p.stdout.read1(65536)
    if not b:
        break
    got += b
p.stdin.close()
rest = p.stdout.read()
rc = p.wait()
timer.cancel()
want, have = hashlib.sha256(data).hexdigest(), hashlib.sha256(got + rest).hexdigest()
if rc != 0 or want != have:
    sys.exit('1 MiB echo: client exit %d, got %d bytes (+%d after stdin EOF), '
             'sha256 %s, sent %s' % (rc, len(got), len(rest), have, want))
PY
python3 "$T/bulk.py" "$SOCKIT" tcp-client --proxy-type http \
    --proxy "127.0.0.1:$auth_PORT" --proxy-auth bob:pw-Hk20q 127.0.0.1 \
    "$echo_PORT" || fail "1 MiB through tinyproxy"

# TLS end to end through the CONNECT tunnel, verified (IP SAN).
if [ -n "$tls_PORT" ]; then
	python3 "$T/bulk.py" "$SOCKIT" tcp-client --proxy-type http \
	    --proxy "127.0.0.1:$auth_PORT" --proxy-auth bob:pw-Hk20q --tls \
	    --tls-ca "$TLS/ca.pem" 127.0.0.1 "$tls_PORT" ||
	    fail "1 MiB over TLS through tinyproxy"
else
	echo "no TLS in this build: TLS through the tunnel not checked"
fi
exit 0
