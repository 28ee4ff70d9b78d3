#!/bin/sh
# tcp-client --proxy through a real SOCKS5 proxy (microsocks): without
# and with username/password authentication (--proxy-auth, and
# SOCKIT_PROXY_AUTH, which keeps the password off the command line),
# the exit codes for refused credentials (7), a target the proxy cannot
# reach (3) and a proxy nobody runs (3), remote and local name
# resolution, a target banner arriving intact and first, 1 MiB both
# ways byte for byte, and TLS end to end through the tunnel.
#
# microsocks ends the whole tunnel at the first end of stream from either
# side, so a client that half-closes before the reply came may lose it:
# exchanges here use --send/--expect, or a stdin that stays open until
# the reply is in.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
need microsocks

# free_port: a port nobody listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_socks NAME [ARGS...]: starts microsocks on a free port, in the
# foreground as a background job (log in $T/NAME.log), and waits until
# it accepts; sets NAME_PORT.  microsocks cannot report its port, so a
# port another process took in between is retried (bounded).
start_socks() {
	name=$1
	shift
	tries=5
	while [ "$tries" -gt 0 ]; do
		port=$(free_port) || fail "no free port"
		microsocks -i 127.0.0.1 -p "$port" "$@" > "$T/$name.log" 2>&1 &
		pid=$!
		PIDS="$PIDS $pid"
		if poll_until 10 socks_up "$port" "$pid"; then
			if running "$pid"; then
				eval "${name}_PORT=$port"
				return 0
			fi
		fi
		tries=$((tries - 1))
	done
	fail "microsocks did not start: $(cat "$T/$name.log")"
}
# Up, or gone (a port taken in between): either ends the wait.
socks_up() {
	"$SOCKIT" tcp-client -z 127.0.0.1 "$1" 2> /dev/null || ! running "$2"
}

start_server echo tcp-server 0
start_server ssh tcp-server 0 --banner 'SSH-2.0-test\r\n' --echo
start_socks open
start_socks auth -u bob -P 'pw-Zq81x'
dead=$(free_port)

# 1. No authentication: a --send/--expect exchange through the tunnel.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" 127.0.0.1 \
    "$echo_PORT" --send 'hello socks\n' --expect 'hello socks' --timeout 5
[ "$RC" = 0 ] || fail "through microsocks: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "hello socks" ] ||
    fail "through microsocks: printed '$(cat "$T/out")'"

# 2. Username and password, on the command line.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$auth_PORT" --proxy-auth \
    bob:pw-Zq81x --proxy-type socks5 127.0.0.1 "$echo_PORT" \
    --send 'with auth\n' --expect 'with auth' --timeout 5
[ "$RC" = 0 ] || fail "--proxy-auth bob:...: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "with auth" ] ||
    fail "--proxy-auth: printed '$(cat "$T/out")'"

# 3. From SOCKIT_PROXY_AUTH: works, and the password is in the client's
#    environment but not on its command line (ps, /proc/PID/cmdline).
#    stdin is a FIFO held open until the echo came back.
mkfifo "$T/in3" || fail "mkfifo"
SOCKIT_PROXY_AUTH=bob:pw-Zq81x "$SOCKIT" tcp-client \
    --proxy "127.0.0.1:$auth_PORT" 127.0.0.1 "$echo_PORT" \
    < "$T/in3" > "$T/out3" 2> "$T/err3" &
pid=$!
PIDS="$PIDS $pid"
exec 7> "$T/in3"
printf 'env auth\n' >&7
got_line() {
	grep -qx "$2" "$1" 2> /dev/null
}
poll_until 10 got_line "$T/out3" 'env auth' ||
    fail "SOCKIT_PROXY_AUTH: no echo: $(cat "$T/out3" "$T/err3")"
tr '\0' ' ' < "/proc/$pid/cmdline" > "$T/cmdline"
grep -q 'pw-Zq81x' "$T/cmdline" &&
    fail "SOCKIT_PROXY_AUTH: the password is on the command line: $(cat "$T/cmdline")"
if command -v ps > /dev/null 2>&1; then
	ps -ww -o args= -p "$pid" > "$T/ps"
	grep -q "$SOCKIT" "$T/ps" || fail "ps does not show the client: $(cat "$T/ps")"
	grep -q 'pw-Zq81x' "$T/ps" && fail "ps shows the password: $(cat "$T/ps")"
fi
tr '\0' '\n' < "/proc/$pid/environ" | grep -qx 'SOCKIT_PROXY_AUTH=bob:pw-Zq81x' ||
    fail "SOCKIT_PROXY_AUTH is not in the client's environment"
exec 7>&-
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "SOCKIT_PROXY_AUTH client exited $RC: $(cat "$T/err3")"

# 4. Refused credentials: 7, with the reason.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$auth_PORT" \
    --proxy-auth bob:wrong 127.0.0.1 "$echo_PORT"
[ "$RC" = 7 ] || fail "wrong password: exited $RC, expected 7: $(cat "$T/err")"
grep -q 'refused the username or password' "$T/err" ||
    fail "wrong password: message: $(cat "$T/err")"
SOCKIT_PROXY_AUTH=bob:wrong "$SOCKIT" tcp-client \
    --proxy "127.0.0.1:$auth_PORT" 127.0.0.1 "$echo_PORT" < /dev/null \
    > /dev/null 2> "$T/err"
rc=$?
[ "$rc" = 7 ] || fail "wrong SOCKIT_PROXY_AUTH: exited $rc, expected 7: $(cat "$T/err")"
# Authentication required, none given.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$auth_PORT" 127.0.0.1 "$echo_PORT"
[ "$RC" = 7 ] || fail "no credentials for an auth proxy: exited $RC, expected 7: $(cat "$T/err")"
grep -q 'requires authentication' "$T/err" ||
    fail "no credentials: message: $(cat "$T/err")"

# 5. The proxy cannot reach the target: 3; nobody runs the proxy: 3.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$dead"
[ "$RC" = 3 ] || fail "target refused through the proxy: exited $RC, expected 3: $(cat "$T/err")"
grep -q "via proxy 127.0.0.1:$open_PORT" "$T/err" ||
    fail "target refused: message does not name the proxy: $(cat "$T/err")"
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$dead" 127.0.0.1 "$echo_PORT"
[ "$RC" = 3 ] || fail "proxy not listening: exited $RC, expected 3: $(cat "$T/err")"

# 6. Name resolution: by default the proxy resolves the target's name
#    (microsocks logs "connected to localhost:PORT"); --proxy-dns local
#    sends the address (microsocks logs 127.0.0.1:PORT).
if [ "$(getent ahosts localhost 2> /dev/null | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ]; then
	# count WHAT: lines of the proxy's log naming the target WHAT.
	count() {
		grep -c "connected to $1:$echo_PORT\$" "$T/open.log"
	}
	more() {
		[ "$(count "$1")" -gt "$2" ]
	}
	by_name=$(count localhost)
	by_addr=$(count 127.0.0.1)
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" localhost \
	    "$echo_PORT" --send 'remote dns\n' --expect 'remote dns' --timeout 5
	[ "$RC" = 0 ] || fail "remote DNS: exited $RC: $(cat "$T/err")"
	poll_until 5 more localhost "$by_name" ||
	    fail "remote DNS: microsocks did not get the name: $(cat "$T/open.log")"
	[ "$(count 127.0.0.1)" = "$by_addr" ] ||
	    fail "remote DNS: microsocks got an address: $(cat "$T/open.log")"
	by_name=$(count localhost)
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" \
	    --proxy-dns local localhost "$echo_PORT" --send 'local dns\n' \
	    --expect 'local dns' --timeout 5
	[ "$RC" = 0 ] || fail "--proxy-dns local: exited $RC: $(cat "$T/err")"
	poll_until 5 more 127.0.0.1 "$by_addr" ||
	    fail "--proxy-dns local: microsocks got no address: $(cat "$T/open.log")"
	[ "$(count localhost)" = "$by_name" ] ||
	    fail "--proxy-dns local sent the name: $(cat "$T/open.log")"
else
	echo "localhost is not 127.0.0.1 first here: DNS cases skipped"
fi

# 7. A banner the target sends on accept arrives first and intact, with
#    a script and with stdin (held open until the echo came back).
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" 127.0.0.1 \
    "$ssh_PORT" --expect 'SSH-2.0-test' --send 'ping\n' --expect ping \
    --timeout 5
[ "$RC" = 0 ] || fail "banner, script: exited $RC: $(cat "$T/err")"
printf 'SSH-2.0-test\r\nping\n' > "$T/want7"
cmp -s "$T/want7" "$T/out" ||
    fail "banner, script: printed $(od -c "$T/out" | head -3)"
mkfifo "$T/in7" || fail "mkfifo"
"$SOCKIT" tcp-client --proxy "127.0.0.1:$open_PORT" 127.0.0.1 "$ssh_PORT" \
    < "$T/in7" > "$T/out7" 2> "$T/err7" &
pid=$!
PIDS="$PIDS $pid"
exec 7> "$T/in7"
poll_until 10 got_line "$T/out7" "$(printf 'SSH-2.0-test\r')" ||
    fail "banner, stdin: no banner: $(cat "$T/out7" "$T/err7")"
printf 'ping\n' >&7
poll_until 10 got_line "$T/out7" ping ||
    fail "banner, stdin: no echo: $(cat "$T/out7" "$T/err7")"
exec 7>&-
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "banner, stdin: exited $RC: $(cat "$T/err7")"
cmp -s "$T/want7" "$T/out7" ||
    fail "banner, stdin: printed $(od -c "$T/out7" | head -3)"

# 8. 1 MiB both ways through the tunnel, byte for byte: a python3
#    driver writes it to the client's stdin and reads the echo from its
#    stdout; stdin is closed only once all of it came back.
cat > "$T/bulk.py" <<'PY'
import hashlib, os, subprocess, sys, threading
argv = sys.argv[1:]
data = os.urandom(1 << 20)
p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
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
print('1 MiB both ways, sha256 %s' % want)
PY
python3 "$T/bulk.py" "$SOCKIT" tcp-client --proxy "127.0.0.1:$auth_PORT" \
    --proxy-auth bob:pw-Zq81x 127.0.0.1 "$echo_PORT" ||
    fail "1 MiB through microsocks"

# TLS end to end through the tunnel: the client verifies the server's
# certificate (its IP SAN 127.0.0.1) through the proxy, and 1 MiB goes
# both ways; a wrong name is still exit 7 through the proxy.
if have_tls; then
	tls_fixtures
	start_server tls tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
	    --tls-key "$TLS/server.key"
	python3 "$T/bulk.py" "$SOCKIT" tcp-client --proxy "127.0.0.1:$auth_PORT" \
	    --proxy-auth bob:pw-Zq81x --tls --tls-ca "$TLS/ca.pem" 127.0.0.1 \
	    "$tls_PORT" || fail "1 MiB over TLS through microsocks"
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$open_PORT" --tls \
	    --tls-ca "$TLS/ca.pem" --tls-name other.example 127.0.0.1 "$tls_PORT"
	[ "$RC" = 7 ] || fail "TLS name mismatch through microsocks: exit $RC: $(cat "$T/err")"
else
	echo "no TLS in this build: TLS through the tunnel not checked"
fi
exit 0
