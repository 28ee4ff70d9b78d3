#!/bin/sh
# tcp-client and unix-client -i/--idle-timeout SEC: exit 4, with a
# message, when nothing moved either way for SEC; traffic in either
# direction keeps the connection alive.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server silent tcp-server 0 --discard

# elapsed CMD...: runs CMD, sets RC and SECS (wall time, 0.01 s).
elapsed() {
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	SECS=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
}
between() {
	echo "$1 $2 $3" | awk '{ exit !($1 >= $2 && $1 <= $3) }'
}

# silent_fifo NAME: a FIFO $T/NAME that a background process holds open
# for writing and never writes to, so that its reader sees neither data
# nor end of file until the holder (pid in NAME_HOLDER) is killed.
silent_fifo() {
	mkfifo "$T/$1" || fail "mkfifo $T/$1"
	(exec sleep 120) > "$T/$1" &
	PIDS="$PIDS $!"
	eval "$1_HOLDER=$!"
}

# 1. A silent server, stdin open and silent too: exit 4 after about a
#    second.
silent_fifo in1
elapsed sk 10 "$T/in1" tcp-client -i 1 127.0.0.1 "$silent_PORT"
[ "$RC" = 4 ] || fail "-i 1, silent both ways: exited $RC, expected 4: $(cat "$T/err")"
between "$SECS" 0.9 5 || fail "-i 1, silent both ways: exited after $SECS s"
grep -q 'idle for 1 s' "$T/err" || fail "-i 1: message: $(cat "$T/err")"
# The long form, with stdin at end of file (only the half-close moved),
# against a --stdio server that does not close at the client's
# half-close (its own stdin is the silent FIFO).
silent_fifo in2
"$SOCKIT" tcp-server 0 --stdio --port-file "$T/hold.port" < "$T/in2" \
    2> "$T/hold.err" &
hold=$!
PIDS="$PIDS $hold"
poll_until 10 test -s "$T/hold.port" || fail "--stdio server did not start"
hold_PORT=$(cat "$T/hold.port")
elapsed sk 10 /dev/null tcp-client --idle-timeout 1 127.0.0.1 "$hold_PORT"
[ "$RC" = 4 ] || fail "--idle-timeout 1, stdin at EOF: exited $RC, expected 4"
between "$SECS" 0.9 5 || fail "--idle-timeout 1, stdin at EOF: exited after $SECS s"

# 2. Traffic from the server keeps it alive: a byte every 0.3 s for
#    2.1 s, then the server closes.  The client must print all of it and
#    exit 0, after outliving its idle timeout twice over.
cat > "$T/ticker.py" <<'PY'
import os, socket, sys, time
portfile = sys.argv[1]
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
s.settimeout(20)
c, _ = s.accept()
for i in range(8):
    c.sendall(b'%d' % i)
    time.sleep(0.3)
c.close()
PY
python3 "$T/ticker.py" "$T/tick.port" 2> "$T/tick.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/tick.port" || fail "ticker did not start: $(cat "$T/tick.err")"
elapsed sk 15 /dev/null tcp-client -i 1 127.0.0.1 "$(cat "$T/tick.port")"
[ "$RC" = 0 ] || fail "-i 1 with a byte every 0.3 s from the server: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = 01234567 ] || fail "-i 1, ticking server: printed '$(cat "$T/out")'"
between "$SECS" 1.9 15 || fail "-i 1, ticking server: ended after $SECS s"

# 3. Traffic to the server keeps it alive too: stdin gets a byte every
#    0.3 s for 2.1 s (a python3 writer with its own pacing), the server
#    is silent; the client ends at stdin EOF with 0.
cat > "$T/pacer.py" <<'PY'
import sys, time
for i in range(8):
    sys.stdout.write(str(i))
    sys.stdout.flush()
    time.sleep(0.3)
PY
t0=$(date +%s.%N)
python3 "$T/pacer.py" | "$SOCKIT" tcp-client -i 1 127.0.0.1 "$silent_PORT" \
    > "$T/out3" 2> "$T/err3" &
pid=$!
PIDS="$PIDS $pid"
wait_exit "$pid" 15
SECS=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
[ "$RC" = 0 ] || fail "-i 1 with a byte every 0.3 s to the server: exited $RC: $(cat "$T/err3")"
between "$SECS" 1.9 15 || fail "-i 1, ticking stdin: ended after $SECS s"

# 4. unix-client, and with --exec: the same timer.
start_unix usilent "$T/u.sock" --discard
elapsed sk 10 "$T/in1" unix-client -i 1 "$T/u.sock"
[ "$RC" = 4 ] || fail "unix-client -i 1: exited $RC, expected 4: $(cat "$T/err")"
between "$SECS" 0.9 5 || fail "unix-client -i 1: exited after $SECS s"
elapsed sk 10 /dev/null tcp-client -i 1 127.0.0.1 "$silent_PORT" \
    --sh-exec "echo \$\$ > $T/prog.pid; exec sleep 30"
# (The client leaves its program running when it gives up; see
# it-client-known-bugs.sh.  Stop it here.)
[ -s "$T/prog.pid" ] && STRAYS="$STRAYS $(cat "$T/prog.pid")"
[ "$RC" = 4 ] || fail "-i 1 --sh-exec 'sleep 30': exited $RC, expected 4: $(cat "$T/err")"
between "$SECS" 0.9 5 || fail "-i 1 --sh-exec: exited after $SECS s"
# The --stdio server ends at its stdin's end.
kill "$in2_HOLDER"
wait_exit "$hold" 10
exit 0
