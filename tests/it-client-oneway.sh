#!/bin/sh
# tcp-client --send-only and --recv-only (ncat's options of those names).
# --send-only sends stdin, ignores (does not print) what arrives, and
# exits at stdin EOF even though the server keeps the connection open.
# --recv-only never reads stdin (what waits in a stdin FIFO is still
# there afterwards), sends no half-close, prints what the server sends
# and exits when the server closes.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A server that greets each connection with the line GREETING, records what
# arrives in $T/recN (N counts connections).  Mode "open": on the
# client's end of stream it writes $T/recN.eof and keeps its side open
# (until 30 s pass).  Mode "watch": it then watches the connection for
# WINDOW seconds (nothing should arrive, not even an end of stream:
# the result goes to $T/recN.watch as "quiet" or what happened), and
# closes.
cat > "$T/server.py" <<'PY'
import os, select, socket, sys, threading, time
portfile, tmp, mode = sys.argv[1], sys.argv[2], sys.argv[3]
greeting = sys.argv[4].encode() + b'\n'
WINDOW = 1.0
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(8)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
def put(path, data):
    with open(path + '.tmp', 'wb') as f:
        f.write(data)
    os.rename(path + '.tmp', path)
def serve(c, n):
    rec = '%s/rec%d' % (tmp, n)
    c.sendall(greeting)
    put(rec + '.sent', b'sent\n')
    got = bytearray()
    if mode == 'open':
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        put(rec, bytes(got))
        put(rec + '.eof', b'eof\n')
        time.sleep(30)      # keeps the connection open; the test ends first
    else:
        # Nothing may arrive: no data, no end of stream.  (A window is
        # the only way to see that something does not happen.)
        r, _, _ = select.select([c], [], [], WINDOW)
        if r:
            b = c.recv(65536)
            what = b'data %r\n' % b if b else b'end of stream\n'
        else:
            what = b'quiet\n'
        put(rec + '.watch', what)
    c.close()
n = 0
while True:
    c, _ = s.accept()
    n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
# start_py NAME MODE GREETING: sets NAME_PORT.
start_py() {
	python3 "$T/server.py" "$T/$1.port" "$T/$1" "$2" "$3" 2> "$T/$1.err" &
	PIDS="$PIDS $!"
	mkdir -p "$T/$1"
	poll_until 10 test -s "$T/$1.port" ||
	    fail "python3 server $1 did not start: $(cat "$T/$1.err")"
	eval "$1_PORT=$(cat "$T/$1.port")"
}
start_py open open 'data from the server'
start_py watch watch 'hello from the server'

# 1. --send-only: stdin is sent, the greeting is not printed, and the
#    client ends at stdin EOF although the server keeps its side open.
#    stdin is a FIFO that is closed only once the greeting is in and
#    read (the kernel answers data that arrives after the client is
#    gone with a reset, as it does for ncat --send-only).
head -c 1048576 /dev/urandom > "$T/data" || fail "cannot make test data"
sp=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkfifo "$T/in1" || fail "mkfifo"
"$SOCKIT" tcp-client --send-only -p "$sp" 127.0.0.1 "$open_PORT" \
    < "$T/in1" > "$T/out1" 2> "$T/err1" &
pid=$!
PIDS="$PIDS $pid"
exec 8> "$T/in1"
cat "$T/data" >&8
# The greeting was sent, the server's send queue is empty (acked) and
# so is the client's receive queue (read).
queues() {
	awk -v c="$(printf ':%04X' "$sp")" -v s="$(printf ':%04X' "$open_PORT")" '
	    $4 != "01" { next }
	    { split($5, q, ":") }
	    substr($2, length($2) - 4) == c && q[2] == "00000000" { rx = 1 }
	    substr($2, length($2) - 4) == s && substr($3, length($3) - 4) == c &&
	        q[1] == "00000000" { tx = 1 }
	    END { exit !(rx && tx) }' /proc/net/tcp
}
greeted() {
	test -e "$T/open/rec1.sent" && queues
}
poll_until 10 greeted || fail "--send-only: the greeting did not arrive: $(cat "$T/err1")"
exec 8>&-
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "--send-only: exited $RC: $(cat "$T/err1")"
[ ! -s "$T/out1" ] || fail "--send-only printed what arrived: $(head -c 60 "$T/out1")"
poll_until 10 test -s "$T/open/rec1.eof" ||
    fail "--send-only: the server saw no end of stream: $(cat "$T/open.err")"
cmp -s "$T/data" "$T/open/rec1" ||
    fail "--send-only: the server got $(wc -c < "$T/open/rec1") bytes, not the 1 MiB sent"
# The control: without it, the greeting is printed.
sk 10 /dev/null tcp-client --recv-bytes 21 127.0.0.1 "$open_PORT"
[ "$RC" = 0 ] || fail "control: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "data from the server" ] ||
    fail "control (no --send-only) did not print the greeting: '$(cat "$T/out")'"

# 2. --recv-only with stdin at EOF: prints the greeting, sends no
#    half-close (the server watched the connection: quiet), exits 0 when
#    the server closes.
sk 10 /dev/null tcp-client --recv-only 127.0.0.1 "$watch_PORT"
[ "$RC" = 0 ] || fail "--recv-only: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "hello from the server" ] ||
    fail "--recv-only printed '$(cat "$T/out")'"
poll_until 10 test -s "$T/watch/rec1.watch" || fail "watch server: no result"
[ "$(cat "$T/watch/rec1.watch")" = quiet ] ||
    fail "--recv-only: the server saw $(cat "$T/watch/rec1.watch") (a half-close or data)"
# The control: without --recv-only, stdin at EOF is a half-close.
sk 10 /dev/null tcp-client 127.0.0.1 "$watch_PORT"
poll_until 10 test -s "$T/watch/rec2.watch" || fail "watch server: no result (control)"
[ "$(cat "$T/watch/rec2.watch")" = "end of stream" ] ||
    fail "control: the server saw '$(cat "$T/watch/rec2.watch")', expected the half-close"

# 3. --recv-only with stdin a FIFO whose writer put a line in it and
#    then stays silent: the client prints the greeting and exits when
#    the server closes (stdin never ends), nothing reaches the server,
#    and the line is still in the FIFO afterwards: stdin was not read.
mkfifo "$T/in" || fail "mkfifo"
cat > "$T/writer.py" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b'must not be read\n')
open(sys.argv[2], 'w').write('written\n')
time.sleep(60)      # holds the FIFO open; the test kills it
PY
python3 "$T/writer.py" "$T/in" "$T/written" &
writer=$!
PIDS="$PIDS $writer"
"$SOCKIT" tcp-client --recv-only 127.0.0.1 "$watch_PORT" < "$T/in" \
    > "$T/out3" 2> "$T/err3" &
pid=$!
PIDS="$PIDS $pid"
await_file "FIFO writer" 10 "$T/written" "$writer" /dev/null
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "--recv-only, stdin a FIFO: exited $RC: $(cat "$T/err3")"
[ "$(cat "$T/out3")" = "hello from the server" ] ||
    fail "--recv-only, stdin a FIFO: printed '$(cat "$T/out3")'"
poll_until 10 test -s "$T/watch/rec3.watch" || fail "watch server: no result (FIFO)"
[ "$(cat "$T/watch/rec3.watch")" = quiet ] ||
    fail "--recv-only, stdin a FIFO: the server saw $(cat "$T/watch/rec3.watch")"
left=$(python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    print(os.read(fd, 17).decode().strip())
except BlockingIOError:
    print("(empty)")' "$T/in")
[ "$left" = "must not be read" ] ||
    fail "--recv-only read stdin: the FIFO holds '$left'"
kill "$writer"

# 4. The two cannot be combined.
sk 10 /dev/null tcp-client --send-only --recv-only 127.0.0.1 "$watch_PORT"
[ "$RC" = 2 ] || fail "--send-only --recv-only: exited $RC, expected 2"

# 5. unix-client has them too.
start_unix usink "$T/u.sock" --discard
sk 10 "$T/data" unix-client --send-only "$T/u.sock"
[ "$RC" = 0 ] && [ ! -s "$T/out" ] ||
    fail "unix-client --send-only: exited $RC: $(cat "$T/err")"
start_unix ubanner "$T/b.sock" --banner 'unix banner\n'
sk 10 /dev/null unix-client --recv-only "$T/b.sock"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "unix banner" ] ||
    fail "unix-client --recv-only: exited $RC, printed '$(cat "$T/out")'"
exit 0
