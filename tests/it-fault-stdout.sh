#!/bin/sh
# Fault: stdout fails.  A client whose stdout is /dev/full (ENOSPC) or a
# pipe whose read end is closed (EPIPE; SIGPIPE is ignored) must say so on
# stderr and exit non-zero, never 0: 1 for tcp-client (relay and
# --send/--expect), udp-client and unix-client; 255 for ssh-lite exec
# (its own failures, as ssh), even though the remote command succeeded.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server tcp tcp-server 0
start_server udp udp-server 0
rm -f "$T/u.sock"
start_unix unix "$T/u.sock"
"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server ssh ssh-lite server 0 --key-file "$T/key"

# epipe.py STDIN [HEAD] ARGV...: runs ARGV with stdout on a pipe whose
# read end is already closed, or (HEAD > 0) is closed after HEAD bytes
# were read (the reader goes away in the middle of the output).
cat > "$T/epipe.py" <<'PY'
import os, subprocess, sys
stdin_file, head, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
r, w = os.pipe()
if head == 0:
    os.close(r)
with open(stdin_file, 'rb') as f:
    p = subprocess.Popen(argv, stdin=f, stdout=w, stderr=subprocess.PIPE)
os.close(w)
if head > 0:
    got = 0
    while got < head:
        b = os.read(r, head - got)
        if not b:
            break
        got += len(b)
    os.close(r)
try:
    _, err = p.communicate(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    sys.stderr.write('still running 20 s after its stdout closed\n')
    sys.exit(200)
sys.stderr.buffer.write(err)
sys.exit(p.returncode)
PY

printf 'hello\n' >"$T/in"

# check WANT-RC WANT-ERR-REGEX NAME ARGS...: runs "$SOCKIT" ARGS with
# stdin $T/in and stdout /dev/full, then again with stdout a closed pipe.
check() {
	want=$1 re=$2 name=$3
	shift 3
	"$SOCKIT" "$@" <"$T/in" >/dev/full 2>"$T/err" &
	p=$!
	PIDS="$PIDS $p"
	wait_exit "$p" 20
	if [ "$RC" != "$want" ] || ! grep -Eq "$re" "$T/err"; then
		bad "$name >/dev/full: exit $RC (want $want), stderr:" \
		    "'$(cat "$T/err")' (want /$re/)"
	else
		echo "$name >/dev/full: exit $RC: $(cat "$T/err")"
	fi
	python3 "$T/epipe.py" "$T/in" 0 "$SOCKIT" "$@" 2>"$T/err"
	RC=$?
	if [ "$RC" != "$want" ] || ! grep -Eq "$re" "$T/err"; then
		bad "$name >closed pipe: exit $RC (want $want), stderr:" \
		    "'$(cat "$T/err")' (want /$re/)"
	else
		echo "$name >closed pipe: exit $RC: $(cat "$T/err")"
	fi
}

ENOSPC_EPIPE='(No space left on device|Broken pipe)'
check 1 "tcp-client: .*$ENOSPC_EPIPE" "tcp-client (relay)" \
    tcp-client 127.0.0.1 "$tcp_PORT"
check 1 "tcp-client: .*$ENOSPC_EPIPE" "tcp-client --frame len32" \
    tcp-client --frame len32 127.0.0.1 "$tcp_PORT"
check 1 "tcp-client: .*$ENOSPC_EPIPE" "tcp-client --send --expect" \
    tcp-client --send 'hi\n' --expect 'hi' 127.0.0.1 "$tcp_PORT"
check 1 "tcp-client: .*$ENOSPC_EPIPE" "tcp-client --send" \
    tcp-client --send 'hi\n' 127.0.0.1 "$tcp_PORT"
check 1 "udp-client: .*$ENOSPC_EPIPE" "udp-client" \
    udp-client 127.0.0.1 "$udp_PORT"
check 1 "unix-client: .*$ENOSPC_EPIPE" "unix-client" \
    unix-client "$T/u.sock"
check 255 "ssh-lite.*$ENOSPC_EPIPE" "ssh-lite exec" \
    ssh-lite exec 127.0.0.1 "$ssh_PORT" --key-file "$T/key" -- echo hi

# The reader goes away in the middle of 16 MiB of output.
head -c 16777216 /dev/urandom >"$T/big" || fail "cannot make test data"
# check_head WANT-RC NAME ARGS...
check_head() {
	want=$1 name=$2
	shift 2
	python3 "$T/epipe.py" "$T/big" 65536 "$SOCKIT" "$@" 2>"$T/err"
	RC=$?
	if [ "$RC" != "$want" ] || ! grep -q 'Broken pipe' "$T/err"; then
		bad "$name, reader gone after 64 KiB: exit $RC (want $want)," \
		    "stderr: '$(cat "$T/err")'"
	else
		echo "$name, reader gone after 64 KiB: exit $RC: $(cat "$T/err")"
	fi
}
check_head 1 "tcp-client (relay)" tcp-client 127.0.0.1 "$tcp_PORT"
check_head 255 "ssh-lite exec cat" \
    ssh-lite exec 127.0.0.1 "$ssh_PORT" --key-file "$T/key" -- cat

# The servers took no harm.
"$SOCKIT" tcp-client 127.0.0.1 "$tcp_PORT" <"$T/in" >"$T/out" 2>"$T/err" &&
    cmp -s "$T/in" "$T/out" || bad "tcp echo afterwards: $(cat "$T/err")"
exit "$FAILED"
