#!/bin/sh
# tcp-client and unix-client --exec/--sh-exec (ncat -e in connect mode,
# socat EXEC:... TCP:...): the program's stdin/stdout is the connection,
# its stderr the client's, and the client exits with its status (128+N
# when signal N killed it).  The program hears end of file when the
# server closes.  --exec with --frame is a usage error.  Where ncat is
# installed, ncat -e/--sh-exec with the same program must put the same
# bytes on the server's side.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server echo tcp-server 0

# 1. The program writes, reads the echo, keeps it in a file and exits
#    23: the client exits 23, and prints nothing of the exchange.
"$SOCKIT" tcp-client 127.0.0.1 "$echo_PORT" --sh-exec \
    "printf 'ping 1\\n'; IFS= read -r l; printf '%s\\n' \"\$l\" > $T/got1;
     echo 'from the program' >&2; exit 23" \
    < /dev/null > "$T/out1" 2> "$T/err1" &
pid=$!
PIDS="$PIDS $pid"
wait_exit "$pid" 10
[ "$RC" = 23 ] || fail "--sh-exec 'exit 23': client exited $RC: $(cat "$T/err1")"
[ "$(cat "$T/got1")" = "ping 1" ] ||
    fail "--sh-exec: the program read '$(cat "$T/got1")', expected 'ping 1'"
[ ! -s "$T/out1" ] || fail "--sh-exec: the client printed '$(cat "$T/out1")'"
grep -qx 'from the program' "$T/err1" ||
    fail "--sh-exec: the program's stderr is not the client's: $(cat "$T/err1")"

# 2. --exec splits PROG ARGS on blanks and runs it without a shell.
cat > "$T/prog.sh" <<'EOF'
#!/bin/sh
# prog.sh FILE WORD: sends WORD, writes the echo to FILE, exits 9.
printf '%s\n' "$2"
IFS= read -r l
printf '%s\n' "$l" > "$1"
exit 9
EOF
chmod +x "$T/prog.sh"
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --exec "$T/prog.sh $T/got2 word2"
[ "$RC" = 9 ] || fail "--exec prog.sh (exit 9): client exited $RC: $(cat "$T/err")"
[ "$(cat "$T/got2")" = word2 ] ||
    fail "--exec: the program read '$(cat "$T/got2")', expected 'word2'"
# The short forms.
sk 10 /dev/null tcp-client -e "$T/prog.sh $T/got3 word3" 127.0.0.1 "$echo_PORT"
[ "$RC" = 9 ] && [ "$(cat "$T/got3")" = word3 ] ||
    fail "-e prog.sh: client exited $RC, program read '$(cat "$T/got3")'"
sk 10 /dev/null tcp-client -c 'exit 17' 127.0.0.1 "$echo_PORT"
[ "$RC" = 17 ] || fail "-c 'exit 17': client exited $RC: $(cat "$T/err")"
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --sh-exec 'exit 0'
[ "$RC" = 0 ] || fail "--sh-exec 'exit 0': client exited $RC: $(cat "$T/err")"

# 3. Killed by a signal: 128+N.  The program kills itself with TERM
#    (15), then one is killed from outside with KILL (9) while the
#    connection is open.
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --sh-exec 'kill -TERM $$'
[ "$RC" = 143 ] || fail "program killed by SIGTERM: client exited $RC, expected 143"
"$SOCKIT" tcp-client 127.0.0.1 "$echo_PORT" \
    --sh-exec "echo \$\$ > $T/prog.pid.tmp; mv $T/prog.pid.tmp $T/prog.pid;
               exec sleep 60" < /dev/null > "$T/out4" 2> "$T/err4" &
pid=$!
PIDS="$PIDS $pid"
await_file "--sh-exec 'exec sleep 60'" 10 "$T/prog.pid" "$pid" "$T/err4"
prog=$(cat "$T/prog.pid")
kill -KILL "$prog" || fail "cannot kill the program (pid $prog)"
wait_exit "$pid" 10
[ "$RC" = 137 ] || fail "program killed by SIGKILL: client exited $RC, expected 137"

# 4. The server sends a line and closes: the program reads it, then end
#    of file, and its status is the client's.
start_server bye tcp-server 0 --banner 'bye\n'
sk 10 /dev/null tcp-client 127.0.0.1 "$bye_PORT" --sh-exec "cat > $T/eof.got; exit 42"
[ "$RC" = 42 ] || fail "program after the server closed: client exited $RC: $(cat "$T/err")"
[ "$(cat "$T/eof.got")" = bye ] ||
    fail "the program read '$(cat "$T/eof.got")' before EOF, expected 'bye'"

# 5. All of a program's output reaches the server, then a clean end of
#    stream: 1 MiB, byte for byte.
head -c 1048576 /dev/urandom > "$T/data" || fail "cannot make test data"
rm -f "$T/sink.port"
"$SOCKIT" tcp-server 0 --once --stdio --port-file "$T/sink.port" \
    < /dev/null > "$T/sink.out" 2> "$T/sink.err" &
sink=$!
PIDS="$PIDS $sink"
poll_until 10 test -s "$T/sink.port" || fail "sink did not start: $(cat "$T/sink.err")"
sk 20 /dev/null tcp-client 127.0.0.1 "$(cat "$T/sink.port")" --sh-exec "cat $T/data"
[ "$RC" = 0 ] || fail "--sh-exec 'cat 1 MiB': client exited $RC: $(cat "$T/err")"
wait_exit "$sink" 10
[ "$RC" = 0 ] || fail "--stdio sink exited $RC: $(cat "$T/sink.err")"
cmp -s "$T/data" "$T/sink.out" ||
    fail "--sh-exec 'cat 1 MiB': the server got $(wc -c < "$T/sink.out") bytes, not the same"

# 6. The program is told the addresses: SOCKIT_PEER is the server's,
#    SOCKIT_LOCAL the client's end.
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --sh-exec \
    "printf '%s %s\\n' \"\$SOCKIT_PEER\" \"\$SOCKIT_LOCAL\" > $T/env.got"
[ "$RC" = 0 ] || fail "--sh-exec SOCKIT_PEER: exited $RC: $(cat "$T/err")"
case $(cat "$T/env.got") in
"127.0.0.1:$echo_PORT 127.0.0.1:"[0-9]*) ;;
*) fail "SOCKIT_PEER SOCKIT_LOCAL: '$(cat "$T/env.got")', expected '127.0.0.1:$echo_PORT 127.0.0.1:PORT'" ;;
esac

# 7. A program that cannot be run is a usage error, found before
#    connecting; --exec/--sh-exec with --frame (or a script) too, and
#    nothing is run.
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --exec "$T/no/such/prog"
[ "$RC" = 2 ] || fail "--exec of a missing program: exited $RC, expected 2"
grep -q 'no/such/prog' "$T/err" || fail "--exec of a missing program: message: $(cat "$T/err")"
for args in "--exec cat --frame line" "--sh-exec cat --frame len32" \
    "--sh-exec cat --send x" "--exec cat -z" "--exec cat --sh-exec cat"; do
	# shellcheck disable=SC2086
	sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" $args
	[ "$RC" = 2 ] || fail "tcp-client $args: exited $RC, expected 2 (usage)"
	[ -s "$T/err" ] || fail "tcp-client $args: no message"
done
sk 10 /dev/null tcp-client 127.0.0.1 "$echo_PORT" --sh-exec "touch $T/ran" --frame line
[ ! -e "$T/ran" ] || fail "--sh-exec with --frame ran the program"

# 8. unix-client: the same; SOCKIT_PEER is the path.
start_unix uecho "$T/u.sock"
sk 10 /dev/null unix-client "$T/u.sock" --sh-exec \
    "printf 'unix\\n'; IFS= read -r l; printf '%s\\n' \"\$l\" > $T/ugot; exit 5"
[ "$RC" = 5 ] || fail "unix-client --sh-exec 'exit 5': exited $RC: $(cat "$T/err")"
[ "$(cat "$T/ugot")" = unix ] || fail "unix-client --sh-exec read '$(cat "$T/ugot")'"
sk 10 /dev/null unix-client "$T/u.sock" --sh-exec "echo \"\$SOCKIT_PEER\" > $T/uenv"
[ "$(cat "$T/uenv")" = "$T/u.sock" ] ||
    fail "unix-client SOCKIT_PEER: '$(cat "$T/uenv")', expected $T/u.sock"
sk 10 /dev/null unix-client "$T/u.sock" --exec "$T/prog.sh $T/ugot2 uword"
[ "$RC" = 9 ] && [ "$(cat "$T/ugot2")" = uword ] ||
    fail "unix-client --exec: exited $RC, program read '$(cat "$T/ugot2")'"

# 9. Against ncat -e/--sh-exec in connect mode: the server greets, then
#    records everything it receives; both clients must give it the same.
cat > "$T/reply.sh" <<'EOF'
#!/bin/sh
IFS= read -r l
printf 'reply to %s\n' "$l"
printf 'more'
EOF
chmod +x "$T/reply.sh"
n=0
# record CLIENT ARGS...: one connection to a fresh greeting server;
# sets REC to the file holding what the server received.
record() {
	n=$((n + 1))
	rm -f "$T/rec$n.port"
	"$SOCKIT" tcp-server 0 --once --port-file "$T/rec$n.port" \
	    --sh-exec "printf 'hi\\n'; cat > $T/rec$n" 2> "$T/rec$n.err" &
	rpid=$!
	PIDS="$PIDS $rpid"
	poll_until 10 test -s "$T/rec$n.port" || fail "recorder did not start"
	port=$(cat "$T/rec$n.port")
	what=$1
	shift
	"$@" 127.0.0.1 "$port" < /dev/null > "$T/rec$n.out" 2> "$T/rec$n.cerr" &
	cpid=$!
	PIDS="$PIDS $cpid"
	wait_exit "$cpid" 10
	[ "$RC" = 0 ] || fail "$what exited $RC: $(cat "$T/rec$n.cerr")"
	wait_exit "$rpid" 10
	REC="$T/rec$n"
}
printf 'reply to hi\nmore' > "$T/want"
record "sockit --exec" "$SOCKIT" tcp-client --exec "$T/reply.sh"
cmp -s "$T/want" "$REC" || fail "sockit --exec: the server got '$(cat "$REC")'"
record "sockit --sh-exec" "$SOCKIT" tcp-client --sh-exec "$T/reply.sh"
cmp -s "$T/want" "$REC" || fail "sockit --sh-exec: the server got '$(cat "$REC")'"
if command -v ncat > /dev/null 2>&1; then
	record "ncat -e" ncat -e "$T/reply.sh"
	cmp -s "$T/want" "$REC" || fail "ncat -e gave the server '$(cat "$REC")'"
	record "ncat --sh-exec" ncat --sh-exec "$T/reply.sh"
	cmp -s "$T/want" "$REC" || fail "ncat --sh-exec gave the server '$(cat "$REC")'"
else
	echo "ncat not installed: comparison with ncat -e skipped"
fi
exit 0
