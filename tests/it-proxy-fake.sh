#!/bin/sh
# tcp-client --proxy against scripted proxies (python3), for what a real
# proxy cannot be made to do on cue: the target's first bytes in the
# same segment as the proxy's reply (SOCKS5 with an IPv4, IPv6 or name
# bound address, the reply in pieces; HTTP with headers), a malformed
# reply (exit 5), a proxy that never answers (exit 4, bounded by -w),
# refusals (3) and 407 (7).  It also checks the requests sockit sends
# byte for byte (RFC 1928 greeting and CONNECT, RFC 1929 credentials,
# HTTP CONNECT with Basic auth), the dumps (-o, -x) of a tunnel, and the
# usage errors of the proxy options (exit 2).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

cat > "$T/fake.py" <<'PY'
"""One listening socket per MODE; each connection is served as its
socket's mode says.  Writes "MODE PORT" lines to PORTFILE once all
listen; appends what clients sent to LOG as "MODE WHAT HEX" lines."""
import os, socket, sys, threading, time
portfile, log, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
BANNER = b'BANNER-1\r\n'
lock = threading.Lock()

def record(mode, what, data):
    with lock, open(log, 'a') as f:
        f.write('%s %s %s\n' % (mode, what, data.hex()))

def recv_exact(c, n):
    b = b''
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise EOFError('EOF after %r' % b)
        b += x
    return b

def echo_to_eof(c):
    while True:
        b = c.recv(65536)
        if not b:
            return
        c.sendall(b)

def socks(mode, c):
    g = recv_exact(c, 2)
    g += recv_exact(c, g[1])
    record(mode, 'greeting', g)
    if mode == 'socks-garbage':
        c.sendall(b'HTTP/1.0 400 Bad Request\r\n\r\n')
        return
    if mode == 'socks-silent':
        echo_to_eof(c)
        return
    if mode == 'socks-auth':
        c.sendall(b'\x05\x02')
        v = recv_exact(c, 2)
        u = recv_exact(c, v[1])
        pl = recv_exact(c, 1)
        record(mode, 'auth', v + u + pl + recv_exact(c, pl[0]))
        c.sendall(b'\x01\x00')
    else:
        c.sendall(b'\x05\x00')
    h = recv_exact(c, 4)
    if h[3] == 1:
        rest = recv_exact(c, 6)
    elif h[3] == 4:
        rest = recv_exact(c, 18)
    else:
        n = recv_exact(c, 1)
        rest = n + recv_exact(c, n[0] + 2)
    record(mode, 'connect', h + rest)
    if mode == 'socks-badatyp':
        c.sendall(b'\x05\x00\x00\x09\x00\x00')
        return
    if mode == 'socks-refused':
        c.sendall(b'\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00')
        return
    if mode == 'socks-name':
        # A name as the bound address, the reply in three pieces, the
        # banner with the last one.
        r = b'\x05\x00\x00\x03\x0dproxy.example\x04\x38'
        for piece in (r[:3], r[3:9], r[9:] + BANNER):
            c.sendall(piece)
            time.sleep(0.05)
    elif mode == 'socks-v6':
        c.sendall(b'\x05\x00\x00\x04' + bytes(15) + b'\x01\x04\x38' + BANNER)
    else:
        c.sendall(b'\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38' + BANNER)
    echo_to_eof(c)

def http(mode, c):
    head = b''
    while b'\r\n\r\n' not in head:
        b = c.recv(4096)
        if not b:
            return
        head += b
    record(mode, 'request', head)
    if mode == 'http-silent':
        echo_to_eof(c)
    elif mode == 'http-407':
        c.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\n'
                  b'Proxy-Authenticate: Basic realm="fake"\r\n\r\n')
    elif mode == 'http-garbage':
        c.sendall(b'SSH-2.0-OpenSSH_9.2\r\n\r\n')
    elif mode == 'http-502':
        c.sendall(b'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
    else:
        c.sendall(b'HTTP/1.1 200 Connection established\r\n'
                  b'Proxy-agent: fake\r\n\r\n' + BANNER)
        echo_to_eof(c)

def serve(mode, c):
    try:
        (socks if mode.startswith('socks') else http)(mode, c)
    except (EOFError, OSError) as e:
        record(mode, 'error', str(e).encode())
    finally:
        c.close()

def listen(mode, s):
    while True:
        c, _ = s.accept()
        c.settimeout(20)
        threading.Thread(target=serve, args=(mode, c), daemon=True).start()

lines = []
for mode in modes:
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(16)
    lines.append('%s %d\n' % (mode, s.getsockname()[1]))
    threading.Thread(target=listen, args=(mode, s), daemon=True).start()
with open(portfile + '.tmp', 'w') as f:
    f.writelines(lines)
os.rename(portfile + '.tmp', portfile)
threading.Event().wait(120)
PY
python3 "$T/fake.py" "$T/fake.ports" "$T/fake.log" socks socks-auth \
    socks-name socks-v6 socks-garbage socks-badatyp socks-refused \
    socks-silent http http-407 http-garbage http-502 http-silent \
    2> "$T/fake.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/fake.ports" ||
    fail "fake proxies did not start: $(cat "$T/fake.err")"
port_of() {
	awk -v m="$1" '$1 == m { print $2 }' "$T/fake.ports"
}
# sent MODE WHAT: the hex of the last WHAT a client sent to MODE.
sent() {
	awk -v m="$1" -v w="$2" '$1 == m && $2 == w { h = $3 } END { print h }' \
	    "$T/fake.log"
}
# hex TEXT: the hex of TEXT, escapes decoded by printf.
hex() {
	# shellcheck disable=SC2059
	printf "$1" | od -An -tx1 | tr -d ' \n'
}
printf 'BANNER-1\r\n' > "$T/banner"

# 1. The target's first bytes come in the segment of the proxy's reply:
#    they reach stdout intact and first, with stdin and with a script.
for m in socks socks-auth socks-name socks-v6 http; do
	type=socks5
	case $m in http*) type=http ;; esac
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of $m)" \
	    --proxy-type $type --proxy-auth u:p target.example 80
	[ "$RC" = 0 ] || fail "$m: exited $RC: $(cat "$T/err")"
	cmp -s "$T/banner" "$T/out" || fail "$m: printed $(od -c "$T/out" | head -3)"
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of $m)" \
	    --proxy-type $type --proxy-auth u:p target.example 80 \
	    --expect 'BANNER-1\r\n' --send 'ping\n' --expect 'ping\n' \
	    --timeout 5
	[ "$RC" = 0 ] || fail "$m, script: exited $RC: $(cat "$T/err")"
	printf 'BANNER-1\r\nping\n' > "$T/want"
	cmp -s "$T/want" "$T/out" ||
	    fail "$m, script: printed $(od -c "$T/out" | head -3)"
done
# With --sh-exec, the program reads them first, and its SOCKIT_PEER is
# the target, not the proxy.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of socks)" \
    target.example 80 --sh-exec "IFS= read -r l; printf '%s\\n' \"\$l\" > $T/exec.got; echo \"\$SOCKIT_PEER\" > $T/exec.peer; exit 6"
[ "$RC" = 6 ] || fail "--sh-exec through the proxy: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/exec.got")" = "$(printf 'BANNER-1\r')" ] ||
    fail "--sh-exec through the proxy: the program read $(od -c "$T/exec.got" | head -2)"
[ "$(cat "$T/exec.peer")" = target.example:80 ] ||
    fail "--sh-exec through the proxy: SOCKIT_PEER is '$(cat "$T/exec.peer")', expected target.example:80"

# 2. The requests, byte for byte.  SOCKS5: no auth offered without
#    credentials; with them, no auth and username/password, then
#    RFC 1929 version 1; the target's name goes to the proxy (ATYP 3),
#    or with --proxy-dns local its address (ATYP 1).
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of socks)" \
    target.example 80
[ "$(sent socks greeting)" = 050100 ] ||
    fail "greeting without credentials: $(sent socks greeting)"
[ "$(sent socks connect)" = "050100030e$(hex target.example)0050" ] ||
    fail "CONNECT with remote DNS: $(sent socks connect)"
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of socks-auth)" \
    --proxy-auth bob:pw-1 127.0.0.1 443
[ "$(sent socks-auth greeting)" = 05020002 ] ||
    fail "greeting with credentials: $(sent socks-auth greeting)"
[ "$(sent socks-auth auth)" = "0103$(hex bob)04$(hex pw-1)" ] ||
    fail "RFC 1929 request: $(sent socks-auth auth)"
[ "$(sent socks-auth connect)" = 050100017f00000101bb ] ||
    fail "CONNECT to an IPv4 address: $(sent socks-auth connect)"
sk 10 /dev/null tcp-client -4 --proxy "127.0.0.1:$(port_of socks)" \
    --proxy-dns local localhost 8080
[ "$RC" = 0 ] || fail "--proxy-dns local: exited $RC: $(cat "$T/err")"
[ "$(sent socks connect)" = 050100017f0000011f90 ] ||
    fail "CONNECT with --proxy-dns local: $(sent socks connect)"
# HTTP: CONNECT host:port, Host, and Basic credentials (from the
# environment here).
SOCKIT_PROXY_AUTH='bob:pa ss' "$SOCKIT" tcp-client --proxy-type http \
    --proxy "127.0.0.1:$(port_of http)" target.example 8443 < /dev/null \
    > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 0 ] || fail "HTTP with SOCKIT_PROXY_AUTH: exited $rc: $(cat "$T/err")"
want=$(hex 'CONNECT target.example:8443 HTTP/1.1\r\nHost: target.example:8443\r\nProxy-Authorization: Basic Ym9iOnBhIHNz\r\n\r\n')
[ "$(sent http request)" = "$want" ] ||
    fail "HTTP CONNECT request: $(sent http request | xxd -r -p 2>/dev/null || sent http request)"

# 3. Malformed replies: 5.  A refusal of the target: 3.  407: 7.
for m in socks-garbage socks-badatyp http-garbage; do
	type=socks5
	case $m in http*) type=http ;; esac
	sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of $m)" \
	    --proxy-type $type target.example 80
	[ "$RC" = 5 ] || fail "$m: exited $RC, expected 5: $(cat "$T/err")"
	[ "$(wc -l < "$T/err")" = 1 ] || fail "$m: not one line: $(cat "$T/err")"
done
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of socks-refused)" \
    target.example 80
[ "$RC" = 3 ] || fail "SOCKS5 reply 5 (refused): exited $RC, expected 3: $(cat "$T/err")"
grep -q 'connection refused' "$T/err" || fail "SOCKS5 refused: message: $(cat "$T/err")"
sk 10 /dev/null tcp-client --proxy-type http \
    --proxy "127.0.0.1:$(port_of http-502)" target.example 80
[ "$RC" = 3 ] || fail "HTTP 502: exited $RC, expected 3: $(cat "$T/err")"
sk 10 /dev/null tcp-client --proxy-type http \
    --proxy "127.0.0.1:$(port_of http-407)" target.example 80
[ "$RC" = 7 ] || fail "HTTP 407: exited $RC, expected 7: $(cat "$T/err")"

# 4. A proxy that accepts and never answers: 4 after -w 1, well within
#    bounds.
for m in socks-silent http-silent; do
	type=socks5
	case $m in http*) type=http ;; esac
	t0=$(date +%s)
	sk 10 /dev/null tcp-client -w 1 --proxy "127.0.0.1:$(port_of $m)" \
	    --proxy-type $type target.example 80
	t1=$(date +%s)
	[ "$RC" = 4 ] || fail "$m with -w 1: exited $RC, expected 4: $(cat "$T/err")"
	[ $((t1 - t0)) -le 4 ] || fail "$m with -w 1 took $((t1 - t0)) s"
	grep -q 'did not answer in time' "$T/err" ||
	    fail "$m: message: $(cat "$T/err")"
done

# 5. Dumps through a tunnel: the early bytes are the first record, the
#    handshake is not in them.  The script sends after the banner came,
#    so the order is fixed.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$(port_of socks)" \
    target.example 80 -o "$T/raw" -x "$T/hex" --expect 'BANNER-1\r\n' \
    --send 'ping\n' --expect 'ping\n' --timeout 5
[ "$RC" = 0 ] || fail "dumps through the proxy: exited $RC: $(cat "$T/err")"
printf 'BANNER-1\r\nping\nping\n' > "$T/want"
cmp -s "$T/want" "$T/raw" || fail "-o through the proxy: $(od -c "$T/raw" | head -3)"
cat > "$T/want" <<'EOF'
< target.example:80 0+10
00000000  42 41 4e 4e 45 52 2d 31  0d 0a                    |BANNER-1..|
> target.example:80 0+5
00000000  70 69 6e 67 0a                                    |ping.|
< target.example:80 10+5
0000000a  70 69 6e 67 0a                                    |ping.|
EOF
cmp -s "$T/want" "$T/hex" || fail "-x through the proxy:
$(cat "$T/hex")
expected:
$(cat "$T/want")"

# 6. Usage errors: 2, before anything is dialed.
for args in "--proxy-type http" "--proxy-auth u:p" "--proxy-dns local" \
    "--proxy 127.0.0.1:1 --proxy-type ftp" \
    "--proxy 127.0.0.1:1 --proxy-dns maybe" \
    "--proxy 127.0.0.1:1 --proxy-auth nocolon" \
    "--proxy 127.0.0.1:1 --proxy-auth :nouser" \
    "--proxy nohostport"; do
	# shellcheck disable=SC2086
	sk 10 /dev/null tcp-client $args 127.0.0.1 9
	[ "$RC" = 2 ] || fail "tcp-client $args: exited $RC, expected 2: $(cat "$T/err")"
done
SOCKIT_PROXY_AUTH=nocolon "$SOCKIT" tcp-client --proxy 127.0.0.1:1 \
    127.0.0.1 9 < /dev/null > /dev/null 2> "$T/err"
rc=$?
[ "$rc" = 2 ] || fail "SOCKIT_PROXY_AUTH=nocolon: exited $rc, expected 2"
grep -q SOCKIT_PROXY_AUTH "$T/err" || fail "SOCKIT_PROXY_AUTH=nocolon: message: $(cat "$T/err")"
# unix-client has no proxy options.
sk 10 /dev/null unix-client --proxy 127.0.0.1:1 "$T/nosock"
[ "$RC" = 2 ] || fail "unix-client --proxy: exited $RC, expected 2"
exit 0
