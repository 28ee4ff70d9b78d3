#!/bin/sh
# ssh-lite exec runs a command on the server: stdout and stderr come back
# apart, the exit status is the command's (128+N after signal N, 127 for
# a missing program), stdin is forwarded byte for byte (an empty one
# too, and a closed one is empty), and --env, --cwd and --shell reach the
# command.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# run SECS IN ARGS...: runs ssh-lite exec ARGS with stdin from IN, stdout
# in $T/out and stderr in $T/err, at most SECS seconds.  Sets RC (-1 when
# it had to be killed).
run() {
	secs=$1
	in=$2
	shift 2
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" \
	    "$@" <"$in" >"$T/out" 2>"$T/err" &
	rpid=$!
	if ! poll_until "$secs" sh -c "! kill -0 $rpid 2>/dev/null"; then
		kill "$rpid" 2>/dev/null
		wait "$rpid"
		RC=-1
		bad "exec $* <$in still running after $secs s"
		return
	fi
	wait "$rpid"
	RC=$?
}

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

# stdout, stderr and the status, each on its own channel.
run 10 /dev/null -- sh -c 'echo out; echo err >&2; exit 7'
[ "$RC" = 7 ] || bad "status $RC, expected 7 (stderr: $(cat "$T/err"))"
[ "$(cat "$T/out")" = "out" ] || bad "stdout was '$(cat "$T/out")'"
[ "$(cat "$T/err")" = "err" ] || bad "stderr was '$(cat "$T/err")'"
run 10 /dev/null -- true
[ "$RC" = 0 ] || bad "true exited $RC"

# stdin is forwarded, then its end.
printf abc >"$T/abc"
run 10 "$T/abc" -- cat
[ "$RC" = 0 ] || bad "cat of abc exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "abc" ] || bad "cat returned '$(cat "$T/out")'"
# An empty stdin: the command sees EOF at once.
run 10 /dev/null -- cat
[ "$RC" = 0 ] || [ "$RC" = -1 ] || bad "cat </dev/null exited $RC"
[ -s "$T/out" ] && bad "cat </dev/null printed '$(cat "$T/out")'"

# 64 MiB of random bytes there and back, unchanged.
head -c 67108864 /dev/urandom >"$T/big" || fail "cannot make test data"
run 120 "$T/big" -- cat
[ "$RC" = 0 ] || bad "64 MiB cat exited $RC: $(cat "$T/err")"
cmp -s "$T/big" "$T/out" ||
    bad "64 MiB through cat differ ($(wc -c <"$T/out") bytes back)"
rm -f "$T/big" "$T/out"

# --env, --cwd and --shell.
run 10 /dev/null --env SKL_A=one --env 'SKL_B=two words' -- \
    sh -c 'echo "$SKL_A/$SKL_B"'
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "one/two words" ] ||
    bad "--env: status $RC, output '$(cat "$T/out")'"
mkdir "$T/wd" || fail "mkdir"
want=$(cd "$T/wd" && pwd -P)
run 10 /dev/null --cwd "$T/wd" -- pwd -P
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "$want" ] ||
    bad "--cwd: status $RC, output '$(cat "$T/out")', want '$want'"
run 10 /dev/null --cwd "$T/none" -- true
[ "$RC" = 126 ] || bad "--cwd to a missing dir exited $RC, expected 126"
grep -q "$T/none" "$T/err" || bad "no message for the missing dir"
run 10 /dev/null --shell -- echo one two '|' wc -w
[ "$RC" = 0 ] && [ "$(cat "$T/out")" -eq 2 ] ||
    bad "--shell: status $RC, output '$(cat "$T/out")'"
# Without --shell the words are argv, not shell syntax.
run 10 /dev/null -- echo one '|' wc
[ "$(cat "$T/out")" = "one | wc" ] ||
    bad "argv without --shell gave '$(cat "$T/out")'"

# Killed by a signal: 128+N, as ssh reports it.
run 10 /dev/null -- sh -c 'kill -TERM $$'
[ "$RC" = 143 ] || bad "killed by TERM: exited $RC, expected 143"
run 10 /dev/null -- sh -c 'kill -KILL $$'
[ "$RC" = 137 ] || bad "killed by KILL: exited $RC, expected 137"

# A missing program: 127, and a message on stderr.
run 10 /dev/null -- /nonexistent/skl-no-such-prog
[ "$RC" = 127 ] || bad "missing program exited $RC, expected 127"
grep -q 'skl-no-such-prog' "$T/err" || bad "no message: $(cat "$T/err")"

# A closed stdin (<&-) is an empty one: the connection that got fd 0 is
# not read as stdin.
"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" -- \
    sh -c 'cat; echo end' <&- >"$T/out" 2>"$T/err" &
cpid=$!
if poll_until 10 sh -c "! kill -0 $cpid 2>/dev/null"; then
	wait "$cpid"
	RC=$?
	[ "$RC" = 0 ] && [ "$(cat "$T/out")" = end ] ||
	    bad "stdin closed: exited $RC, '$(cat "$T/out")': $(cat "$T/err")"
else
	kill -KILL "$cpid" 2>/dev/null
	wait "$cpid"
	bad "stdin closed: still running after 10 s"
fi

# The server audits every command and keeps serving.
poll_until 5 grep -q 'argv=\[/nonexistent/skl-no-such-prog\] status=127' \
    "$T/srv.err" || bad "no audit line: $(cat "$T/srv.err")"
grep -q 'argv=\[sh -c echo out; echo err >&2; exit 7\] status=7 ' \
    "$T/srv.err" || bad "no audit line for exit 7: $(cat "$T/srv.err")"
kill -0 "$srv_PID" || bad "server died"
exit "$FAILED"
