#!/bin/sh
# --proxy-protocol v1|v2: the backend first gets a PROXY protocol header
# (haproxy's doc/proxy-protocol.txt) carrying the client's real address,
# then the client's bytes, exact.  Checked by a strict python3 parser:
#  - v1 "PROXY TCP4 127.0.0.1 127.0.0.1 SPORT DPORT\r\n", SPORT the
#    client's own source port, DPORT the forwarder's port; TCP6 for ::1;
#  - v2: the 12-byte signature, version/command 0x21, family 0x11 (0x21
#    for IPv6), length 12 (36), addresses and ports;
#  - unix-server: v1 "PROXY UNKNOWN", v2 LOCAL or AF_UNIX;
# and, when haproxy is installed, by haproxy itself: a bind with
# accept-proxy (which refuses a connection without a valid header)
# passes the data on, and the address haproxy parsed from our header
# is what it sends its own server (send-proxy).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# pp.py PORTFILE RESULT COUNT: COUNT connections, one after another; for
# connection N it parses the PROXY header, writes what it carried to
# RESULT.N, then echoes the rest of the stream.
cat > "$T/pp.py" <<'PY'
import os, socket, struct, sys
pf, result, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
SIG = b'\r\n\r\n\x00\r\nQUIT\n'

def report(s):
    open(result + '.tmp', 'w').write(s + '\n')
    os.rename(result + '.tmp', '%s.%d' % (result, n))

def exact(c, n):
    b = b''
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise ValueError('EOF inside the header after %d bytes' % len(b))
        b += x
    return b

def port_of(s):
    if not s.isdigit() or (len(s) > 1 and s[0] == '0') or not 0 <= int(s) <= 65535:
        raise ValueError('bad port %r' % s)
    return int(s)

def v1(c, first):
    line = first
    while not line.endswith(b'\r\n'):
        if len(line) >= 107:
            raise ValueError('v1 line longer than 107 bytes: %r' % line)
        line += exact(c, 1)
    words = line[:-2].decode('ascii').split(' ')
    if words[0] != 'PROXY':
        raise ValueError('v1: %r' % line)
    if words[1:] == ['UNKNOWN'] or (len(words) == 6 and words[1] == 'UNKNOWN'):
        return 'v1 UNKNOWN'
    if len(words) != 6 or words[1] not in ('TCP4', 'TCP6'):
        raise ValueError('v1: %r' % line)
    fam = socket.AF_INET if words[1] == 'TCP4' else socket.AF_INET6
    for a in words[2:4]:
        # Must be the canonical text form.
        if socket.inet_ntop(fam, socket.inet_pton(fam, a)) != a:
            raise ValueError('v1: address %r not canonical' % a)
    return 'v1 %s %s %s %d %d' % (words[1], words[2], words[3],
                                  port_of(words[4]), port_of(words[5]))

def v2(c, first):
    head = first + exact(c, 16 - len(first))
    if head[:12] != SIG:
        raise ValueError('v2: bad signature %r' % head[:12])
    ver, cmd = head[12] >> 4, head[12] & 15
    fam, proto = head[13] >> 4, head[13] & 15
    n = struct.unpack('!H', head[14:16])[0]
    if ver != 2 or cmd not in (0, 1):
        raise ValueError('v2: version/command byte 0x%02x' % head[12])
    body = exact(c, n)
    if cmd == 0:
        return 'v2 LOCAL 0x%02x %d' % (head[13], n)
    if head[13] == 0x11:
        if n < 12:
            raise ValueError('v2: TCP4 length %d' % n)
        s, d = socket.inet_ntop(socket.AF_INET, body[0:4]), \
            socket.inet_ntop(socket.AF_INET, body[4:8])
        sp, dp = struct.unpack('!HH', body[8:12])
        return 'v2 0x21 0x11 %d %s %s %d %d' % (n, s, d, sp, dp)
    if head[13] == 0x21:
        if n < 36:
            raise ValueError('v2: TCP6 length %d' % n)
        s, d = socket.inet_ntop(socket.AF_INET6, body[0:16]), \
            socket.inet_ntop(socket.AF_INET6, body[16:32])
        sp, dp = struct.unpack('!HH', body[32:36])
        return 'v2 0x21 0x21 %d %s %s %d %d' % (n, s, d, sp, dp)
    if head[13] == 0x31:
        if n < 216:
            raise ValueError('v2: UNIX length %d' % n)
        s = body[0:108].split(b'\0')[0].decode()
        d = body[108:216].split(b'\0')[0].decode()
        return 'v2 0x21 0x31 %d src=%s dst=%s' % (n, s, d)
    raise ValueError('v2: family/protocol byte 0x%02x' % head[13])

l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(4)
l.settimeout(20)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
for n in range(1, count + 1):
    c, _ = l.accept()
    c.settimeout(20)
    try:
        first = exact(c, 1)
        if first == b'P':
            hdr = v1(c, first)
        elif first == b'\r':
            hdr = v2(c, first)
        else:
            raise ValueError('no PROXY header: the stream starts with %r'
                             % first)
    except (ValueError, UnicodeDecodeError, OSError) as e:
        report('bad: %s' % e)
        c.close()
        continue
    report(hdr)
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.close()
PY

# The client: connects (from FAMILY ADDR to PORT), prints its own source
# port, sends 1 MiB, half-closes, and checks the echo.
cat > "$T/client.py" <<'PY'
import os, socket, sys
fam, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if fam == 'unix':
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(host)
    sport = 0
else:
    s = socket.create_connection((host, port), timeout=20)
    sport = s.getsockname()[1]
s.settimeout(20)
data = os.urandom(1 << 20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
if bytes(got) != data:
    sys.exit('client: %d bytes back of %d sent' % (len(got), len(data)))
print(sport)
PY

# backend [COUNT]: starts pp.py for COUNT connections (default 1); sets
# PP_PID, PP_PORT, and PP_N=1 (the connection check looks at next).
backend() {
	rm -f "$T/pp.port" "$T/pp.res".*
	python3 "$T/pp.py" "$T/pp.port" "$T/pp.res" "${1:-1}" 2> "$T/pp.err" &
	PP_PID=$!
	PIDS="$PIDS $PP_PID"
	poll_until 10 test -s "$T/pp.port" ||
	    fail "python3 backend did not start: $(cat "$T/pp.err")"
	PP_PORT=$(cat "$T/pp.port")
	PP_N=1
}

# check WHAT WANT FAMILY HOST PORT: runs the client through the forwarder
# at HOST PORT; the header the backend parsed (for its connection PP_N)
# must be WANT, in which SPORT stands for the client's source port.
check() {
	what=$1 want=$2
	shift 2
	res="$T/pp.res.$PP_N"
	PP_N=$((PP_N + 1))
	sport=$(python3 "$T/client.py" "$@" 2> "$T/client.err") ||
	    fail "$what: $(cat "$T/client.err"); the backend saw: \
$(cat "$res" 2>/dev/null) $(cat "$T/pp.err")"
	want=$(echo "$want" | sed "s/SPORT/$sport/")
	[ "$(cat "$res")" = "$want" ] ||
	    fail "$what: the backend parsed '$(cat "$res")', expected '$want'"
	echo "$what: $want"
}

backend
start_server v1 tcp-server 0 --forward "127.0.0.1:$PP_PORT" --proxy-protocol v1
check "v1 TCP4" "v1 TCP4 127.0.0.1 127.0.0.1 SPORT $v1_PORT" tcp 127.0.0.1 "$v1_PORT"

# The second connection through the same forwarder gets its own header.
backend 2
start_server v2 tcp-server 0 --forward "127.0.0.1:$PP_PORT" --proxy-protocol v2
check "v2 TCP4" "v2 0x21 0x11 12 127.0.0.1 127.0.0.1 SPORT $v2_PORT" \
    tcp 127.0.0.1 "$v2_PORT"
check "v2 TCP4, next connection" \
    "v2 0x21 0x11 12 127.0.0.1 127.0.0.1 SPORT $v2_PORT" tcp 127.0.0.1 "$v2_PORT"

# IPv6 clients: TCP6 / family 0x21, length 36.
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2> /dev/null; then
	backend
	start_server v16 tcp-server ::1 0 --forward "127.0.0.1:$PP_PORT" \
	    --proxy-protocol v1
	check "v1 TCP6" "v1 TCP6 ::1 ::1 SPORT $v16_PORT" tcp ::1 "$v16_PORT"
	backend
	start_server v26 tcp-server ::1 0 --forward "127.0.0.1:$PP_PORT" \
	    --proxy-protocol v2
	check "v2 TCP6" "v2 0x21 0x21 36 ::1 ::1 SPORT $v26_PORT" tcp ::1 "$v26_PORT"
else
	echo "no ::1: IPv6 headers not checked"
fi

# unix-server: no IP addresses to pass on.  (start_unix waits for
# --ready-file: no probe connection reaches the PROXY backend.)
backend
start_unix u1 "$T/u1.sock" --forward "127.0.0.1:$PP_PORT" \
    --proxy-protocol v1
check "v1 from unix-server" "v1 UNKNOWN" unix "$T/u1.sock" 0
backend
start_unix u2 "$T/u2.sock" --forward "127.0.0.1:$PP_PORT" \
    --proxy-protocol v2
python3 "$T/client.py" unix "$T/u2.sock" 0 > /dev/null 2> "$T/client.err" ||
    fail "v2 from unix-server: $(cat "$T/client.err") \
$(cat "$T/pp.res.1" 2>/dev/null)"
case $(cat "$T/pp.res.1") in
"v2 LOCAL 0x00 0" | "v2 0x21 0x31 216 src= dst=$T/u2.sock")
	echo "v2 from unix-server: $(cat "$T/pp.res.1")" ;;
*)
	fail "v2 from unix-server: the backend parsed '$(cat "$T/pp.res.1")'" ;;
esac

# haproxy: sockit --proxy-protocol v2 -> haproxy (bind with accept-proxy,
# mode tcp) -> pp.py, to which haproxy sends its own v1 header with the
# client address it parsed from ours.
if ! command -v haproxy > /dev/null 2>&1; then
	echo "haproxy not installed: the haproxy check skipped"
	exit 0
fi
# hap VERSION: starts haproxy in front of a fresh pp.py; sets HAP_PID.
hap() {
	backend
	rm -f "$T/hap.sock"
	cat > "$T/hap.cfg" <<EOF
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 20s
	timeout server 20s
frontend fe
	bind $T/hap.sock accept-proxy
	default_backend be
backend be
	server pp 127.0.0.1:$PP_PORT send-proxy
EOF
	haproxy -db -f "$T/hap.cfg" > "$T/hap.log" 2>&1 &
	HAP_PID=$!
	PIDS="$PIDS $HAP_PID"
	poll_until 10 hap_ready ||
	    fail "haproxy did not start: $(cat "$T/hap.log")"
}
# haproxy binds a temporary name, listens, and renames it into place:
# /proc/net/unix keeps the name it bound.
hap_ready() {
	[ -S "$T/hap.sock" ] && awk -v p="$T/hap.sock." \
	    'index($NF, p) == 1 && $4 == "00010000" { f = 1 } END { exit !f }' \
	    /proc/net/unix
}
stop_hap() {
	kill "$HAP_PID" 2> /dev/null
	poll_until 10 sh -c "! kill -0 $HAP_PID 2>/dev/null" ||
	    fail "haproxy did not stop"
}

hap
start_server hv2 tcp-server 0 --forward "$T/hap.sock" --proxy-protocol v2
check "v2 through haproxy" "v1 TCP4 127.0.0.1 127.0.0.1 SPORT $hv2_PORT" \
    tcp 127.0.0.1 "$hv2_PORT"
stop_hap

hap
start_server hv1 tcp-server 0 --forward "$T/hap.sock" --proxy-protocol v1
check "v1 through haproxy" "v1 TCP4 127.0.0.1 127.0.0.1 SPORT $hv1_PORT" \
    tcp 127.0.0.1 "$hv1_PORT"
stop_hap

# Control: without --proxy-protocol haproxy refuses the connection, so
# the checks above did test the header.
hap
start_server hno tcp-server 0 --forward "$T/hap.sock"
python3 "$T/client.py" tcp 127.0.0.1 "$hno_PORT" > /dev/null 2>&1 &&
    fail "haproxy accepted a connection without a PROXY header"
[ ! -e "$T/pp.res.1" ] ||
    fail "a connection without a header reached the backend"
echo "without a header haproxy refuses the connection"
stop_hap
exit 0
