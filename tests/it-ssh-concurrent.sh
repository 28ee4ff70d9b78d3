#!/bin/sh
# 20 ssh-lite exec sessions at once: all 20 commands are running at the
# same time (each waits for a go file), and each client gets its own
# output and exit status back.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

N=20
# Each command says it is running, waits (bounded) for $T/go, then
# prints its number and exits with it.
i=1
while [ "$i" -le "$N" ]; do
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" --key-file "$T/key" -- \
	    sh -c 'touch "$1/ready.$2"; n=0
		while [ ! -e "$1/go" ] && [ $n -lt 600 ]; do
			sleep 0.05; n=$((n + 1))
		done
		echo "$2"; exit "$2"' sh "$T" "$i" \
	    </dev/null >"$T/out.$i" 2>"$T/err.$i" &
	eval "pid_$i=$!"
	i=$((i + 1))
done

nready() {
	n=0
	for f in "$T"/ready.*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}
ready() {
	[ "$(nready)" -eq "$N" ]
}
poll_until 20 ready ||
    fail "only $(nready) of $N commands running at once"
touch "$T/go"

i=1
while [ "$i" -le "$N" ]; do
	eval "wait_exit \$pid_$i 20"
	[ "$RC" = "$i" ] ||
	    fail "session $i exited $RC: $(cat "$T/err.$i")"
	[ "$(cat "$T/out.$i")" = "$i" ] ||
	    fail "session $i printed '$(cat "$T/out.$i")'"
	[ -s "$T/err.$i" ] && fail "session $i stderr: $(cat "$T/err.$i")"
	i=$((i + 1))
done
poll_until 5 sh -c "[ \$(grep -c '^exec 127\.0\.0\.1:[0-9]* argv=\[sh -c ' \
    '$T/srv.err') -eq $N ]" || fail "not $N audit lines: $(cat "$T/srv.err")"
kill -0 "$srv_PID" || fail "server died"
exit 0
