#!/bin/sh
# ssh-lite command lines: exec takes the server as HOST PORT, HOST:PORT or
# [V6ADDR]:PORT, like the other clients, with or without "--" before the
# command, and every word after "--" is the command's, even one that
# looks like an option.  Usage errors of keygen, server and exec (a bad
# option, a bad or missing address, a missing key or command) exit 2
# with one line on stderr; 255 stays for ssh-lite's own runtime failures.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
unset SOCKIT_KEY

FAILED=0
bad() {
	echo "FAIL: $*" >&2
	FAILED=1
}

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"
P=$srv_PORT

# ok WANT ARGS...: ssh-lite exec ARGS must print WANT and exit 0.
ok() {
	want=$1
	shift
	out=$("$SOCKIT" ssh-lite exec "$@" </dev/null 2>"$T/err")
	rc=$?
	[ "$rc" = 0 ] && [ "$out" = "$want" ] ||
	    bad "exec $*: exited $rc with '$out', expected 0 and '$want':" \
		"$(cat "$T/err")"
}

ok a 127.0.0.1:"$P" --key-file "$T/key" -- echo a
ok b 127.0.0.1 "$P" --key-file "$T/key" -- echo b
ok c --key-file "$T/key" 127.0.0.1:"$P" -- echo c
ok d localhost:"$P" --key-file "$T/key" -- echo d
# Without "--" the command is what follows the address.
ok e --key-file "$T/key" 127.0.0.1:"$P" echo e
ok f --key-file "$T/key" 127.0.0.1 "$P" echo f
# Words after "--" are never sockit options.
ok "-x --help" 127.0.0.1:"$P" --key-file "$T/key" -- \
    sh -c 'echo "$1 $2"' sh -x --help
ok "--key-file" --key-file "$T/key" 127.0.0.1 "$P" -- echo --key-file

# [V6ADDR]:PORT and an IPv6 HOST PORT, where ::1 is there.
"$SOCKIT" ssh-lite server -b ::1 0 --key-file "$T/key" \
    --port-file "$T/v6.port" 2>"$T/v6.err" &
v6=$!
PIDS="$PIDS $v6"
up_or_gone() {
	test -s "$T/v6.port" || ! kill -0 "$v6" 2>/dev/null
}
poll_until 10 up_or_gone || fail "ssh-lite server -b ::1 neither up nor gone"
if [ -s "$T/v6.port" ]; then
	P6=$(cat "$T/v6.port")
	ok v6 "[::1]:$P6" --key-file "$T/key" -- echo v6
	ok v6b ::1 "$P6" --key-file "$T/key" -- echo v6b
	ok v6c --key-file "$T/key" "[::1]:$P6" echo v6c
else
	echo "no IPv6 loopback, [::1]:PORT not tested: $(cat "$T/v6.err")"
fi

# usage SUB ARGS...: ssh-lite SUB ARGS must exit 2 with one error line
# (and run nothing).
usage() {
	"$SOCKIT" ssh-lite "$@" </dev/null >"$T/out" 2>"$T/err" &
	upid=$!
	if ! poll_until 10 sh -c "! kill -0 $upid 2>/dev/null"; then
		kill "$upid" 2>/dev/null
		wait "$upid"
		bad "ssh-lite $*: still running after 10 s (a usage error?)"
		return
	fi
	wait "$upid"
	rc=$?
	[ "$rc" = 2 ] ||
	    bad "ssh-lite $*: exited $rc, expected 2: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -q '^sockit: ssh-lite' "$T/err" ||
	    bad "ssh-lite $*: not one error line: '$(cat "$T/err")'"
}

K="--key-file $T/key"
# exec: address errors, before "--" or without it.
usage exec 127.0.0.1 $K -- touch "$T/ran"
usage exec 127.0.0.1 x $K -- touch "$T/ran"
usage exec 127.0.0.1:x $K -- touch "$T/ran"
usage exec 127.0.0.1:0 $K -- touch "$T/ran"
usage exec 127.0.0.1 "$P" 5 $K -- touch "$T/ran"
usage exec ::1:"$P" $K -- touch "$T/ran"
usage exec $K -- touch "$T/ran"
usage exec --unix "$T/sock" 127.0.0.1 "$P" $K -- touch "$T/ran"
usage exec --unix "$T/$(printf '%0120d' 0)" $K -- touch "$T/ran"
# exec: no command.
usage exec 127.0.0.1:"$P" $K
usage exec 127.0.0.1 "$P" $K
usage exec 127.0.0.1:"$P" $K --
usage exec --unix "$T/sock" $K
# exec: options.
usage exec 127.0.0.1:"$P" $K --bogus -- touch "$T/ran"
usage exec 127.0.0.1:"$P" $K --timeout x -- touch "$T/ran"
usage exec 127.0.0.1:"$P" $K --env NOEQUALS -- touch "$T/ran"
usage exec 127.0.0.1:"$P" $K -w -1 -- touch "$T/ran"
usage exec 127.0.0.1:"$P" --key-file -- touch "$T/ran"
# exec: no key, a bad key.
usage exec 127.0.0.1:"$P" -- touch "$T/ran"
SOCKIT_KEY=zz
export SOCKIT_KEY
usage exec 127.0.0.1:"$P" -- touch "$T/ran"
unset SOCKIT_KEY
usage exec 127.0.0.1:"$P" --key-file "$T/nokey" -- touch "$T/ran"
# server: address, options, key.
usage server x:y $K
usage server 1 2 3 $K
usage server 127.0.0.1 99999 $K
usage server -b 127.0.0.1 127.0.0.1 0 $K
usage server --unix "$T/s2" 0 $K
usage server 0 $K --bogus
usage server 0 $K --max-sessions 0
usage server 0 $K --allow 300.0.0.0/8
usage server 0
usage server 0 --key-file "$T/nokey"
# keygen, and ssh-lite itself.
usage keygen extra
usage keygen --bogus
usage nosuch
# Without a subcommand, the usage of all three goes to stderr.
"$SOCKIT" ssh-lite >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q 'ssh-lite exec' "$T/err" ||
    bad "ssh-lite alone: exited $rc, expected 2 and usage on stderr"
[ -e "$T/ran" ] && bad "a command ran despite a usage error"

# ssh-lite's own failures are still 255: nobody listening, a wrong key.
"$SOCKIT" ssh-lite exec --unix "$T/nobody" $K -- true </dev/null 2>"$T/err"
rc=$?
[ "$rc" = 255 ] || bad "nobody listening: exited $rc, expected 255"
"$SOCKIT" ssh-lite keygen -o "$T/wrong" || fail "keygen exited $?"
"$SOCKIT" ssh-lite exec 127.0.0.1:"$P" --key-file "$T/wrong" -- true \
    </dev/null 2>"$T/err"
rc=$?
[ "$rc" = 255 ] || bad "wrong key: exited $rc, expected 255"
kill -0 "$srv_PID" || bad "server died"
exit "$FAILED"
