#!/bin/sh
# KNOWN BUGS, not in IT_TESTS (see Makefile.am): client behaviour that
# differs from what the man page and SPEC say.  Each case says what it
# expects and what sockit does today; all fail today.  Move a case into
# the test of its feature once it is fixed.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server silent tcp-server 0 --discard
start_server echo tcp-server 0

# finishes SECS CMD...: runs "$SOCKIT" CMD in the background with stdin
# /dev/null; sets RC, or RC=hung if it still runs after SECS (then it is
# killed).
finishes() {
	secs=$1
	shift
	"$SOCKIT" "$@" < /dev/null > "$T/out" 2> "$T/err" &
	fpid=$!
	PIDS="$PIDS $fpid"
	if poll_until "$secs" sh -c "! kill -0 $fpid 2>/dev/null"; then
		wait "$fpid"
		RC=$?
	else
		kill "$fpid"
		RC=hung
	fi
}

# 1. -i SEC does not apply while --send/--expect steps run: "nothing
#    moved either way for SEC" should exit 4 after about a second.
#    Today: the client waits for ever (only --timeout bounds a step).
finishes 5 tcp-client -i 1 127.0.0.1 "$silent_PORT" --send x --expect never
[ "$RC" = 4 ] ||
    bad "-i 1 with --send x --expect never against a silent server: $RC after 5 s, expected exit 4 after 1 s"

# 2. -p PORT is not checked: 70000 is taken modulo 65536 (the server
#    sees source port 4464).  Expected: a usage error, exit 2, as for the
#    target port ("bad port").
cat > "$T/peer.py" <<'PY'
import os, socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(4)
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True:
    c, peer = s.accept()
    c.sendall(('%s %d\n' % peer).encode())
    c.close()
PY
python3 "$T/peer.py" "$T/peer.port" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/peer.port" || fail "peer server did not start"
finishes 10 tcp-client -p 70000 127.0.0.1 "$(cat "$T/peer.port")"
[ "$RC" = 2 ] ||
    bad "-p 70000: exited $RC (the server saw '$(cat "$T/out")'), expected 2 (bad port)"

# 3. -p takes no service names, and a bad one is reported as a name
#    that does not resolve: "connect 127.0.0.1:P: 0.0.0.0: Name or
#    service not known", exit 1.  Expected (SPEC 11: service names
#    wherever a port is accepted): -p http is port 80, and -p nosuchsvc
#    is a usage error (exit 2) that names the port, as for the target.
finishes 10 tcp-client -p nosuchsvc 127.0.0.1 "$echo_PORT"
[ "$RC" = 2 ] && grep -q nosuchsvc "$T/err" ||
    bad "-p nosuchsvc: exited $RC: $(cat "$T/err"); expected 2 and a message naming nosuchsvc"
finishes 10 tcp-client -p http 127.0.0.1 "$echo_PORT"
grep -q 'Name or service not known' "$T/err" &&
    bad "-p http: $(cat "$T/err"); expected source port 80 (or, unprivileged, a bind error)"

# 4. When the client gives up (here: -i), its --exec program keeps
#    running, orphaned.  Expected: the client ends it (as it closes the
#    connection) before it exits.
finishes 10 tcp-client -i 1 127.0.0.1 "$silent_PORT" \
    --sh-exec "echo \$\$ > $T/prog.pid; exec sleep 30"
[ "$RC" = 4 ] || bad "-i 1 --sh-exec: exited $RC, expected 4"
if [ -s "$T/prog.pid" ]; then
	prog=$(cat "$T/prog.pid")
	STRAYS="$STRAYS $prog"
	if poll_until 2 sh -c "! kill -0 $prog 2>/dev/null"; then
		:
	else
		bad "-i 1 --sh-exec 'exec sleep 30': the program (pid $prog) still runs after the client exited"
	fi
fi
exit "$FAILED"
