#!/bin/sh
# The target's bytes that arrive in the same read as the proxy's reply
# go through the relay's input side like every later byte: --frame
# decodes them, --recv-bytes and --stats count them, and an --exec
# program's limit ends the input.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A SOCKS5 proxy whose CONNECT reply carries the target's first bytes
# (EARLY, hex) in the same segment, then echoes until the client's end
# of stream.
cat > "$T/early.py" <<'PY'
import os, socket, sys, threading
portfile, early = sys.argv[1], bytes.fromhex(sys.argv[2])
def recv_exact(c, n):
    b = b''
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise EOFError
        b += x
    return b
def serve(c):
    try:
        g = recv_exact(c, 2)
        recv_exact(c, g[1])
        c.sendall(b'\x05\x00')
        h = recv_exact(c, 4)
        if h[3] == 3:
            recv_exact(c, recv_exact(c, 1)[0] + 2)
        else:
            recv_exact(c, 6 if h[3] == 1 else 18)
        c.sendall(b'\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38' + early)
        while True:
            b = c.recv(65536)
            if not b:
                break
            c.sendall(b)
    except (EOFError, OSError):
        pass
    finally:
        c.close()
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(8)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = s.accept()
    c.settimeout(20)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# start_early NAME HEX: sets NAME_PORT.
start_early() {
	python3 "$T/early.py" "$T/$1.port" "$2" 2> "$T/$1.err" &
	PIDS="$PIDS $!"
	poll_until 10 test -s "$T/$1.port" ||
	    fail "fake proxy did not start: $(cat "$T/$1.err")"
	eval "$1_PORT=$(cat "$T/$1.port")"
}
start_early banner "$(printf 'BANNER-1\r\n' | od -An -tx1 | tr -d ' \n')"
start_early framed 0000000568656c6c6f

# 1. --recv-bytes 4: prints "BANN" and exits 0.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$banner_PORT" \
    --recv-bytes 4 target.example 80
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = BANN ] ||
    bad "--recv-bytes 4 through the proxy: exited $RC, printed $(od -c "$T/out" | head -2)"

# 2. --frame len32: the message "hello" that came with the reply is
#    printed as the line "hello", not as the raw frame.
sk 10 /dev/null tcp-client --proxy "127.0.0.1:$framed_PORT" \
    --frame len32 target.example 80
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = hello ] ||
    bad "--frame len32 through the proxy: exited $RC, printed $(od -c "$T/out" | head -2)"

# 3. --stats counts the 10 bytes received.
sk 10 /dev/null --stats tcp-client --proxy "127.0.0.1:$banner_PORT" \
    target.example 80
grep -q 'in=10 ' "$T/err" ||
    bad "--stats through the proxy: $(cat "$T/err"), expected in=10"

# 4. --recv-bytes 4 with --sh-exec: the program gets "BANN", then end of
#    file, and the client exits with its status.
"$SOCKIT" tcp-client --proxy "127.0.0.1:$banner_PORT" --recv-bytes 4 \
    target.example 80 --sh-exec "cat > $T/exec.got; exit 3" \
    < /dev/null > "$T/out4" 2> "$T/err4" &
pid=$!
PIDS="$PIDS $pid"
if poll_until 10 sh -c "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"
	rc=$?
	[ "$rc" = 3 ] && [ "$(cat "$T/exec.got")" = BANN ] ||
	    bad "--recv-bytes 4 --sh-exec through the proxy: exited $rc, program read $(od -c "$T/exec.got" | head -2)"
else
	bad "--recv-bytes 4 --sh-exec through the proxy: still running after 10 s"
fi
exit "$FAILED"
