#!/bin/sh
# Fault: ssh-lite clients that die or fail.
# 1. An exec client killed with SIGKILL while its command runs: the remote
#    command (a unique `sleep 31.7…` marker, directly and as a background
#    grandchild of a shell) is killed, the session process is reaped by
#    the server: no orphan, no zombie.
# 2. 200 failed authentications in a row (wrong key), plus 50 forged
#    handshakes: none of them runs anything (the command would create a
#    file), each is logged, and a good client is not slowed down by more
#    than 5x (or 1 s).
# 3. A command that exits without reading its stdin while the client is
#    still sending it: its output and exit status still reach the client.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
need pgrep

# Marker commands this test may leave behind if sockit fails go into
# STRAYS: cleanup (tests/lib.sh) kills them by PID (never by name).

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
"$SOCKIT" ssh-lite keygen -o "$T/wrong" || fail "keygen exited $?"
start_server ssh ssh-lite server 0 --key-file "$T/key" -v

now_ms() {
	python3 -c 'import time; print(int(time.monotonic() * 1000))'
}
ppid_of() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $2 }'
}
state_of() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $1 }'
}
children_of() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '
}

# --- 1. SIGKILL on the client mid-command -----------------------------
# killed_case NAME MARK N CMD...: runs CMD remotely, waits for its N
# `sleep MARK` processes, SIGKILLs the client, then waits until every
# marker and the session process are gone.
killed_case() {
	name=$1 mark=$2 want=$3
	shift 3
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$ssh_PORT" --key-file "$T/key" \
	    -- "$@" </dev/null >/dev/null 2>"$T/client.err" &
	client=$!
	PIDS="$PIDS $client"
	markers() {
		pgrep -f "^sleep $mark\$" | tr '\n' ' '
	}
	have_markers() {
		set -- $(markers)
		[ "$#" -ge "$want" ]
	}
	poll_until 10 have_markers ||
	    fail "$name: remote 'sleep $mark' not seen running:" \
		"$(cat "$T/client.err")"
	sleeps=$(markers)
	sleeps=$(echo $sleeps)
	STRAYS="$STRAYS $sleeps"
	# The session process: the child of the server that is an ancestor.
	sess=""
	for c in $(children_of "$ssh_PID"); do
		[ "$c" != "$client" ] && sess="$sess $c"
	done
	[ -n "$sess" ] || fail "$name: no session process under the server"

	t0=$(now_ms)
	kill -KILL "$client"
	wait "$client" 2>/dev/null

	all_gone() {
		for p in $sleeps $sess; do
			[ -e "/proc/$p" ] || continue
			# A zombie marker whose parent is init is init's to reap.
			[ "$(state_of "$p")" = Z ] && [ "$(ppid_of "$p")" = 1 ] &&
			    continue
			return 1
		done
		[ -z "$(markers)" ] && [ -z "$(children_of "$ssh_PID")" ]
	}
	if ! poll_until 15 all_gone; then
		for p in $sleeps $sess; do
			[ -e "/proc/$p" ] && echo "  pid $p state $(state_of "$p")" \
			    "ppid $(ppid_of "$p"): $(tr '\0' ' ' <"/proc/$p/cmdline")"
		done >&2
		fail "$name: the remote command or its session outlived the" \
		    "killed client by 15 s (markers left: $(markers))"
	fi
	t1=$(now_ms)
	echo "$name: client SIGKILLed; remote sleep(s) $sleeps and session" \
	    "$(echo $sess) gone and reaped within $((t1 - t0)) ms"
}
killed_case "direct command" "31.7$$" 1 sleep "31.7$$"
killed_case "shell with a background grandchild" "31.71$$" 2 \
    sh -c "sleep 31.71$$ & sleep 31.71$$; wait"
grep -q 'client-gone' "$T/ssh.err" ||
    fail "no audit line says the client went away: $(cat "$T/ssh.err")"

# --- 2. failed authentications ---------------------------------------
cat > "$T/auth.py" <<'PY'
import os, socket, struct, subprocess, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 150

if mode == 'time':   # best of 3 good execs, in ms
    sockit, key = sys.argv[3], sys.argv[4]
    best = None
    for _ in range(3):
        t = time.monotonic()
        p = subprocess.run([sockit, 'ssh-lite', 'exec', '127.0.0.1', str(port),
                            '--key-file', key, '--', 'true'],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=20)
        ms = (time.monotonic() - t) * 1000
        if p.returncode != 0:
            sys.exit('good exec exited %d: %s' % (p.returncode, p.stderr))
        best = ms if best is None else min(best, ms)
    print('%d' % max(1, round(best)))
elif mode == 'wrong':   # N wrong-key execs in a row, each must exit 255
    sockit, key, n, target = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
    t0 = time.monotonic()
    for i in range(n):
        if time.monotonic() > deadline:
            sys.exit('wrong-key: timed out after %d' % i)
        p = subprocess.run([sockit, 'ssh-lite', 'exec', '127.0.0.1', str(port),
                            '--key-file', key, '--', 'touch', target],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=20)
        # 255 and an authentication failure; not a refused session.
        if p.returncode != 255 or b'authentication failed' not in p.stderr:
            sys.exit('wrong-key exec %d exited %d: %r' %
                     (i, p.returncode, p.stderr))
    print('%d wrong-key execs refused (exit 255), %.1f ms each' %
          (n, (time.monotonic() - t0) * 1000 / n))
else:   # forged: a well-formed hello, then a made-up proof and request
    n = int(sys.argv[3])
    closed = 0
    for i in range(n):
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.sendall(struct.pack('>I', 36) + b'SKL\x01' + os.urandom(32))
        got = b''
        while len(got) < 72:
            try:
                b = s.recv(72 - len(got))
            except OSError:
                b = b''
            if not b:
                sys.exit('forged %d: closed before the server hello '
                         '(session refused?)' % i)
            got += b
        s.sendall(struct.pack('>I', 56) + os.urandom(56) +
                  struct.pack('>I', 100) + os.urandom(100))
        try:
            while s.recv(4096):
                pass
            closed += 1
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            sys.exit('forged %d: the server kept the connection 10 s' % i)
        s.close()
    print('%d forged handshakes closed by the server' % closed)
PY

before=$(python3 "$T/auth.py" time "$ssh_PORT" "$SOCKIT" "$T/key") ||
    fail "good exec before: $before"
python3 "$T/auth.py" wrong "$ssh_PORT" "$SOCKIT" "$T/wrong" 200 \
    "$T/pwned" >"$T/wrong.out" 2>&1 || fail "$(cat "$T/wrong.out")"
python3 "$T/auth.py" forged "$ssh_PORT" 50 >"$T/forged.out" 2>&1 ||
    fail "$(cat "$T/forged.out")"
after=$(python3 "$T/auth.py" time "$ssh_PORT" "$SOCKIT" "$T/key") ||
    fail "good exec after 250 failed authentications: $after"

[ ! -e "$T/pwned" ] || fail "a failed authentication ran its command"
kill -0 "$ssh_PID" 2>/dev/null || fail "server died: $(tail -3 "$T/ssh.err")"
[ "$after" -le $((before * 5)) ] || [ "$after" -le 1000 ] ||
    fail "a good exec took ${after} ms after the failures, ${before} ms before"
nfail=$(grep -c 'auth-failed' "$T/ssh.err")
[ "$nfail" -ge 250 ] ||
    fail "only $nfail auth-failed log lines for 250 failures"
grep 'auth-failed' "$T/ssh.err" | grep -vq '127\.0\.0\.1' &&
    fail "an auth-failed line without the peer address:" \
	"$(grep 'auth-failed' "$T/ssh.err" | grep -v '127\.0\.0\.1' | head -1)"
no_sessions() {
	[ -z "$(children_of "$ssh_PID")" ]
}
poll_until 10 no_sessions ||
    fail "sessions left: $(ps -o pid,stat,args --ppid "$ssh_PID")"
echo "$(cat "$T/wrong.out"); $(cat "$T/forged.out")"
echo "good exec: ${before} ms before, ${after} ms after; $nfail auth-failed lines"

# --- 3. a command that does not read its stdin ------------------------
# The client is still sending stdin when the command has exited: the
# server must still deliver the output and the exit status (as ssh does
# for `ssh host true <bigfile`), not reset the connection under them.
head -c 1048576 /dev/urandom >"$T/mib" || fail "cannot make test data"
ok=0 i=0 fails=""
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$ssh_PORT" --key-file "$T/key" \
	    -- sh -c 'echo out; exit 3' <"$T/mib" >"$T/out" 2>"$T/err" &
	x=$!
	PIDS="$PIDS $x"
	wait_exit "$x" 20
	if [ "$RC" = 3 ] && [ "$(cat "$T/out")" = out ]; then
		ok=$((ok + 1))
	else
		fails="$fails
  run $i: exit $RC (want 3), stdout '$(cat "$T/out")' (want 'out'), $(cat "$T/err")"
	fi
done
echo "command ignoring 1 MiB of stdin: $ok of 10 runs got its output and status"
[ "$ok" = 10 ] || fail "output or exit status lost when the command does" \
    "not read its stdin:$fails"
exit 0
