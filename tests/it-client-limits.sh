#!/bin/sh
# The client's limits hold everywhere: -i counts during --send/--expect
# steps, -p is checked (range, service names) like any port and is for
# tcp-client only, and a client that gives up ends its --exec program.
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

# 1. -i SEC applies while --send/--expect steps run: nothing moved
#    either way for SEC is exit 4 after about a second.
finishes 5 tcp-client -i 1 127.0.0.1 "$silent_PORT" --send x --expect never
[ "$RC" = 4 ] ||
    bad "-i 1 with --send x --expect never against a silent server: $RC after 5 s, expected exit 4 after 1 s"

# 2. -p 70000 is a usage error (exit 2, "bad port"), not port 4464.
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

# 3. Service names wherever a port is taken (SPEC 11): -p http is port
#    80, and -p nosuchsvc is a usage error (exit 2) naming it.
finishes 10 tcp-client -p nosuchsvc 127.0.0.1 "$echo_PORT"
[ "$RC" = 2 ] && grep -q nosuchsvc "$T/err" ||
    bad "-p nosuchsvc: exited $RC: $(cat "$T/err"); expected 2 and a message naming nosuchsvc"
finishes 10 tcp-client -p http 127.0.0.1 "$echo_PORT"
grep -q 'Name or service not known' "$T/err" &&
    bad "-p http: $(cat "$T/err"); expected source port 80 (or, unprivileged, a bind error)"

# 4. When the client gives up (here: -i), it ends its --exec program
#    as it closes the connection, instead of leaving it orphaned.
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
# 5. -s and -p are TCP options: unix-client refuses them (exit 2).
for opt in "-s 127.0.0.1" "-p 4000"; do
	# shellcheck disable=SC2086
	finishes 10 unix-client $opt "$T/nosuch.sock"
	[ "$RC" = 2 ] || bad "unix-client $opt: exited $RC, expected 2"
done
exit "$FAILED"
