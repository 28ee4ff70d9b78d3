#!/bin/sh
# An ssh-lite session whose client goes silent (stopped, connection
# open) after its command ended still ends on time: it lingers for the
# client's last bytes for 2 s, then closes, and the client still gets
# the exit status.  This holds even when the deadline passes between the
# moment the session reads the clock and the moment it waits (a process
# preempted there): a clock_gettime() shim, preloaded into the server,
# makes CLOCK_MONOTONIC jump 1.5 s ahead at every reading once a trigger
# file exists.  A session that turned such a deadline into a negative
# poll() timeout would wait forever.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need python3
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 ||
    skip "no C compiler ($CC) for the clock shim"

cat >"$T/jump.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long	offset_ms;

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int	(*real)(clockid_t, struct timespec *);
	const char	*trigger = getenv("SKL_CLOCK_JUMP");
	int		 rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
		    "clock_gettime");
	if ((rc = real(id, ts)) != 0 || id != CLOCK_MONOTONIC ||
	    trigger == NULL || access(trigger, F_OK) != 0)
		return (rc);
	offset_ms += 1500;
	ts->tv_sec += offset_ms / 1000;
	ts->tv_nsec += (offset_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
	return (rc);
}
EOF
"$CC" -shared -fPIC -o "$T/jump.so" "$T/jump.c" -ldl 2>"$T/cc.err" ||
    skip "cannot build the clock shim: $(cat "$T/cc.err")"

now_ms() {
	python3 -c 'import time; print(int(time.monotonic() * 1000))'
}
sessions() {
	pgrep -P "$1" | tr '\n' ' '
}
no_sessions() {
	[ -z "$(sessions "$1")" ]
}

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"

# silent_client NAME SERVERPID PORT: runs a command whose last act is to
# stop its own client (SIGSTOP: connection open, nothing read or sent)
# and to create $T/jump; waits for the audit line.  Sets CLIENT.
silent_client() {
	sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/$1.pid" \
	    "$SOCKIT" ssh-lite exec 127.0.0.1 "$3" --key-file "$T/key" -- \
	    sh -c 'kill -STOP "$(cat "$1")" && touch "$2"; echo done' sh \
	    "$T/$1.pid" "$T/jump" </dev/null >"$T/$1.out" 2>"$T/$1.err" &
	CLIENT=$!
	PIDS="$PIDS $CLIENT"
	poll_until 10 grep -q '^exec .* status=0 ' "$T/$2.err" ||
	    fail "$1: no audit line: $(cat "$T/$2.err") $(cat "$T/$1.err")"
	sed 's/^.*) //' "/proc/$CLIENT/stat" | grep -q '^[Tt]' ||
	    fail "$1: the client is not stopped"
}

# The client resumes: it got its output and the exit status.
resume_client() {
	kill -CONT "$CLIENT"
	wait_exit "$CLIENT" 10
	[ "$RC" = 0 ] && [ "$(cat "$T/$1.out")" = done ] ||
	    fail "$1: client exited $RC with '$(cat "$T/$1.out")':" \
		"$(cat "$T/$1.err")"
}

# 1. A real clock: the session lingers about 2 s, then ends.
start_server plain ssh-lite server 0 --key-file "$T/key"
t0=$(now_ms)
silent_client plain plain "$plain_PORT"
rm -f "$T/jump"
poll_until 10 no_sessions "$plain_PID" ||
    fail "plain: session $(sessions "$plain_PID")still there 10 s after" \
	"its command ended, its client silent"
took=$(($(now_ms) - t0))
[ "$took" -ge 1500 ] ||
    fail "plain: the session did not linger for its client ($took ms)"
echo "silent client: the session ended $took ms after its command"
resume_client plain

# 2. The clock jumps past every deadline while the session waits for it.
# (start_server by hand: the shim goes into the server only.)
SKL_CLOCK_JUMP="$T/jump" LD_PRELOAD="$T/jump.so" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$SOCKIT" ssh-lite server 0 --key-file "$T/key" \
    --port-file "$T/jump.port" 2>"$T/jump.err" &
jump_PID=$!
PIDS="$PIDS $jump_PID"
poll_until 10 test -s "$T/jump.port" ||
    fail "jump: server did not start: $(cat "$T/jump.err")"
jump_PORT=$(cat "$T/jump.port")
silent_client jump jump "$jump_PORT"
poll_until 10 no_sessions "$jump_PID" ||
    fail "jump: session $(sessions "$jump_PID")still there 10 s after its" \
	"command ended although its deadlines passed (a negative poll" \
	"timeout waits forever)"
# The shim was in effect: the session saw its command take >= 1.5 s.
grep -Eq '^exec .* status=0 ([2-9]|[1-9][0-9]+)\.[0-9]{3}s ' "$T/jump.err" ||
    fail "jump: the clock shim had no effect: $(cat "$T/jump.err")"
resume_client jump
kill -0 "$jump_PID" || fail "jump: server died"
exit 0
