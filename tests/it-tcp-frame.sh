#!/bin/sh
# --frame on tcp-server and tcp-client: len32 (both the CLI and the raw
# wire format), oversize frames, delim:, and line with --upper.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# 1. The CLI: stdin lines become len32 messages, replies print as lines,
#    an empty line is an empty message.
start_server len tcp-server 0 --frame len32
printf 'a\nbb\n\n' > "$T/want"
sk 10 "$T/want" tcp-client --frame len32 127.0.0.1 "$len_PORT"
[ "$RC" = 0 ] || fail "len32 client exited $RC: $(cat "$T/err")"
cmp -s "$T/want" "$T/out" || fail "len32 client printed '$(od -c "$T/out")'"

# A python3 helper speaking raw bytes: frame(), recv_exact(), expect_eof().
cat > "$T/wire.py" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[2])
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    return s
def recv_exact(s, n):
    got = b''
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            sys.exit('EOF after %d of %d bytes: %r' % (len(got), n, got))
        got += b
    return got
def expect_eof(s, what):
    try:
        b = s.recv(100)
    except ConnectionResetError:
        return
    if b:
        sys.exit('%s: expected the connection closed, got %r' % (what, b))
def frame(p):
    return struct.pack('>I', len(p)) + p
def send_split(s, data, sizes):
    i, k = 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        s.sendall(data[i:i + n])
        i, k = i + n, k + 1
        time.sleep(0.001)   # let TCP deliver separate segments
mode = sys.argv[1]
if mode == 'len32':
    msgs = [b'hello', b'', b'x' * 70000, b'\0\n\xff', b'end']
    wire = b''.join(frame(m) for m in msgs)
    s = conn()
    send_split(s, wire, [1, 2, 3, 5, 4093])
    got = recv_exact(s, len(wire))
    if got != wire:
        sys.exit('len32 echo differs from the frames sent')
    s.shutdown(socket.SHUT_WR)
    expect_eof(s, 'len32 after shutdown')
elif mode == 'oversize':
    good = conn()                       # an established client
    good.sendall(frame(b'before'))
    if recv_exact(good, 10) != frame(b'before'):
        sys.exit('oversize: bad echo before')
    bad = conn()
    bad.sendall(b'\xff\xff\xff\xff' + b'junk')
    expect_eof(bad, 'header 0xFFFFFFFF')
    bad = conn()
    bad.sendall(struct.pack('>I', 1025) + b'y' * 1025)
    expect_eof(bad, 'header 1025 over --max-frame 1024')
    good.sendall(frame(b'after'))       # the old client still works
    if recv_exact(good, 9) != frame(b'after'):
        sys.exit('oversize: bad echo after')
    new = conn()                        # and new ones are served
    new.sendall(frame(b'z' * 1024))
    if recv_exact(new, 1028) != frame(b'z' * 1024):
        sys.exit('oversize: a frame of exactly --max-frame was not echoed')
elif mode == 'delim':
    s = conn()
    send_split(s, b'one,two,,thr,', [2, 4, 2, 4, 1])
    got = recv_exact(s, 13)
    if got != b'ONE,TWO,,THR,':
        sys.exit('delim:, --upper returned %r' % got)
    s.sendall(b'abcdefgh,')             # over --max-frame 4
    expect_eof(s, 'delim message over --max-frame')
elif mode == 'line':
    s = conn()
    send_split(s, b'ab' b'c\nd' b'e\n\nfg\n', [2, 3, 3, 1])
    got = recv_exact(s, 11)
    if got != b'ABC\nDE\n\nFG\n':
        sys.exit('line --upper returned %r' % got)
    s.sendall(b'partial')               # no newline, then EOF
    s.shutdown(socket.SHUT_WR)
    expect_eof(s, 'partial line at EOF')
PY

# 2. The wire format: big-endian 4-byte length, then the payload; frames
#    split across sends are reassembled and echoed framed the same way.
python3 "$T/wire.py" len32 "$len_PORT" || fail "len32 wire format"

# 3. A header announcing more than --max-frame closes that connection and
#    logs a frame error; other connections go on.
start_server big tcp-server 0 --frame len32 --max-frame 1024
python3 "$T/wire.py" oversize "$big_PORT" || fail "oversize frames"
two_frame_errors() {
	[ "$(grep -c 'frame error' "$T/big.err")" -eq 2 ]
}
poll_until 5 two_frame_errors ||
    fail "expected 2 frame errors logged: $(cat "$T/big.err")"
kill -0 "$big_PID" 2>/dev/null || fail "server died after a frame error"

# The client side: a server announcing an oversize frame is exit 5.
cat > "$T/badserver.py" <<'PY'
import os, socket, sys
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(1)
l.settimeout(20)
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write('%d\n' % l.getsockname()[1])
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
c, _ = l.accept()
c.settimeout(20)
c.sendall(b'\xff\xff\xff\xffabc')
try:
    c.recv(100)
except OSError:
    pass
PY
python3 "$T/badserver.py" "$T/bad.port" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/bad.port" || fail "python3 server did not start"
sk 10 /dev/null tcp-client --frame len32 --no-shutdown 127.0.0.1 \
    "$(cat "$T/bad.port")"
[ "$RC" = 5 ] || fail "client given an oversize frame exited $RC, expected 5:\
 $(cat "$T/err")"

# 4. delim:, (the comma-delimited exchange): messages split on ',' however
#    TCP chunks them; the client turns lines into comma messages and back.
start_server comma tcp-server 0 --frame delim:, --upper --max-frame 4
printf 'one\ntwo\n\nfou\n' > "$T/lines"
sk 10 "$T/lines" tcp-client --frame delim:, 127.0.0.1 "$comma_PORT"
[ "$RC" = 0 ] || fail "delim:, client exited $RC: $(cat "$T/err")"
printf 'ONE\nTWO\n\nFOU\n' > "$T/want"
cmp -s "$T/want" "$T/out" || fail "delim:, client printed '$(cat "$T/out")'"
python3 "$T/wire.py" delim "$comma_PORT" || fail "delim:, wire format"
poll_until 5 grep -q 'frame error' "$T/comma.err" ||
    fail "delim:, oversize not logged: $(cat "$T/comma.err")"

# 5. line framing with --upper, per message; a partial line at EOF is a
#    frame error.
start_server line tcp-server 0 --frame line --upper
printf 'hello\nWorld\n' > "$T/lines"
sk 10 "$T/lines" tcp-client --frame line 127.0.0.1 "$line_PORT"
[ "$RC" = 0 ] || fail "line client exited $RC: $(cat "$T/err")"
printf 'HELLO\nWORLD\n' > "$T/want"
cmp -s "$T/want" "$T/out" || fail "line --upper printed '$(cat "$T/out")'"
python3 "$T/wire.py" line "$line_PORT" || fail "line wire format"
poll_until 5 grep -q 'frame error' "$T/line.err" ||
    fail "partial line at EOF not logged: $(cat "$T/line.err")"
exit 0
