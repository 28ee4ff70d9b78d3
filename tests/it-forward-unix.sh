#!/bin/sh
# --forward across socket families, each exact both ways (4 MiB echoed,
# and a download to a client that half-closes at once):
#  TCP -> Unix path, Unix path -> TCP, Unix -> Unix, TCP -> @abstract,
#  @abstract -> @abstract, and a relative ./path; a missing socket file
#  or a stale one (nobody listening) closes the client with the reason.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# start_unix NAME ADDR ARGS...: "$SOCKIT -v unix-server ADDR ARGS" in the
# background, stderr to $T/NAME.err; waits for its --ready-file (no
# probe connection to show in the log).
start_unix() {
	name=$1 addr=$2
	shift 2
	rm -f "$T/$name.ready"
	"$SOCKIT" -v unix-server "$addr" "$@" --ready-file "$T/$name.ready" \
	    2> "$T/$name.err" &
	eval "${name}_PID=$!"
	PIDS="$PIDS $!"
	poll_until 10 test -s "$T/$name.ready" ||
	    fail "unix-server $addr did not start: $(cat "$T/$name.err")"
}

# roundtrip WHAT CLIENT-ARGS...: 4 MiB through "$SOCKIT CLIENT-ARGS" come
# back exact.
head -c 4194304 /dev/urandom > "$T/data"
roundtrip() {
	what=$1
	shift
	"$SOCKIT" "$@" < "$T/data" > "$T/out" 2> "$T/err" &
	cl=$!
	PIDS="$PIDS $cl"
	wait_exit "$cl" 30
	[ "$RC" = 0 ] || fail "$what: client exited $RC: $(cat "$T/err")"
	cmp -s "$T/data" "$T/out" ||
	    fail "$what: $(wc -c < "$T/out") bytes back, not the 4 MiB sent"
	echo "$what: 4 MiB exact"
}

# download WHAT CLIENT-ARGS...: a client with stdin at /dev/null gets
# the whole file from a --stdio backend behind the forwarder.
download() {
	what=$1
	shift
	"$SOCKIT" "$@" < /dev/null > "$T/out" 2> "$T/err" &
	cl=$!
	PIDS="$PIDS $cl"
	wait_exit "$cl" 30
	[ "$RC" = 0 ] || fail "$what: client exited $RC: $(cat "$T/err")"
	cmp -s "$T/data" "$T/out" ||
	    fail "$what: got $(wc -c < "$T/out") bytes, not the 4 MiB file"
	echo "$what: 4 MiB download exact"
}

abs="@sockit-fwd-$$"
start_server tcpecho tcp-server 0
start_unix uecho "$T/echo.sock"
start_unix aecho "$abs"

# TCP -> Unix path
start_server t2u tcp-server 0 -v --forward "$T/echo.sock"
roundtrip "TCP -> Unix" tcp-client 127.0.0.1 "$t2u_PORT"
poll_until 5 grep -q "^forwarding 127\\.0\\.0\\.1:[0-9]* backend=$T/echo\\.sock\$" \
    "$T/t2u.err" || fail "TCP -> Unix: no forwarding line: $(cat "$T/t2u.err")"

# Unix path -> TCP
start_unix u2t "$T/u2t.sock" --forward "127.0.0.1:$tcpecho_PORT"
roundtrip "Unix -> TCP" unix-client "$T/u2t.sock"
poll_until 5 grep -q "^closed .* in=4194304 out=4194304 " "$T/u2t.err" ||
    fail "Unix -> TCP: no complete closed line: $(cat "$T/u2t.err")"

# Unix -> Unix
start_unix u2u "$T/u2u.sock" --forward "$T/echo.sock"
roundtrip "Unix -> Unix" unix-client "$T/u2u.sock"

# TCP -> @abstract, @abstract -> @abstract
start_server t2a tcp-server 0 --forward "$abs"
roundtrip "TCP -> @abstract" tcp-client 127.0.0.1 "$t2a_PORT"
start_unix a2a "$abs-front" --forward "$abs"
roundtrip "@abstract -> @abstract" unix-client "$abs-front"

# A download over each family: the client's half-close is passed on to
# a Unix --stdio backend, which still sends all of its file.
"$SOCKIT" unix-server "$T/dl.sock" --stdio --ready-file "$T/dl.ready" \
    < "$T/data" 2> "$T/dl.err" &
dl=$!
PIDS="$PIDS $dl"
poll_until 10 test -s "$T/dl.ready" || fail "--stdio backend did not start"
start_server t2dl tcp-server 0 --forward "$T/dl.sock"
download "TCP -> Unix" tcp-client 127.0.0.1 "$t2dl_PORT"
wait_exit "$dl" 10
[ "$RC" = 0 ] || fail "Unix --stdio backend exited $RC: $(cat "$T/dl.err")"
"$SOCKIT" tcp-server 0 --stdio --port-file "$T/dl2.port" < "$T/data" \
    2> "$T/dl2.err" &
dl2=$!
PIDS="$PIDS $dl2"
poll_until 10 test -s "$T/dl2.port" || fail "--stdio backend did not start"
start_unix u2dl "$T/u2dl.sock" --forward "127.0.0.1:$(cat "$T/dl2.port")"
download "Unix -> TCP" unix-client "$T/u2dl.sock"
wait_exit "$dl2" 10
[ "$RC" = 0 ] || fail "TCP --stdio backend exited $RC: $(cat "$T/dl2.err")"

# A missing socket file, and a stale one nobody listens on.
start_server none tcp-server 0 --forward "$T/none.sock"
"$SOCKIT" tcp-client 127.0.0.1 "$none_PORT" < /dev/null > "$T/out" 2>&1
[ ! -s "$T/out" ] || fail "missing backend: the client got '$(cat "$T/out")'"
poll_until 5 grep -q ": backend $T/none\\.sock: No such file or directory\$" \
    "$T/none.err" || fail "missing backend: $(cat "$T/none.err")"
start_unix dead "$T/stale.sock"
kill -KILL "$dead_PID"
wait "$dead_PID" 2> /dev/null
[ -S "$T/stale.sock" ] || fail "a killed unix-server left no socket file"
start_server stale tcp-server 0 --forward "$T/stale.sock"
"$SOCKIT" tcp-client 127.0.0.1 "$stale_PORT" < /dev/null > "$T/out" 2>&1
[ ! -s "$T/out" ] || fail "stale backend: the client got '$(cat "$T/out")'"
poll_until 5 grep -q ": backend $T/stale\\.sock: Connection refused\$" \
    "$T/stale.err" || fail "stale backend: $(cat "$T/stale.err")"
running "$none_PID" && running "$stale_PID" ||
    fail "a forwarder exited after a failed Unix backend"

# A relative ./path is a Unix socket too, relative to the server's cwd.
cd "$T" || fail "cd $T"
start_server rel tcp-server 0 --forward ./echo.sock
cd / || fail "cd /"
roundtrip "TCP -> ./relative" tcp-client 127.0.0.1 "$rel_PORT"
exit 0
