#!/bin/sh
# Usage errors are one exact line on stderr, exit 2, and name the option
# once: bad values of time options and --max-frame (as text and as JSON);
# unknown and ambiguous options, with hints that work; ports; an --exec
# program that cannot run is refused at start-up; Unix sockets of the
# other type.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# usage_err WANT CMD...: CMD exits 2 at once and prints exactly the line
# WANT (in the background, so that a server that starts anyway fails the
# test instead of hanging it).
usage_err() {
	want=$1
	shift
	"$SOCKIT" "$@" < /dev/null > "$T/out" 2> "$T/err" &
	PIDS="$PIDS $!"
	wait_exit $! 10
	[ "$RC" = 2 ] || fail "'$*' exited $RC, expected 2: $(cat "$T/err")"
	[ "$(cat "$T/err")" = "$want" ] ||
	    fail "'$*' printed:
$(cat "$T/err")
expected:
$want"
	# A hint names a command that works.
	hint=$(sed -n "s/.*; see 'sockit \([^']*\)'\$/\1/p" "$T/err")
	if [ -n "$hint" ]; then
		# shellcheck disable=SC2086
		"$SOCKIT" $hint > /dev/null 2>&1 ||
		    fail "hint 'sockit $hint' of '$*' does not work"
	fi
}

# Every time option of the clients, under the name it was given as.
for c in tcp-client unix-client; do
	case $c in
	tcp-client) a="127.0.0.1 9" ;;
	*) a="$T/none" ;;
	esac
	# shellcheck disable=SC2086
	{
	usage_err "sockit: $c: -w: \"abc\" is not a number of seconds" \
	    $c -w abc $a
	usage_err "sockit: $c: -q: \"x\" is not a number of seconds" \
	    $c -q x $a
	usage_err "sockit: $c: --wait-for: \"-1\" is not a number of seconds" \
	    $c --wait-for -1 $a
	usage_err "sockit: $c: --timeout: \"1s\" is not a number of seconds" \
	    $c --timeout 1s $a
	usage_err "sockit: $c: --connect-timeout: 99999999999 seconds is too long (max 31536000)" \
	    $c --connect-timeout 99999999999 $a
	}
done
usage_err 'sockit: udp-client: --reply-timeout: "x" is not a number of seconds' \
    udp-client --reply-timeout x 127.0.0.1 9
usage_err 'sockit: unix-client: --reply-timeout: "x" is not a number of seconds' \
    unix-client --dgram --reply-timeout x "$T/none"

# --max-frame, on every command that has it.
for c in tcp-client udp-client unix-client tcp-server udp-server \
    unix-server; do
	usage_err "sockit: $c: --max-frame: 0 is out of range (1-1099511627776)" \
	    $c --max-frame 0 x
	usage_err "sockit: $c: --max-frame: \"1k\" is not a number" \
	    $c --max-frame 1k x
done

# Server time options name themselves too.
usage_err 'sockit: tcp-server: --idle-timeout: "x" is not a number of seconds' \
    tcp-server --idle-timeout x 0
usage_err 'sockit: unix-server: --drain: "1m" is not a number of seconds' \
    unix-server --drain 1m "$T/s"
usage_err 'sockit: udp-server: --peer-timeout: "-5" is not a number of seconds' \
    udp-server --peer-timeout -5 0
usage_err 'sockit: tcp-server: --max-conns: "many" is not a number' \
    tcp-server --max-conns many 0
usage_err 'sockit: ssh-lite exec: --timeout: "x" is not a number of seconds' \
    ssh-lite exec --timeout x 127.0.0.1 9 -- true

# The same in JSON: the error field names the option once.
"$SOCKIT" --log-format json tcp-client -w abc 127.0.0.1 9 2> "$T/err"
[ $? = 2 ] || fail "json -w: wrong exit status"
grep -q '"error":"-w: \\"abc\\" is not a number of seconds"}$' "$T/err" ||
    fail "json -w error: $(cat "$T/err")"
"$SOCKIT" tcp-server --log-format json 0 --max-frame 0 2> "$T/err"
[ $? = 2 ] || fail "json --max-frame: wrong exit status"
grep -q '"error":"--max-frame: 0 is out of range (1-1099511627776)"}$' \
    "$T/err" || fail "json --max-frame error: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "json error: not one line"

# Ports: clients accept 1-65535 (port 0 reaches nothing), servers 0-65535.
usage_err 'sockit: tcp-client: bad port "99999" (expected 1-65535)' \
    tcp-client 127.0.0.1 99999
usage_err 'sockit: udp-client: port 0 cannot be connected to (expected 1-65535)' \
    udp-client 127.0.0.1:0
usage_err 'sockit: tcp-server: bad port "99999" (expected 0-65535)' \
    tcp-server 99999
usage_err 'sockit: udp-server: unknown service "x1" (expected a port 0-65535 or a name from /etc/services)' \
    udp-server 127.0.0.1 x1

# An --exec program that cannot run is a usage error at start-up, before
# any client, naming the command; in PATH it is looked up as execvp does.
for c in tcp-server udp-server; do
	usage_err "sockit: $c: exec no-such-prog-here: No such file or directory" \
	    $c --exec no-such-prog-here 0
done
usage_err "sockit: unix-server: exec no-such-prog-here: No such file or directory" \
    unix-server -e 'no-such-prog-here --flag' "$T/u"
[ ! -e "$T/u" ] || fail "a refused unix-server left its socket file"
usage_err "sockit: tcp-server: exec $T/none: No such file or directory" \
    tcp-server --exec "$T/none" 0
: > "$T/plain"
usage_err "sockit: tcp-server: exec $T/plain: Permission denied" \
    tcp-server --exec "$T/plain" 0
(
	PATH="$T:$PATH"
	usage_err "sockit: tcp-server: exec plain: Permission denied" \
	    tcp-server --exec plain 0
) || exit 1
"$SOCKIT" --log-format json udp-server 0 --exec no-such-prog-here \
    < /dev/null 2> "$T/err" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 2 ] || fail "json --exec: exit $RC"
grep -q '"command":"udp-server","error":"exec no-such-prog-here: No such file or directory"}$' \
    "$T/err" || fail "json --exec error: $(cat "$T/err")"

# A program that goes away after start-up: the child's line names the
# command too.
printf '#!/bin/sh\ncat\n' > "$T/prog"
chmod +x "$T/prog"
start_server ex tcp-server 0 --exec "$T/prog"
rm -f "$T/prog"
printf 'x\n' | "$SOCKIT" tcp-client 127.0.0.1 "$ex_PORT" > /dev/null 2>&1
poll_until 5 grep -qx "sockit: tcp-server: exec $T/prog: No such file or directory" \
    "$T/ex.err" || fail "child exec error: $(cat "$T/ex.err")"

# Unix sockets of the other type: a live datagram server is "in use" for
# a stream server and the other way round (not EPROTOTYPE), and a client
# of the wrong type gets a hint.
"$SOCKIT" unix-server --dgram "$T/dg" 2> "$T/dg.err" &
PIDS="$PIDS $!"
"$SOCKIT" unix-server "$T/st" 2> "$T/st.err" &
PIDS="$PIDS $!"
poll_until 10 grep -qs '^listening on' "$T/dg.err" || fail "no dgram server"
poll_until 10 grep -qs '^listening on' "$T/st.err" || fail "no stream server"
"$SOCKIT" unix-server "$T/dg" < /dev/null 2> "$T/err" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 1 ] || fail "stream server on a live dgram socket: exit $RC"
[ "$(cat "$T/err")" = "sockit: unix-server: listen $T/dg: address in use (a server is running there)" ] ||
    fail "stream server on a live dgram socket: $(cat "$T/err")"
"$SOCKIT" unix-server --dgram "$T/st" < /dev/null 2> "$T/err" &
PIDS="$PIDS $!"
wait_exit $! 10
[ "$RC" = 1 ] || fail "dgram server on a live stream socket: exit $RC"
[ "$(cat "$T/err")" = "sockit: unix-server: listen $T/st: address in use (a server is running there)" ] ||
    fail "dgram server on a live stream socket: $(cat "$T/err")"
[ -S "$T/dg" ] && [ -S "$T/st" ] || fail "a live socket file was removed"
"$SOCKIT" unix-client "$T/dg" < /dev/null 2> "$T/err"
[ "$(cat "$T/err")" = "sockit: unix-client: connect $T/dg: Protocol wrong type for socket (a datagram socket? try --dgram)" ] ||
    fail "stream client of a dgram socket: $(cat "$T/err")"
"$SOCKIT" unix-client --dgram "$T/st" < /dev/null 2> "$T/err"
[ "$(cat "$T/err")" = "sockit: unix-client: connect $T/st: Protocol wrong type for socket (a stream socket? try without --dgram)" ] ||
    fail "dgram client of a stream socket: $(cat "$T/err")"
# Both still serve.
[ "$(echo hi | "$SOCKIT" unix-client "$T/st")" = hi ] || fail "stream server"
[ "$(echo hi | "$SOCKIT" unix-client --dgram "$T/dg")" = hi ] ||
    fail "dgram server"

# Unknown options: the hint is 'sockit --help' before the command name,
# 'sockit help COMMAND' after it.
usage_err "sockit: unknown option --bogus; see 'sockit --help'" --bogus
usage_err "sockit: unknown option --bogus; see 'sockit --help'" --bogus=1
usage_err "sockit: unknown option -x; see 'sockit --help'" -x tcp-client
usage_err "sockit: option --log-format needs a value; see 'sockit --help'" \
    --log-format
usage_err "sockit: option --verbose takes no value; see 'sockit --help'" \
    --verbose=2 tcp-client
usage_err "sockit: tcp-client: unknown option --bogus; see 'sockit help tcp-client'" \
    tcp-client --bogus 127.0.0.1 9
usage_err "sockit: tcp-client: unknown option -Z; see 'sockit help tcp-client'" \
    tcp-client -zZ 127.0.0.1 9
usage_err "sockit: tcp-client: option -w needs a value; see 'sockit help tcp-client'" \
    tcp-client 127.0.0.1 9 -w
usage_err "sockit: tcp-client: option --wait-for needs a value; see 'sockit help tcp-client'" \
    tcp-client 127.0.0.1 9 --wait
usage_err "sockit: tcp-server: option --once takes no value; see 'sockit help tcp-server'" \
    tcp-server --once=yes 0
usage_err "sockit: udp-server: unknown option --bogus; see 'sockit help udp-server'" \
    help udp-server --bogus
usage_err "sockit: ssh-lite exec: unknown option --bogus; see 'sockit help ssh-lite exec'" \
    ssh-lite exec --bogus
usage_err "sockit: unix-client: expected one PATH or @NAME; see 'sockit help unix-client'" \
    unix-client
usage_err "sockit: unix-server: expected one PATH or @NAME; see 'sockit help unix-server'" \
    unix-server a b
usage_err "sockit: unknown command \"frob\"; see 'sockit --help'" frob

# Long options take unique prefixes (getopt_long); an ambiguous one lists
# the candidates.
usage_err "sockit: tcp-server: option '--e' is ambiguous; possibilities: --echo --exec" \
    tcp-server --e 0
usage_err "sockit: tcp-server: option '--e' is ambiguous; possibilities: --echo --exec" \
    tcp-server --e=cat 0
usage_err "sockit: option '--ver' is ambiguous; possibilities: --verbose --version" \
    --ver
usage_err 'sockit: tcp-server: --idle-timeout: "x" is not a number of seconds' \
    tcp-server --idle x 0
expect_rc 0 "$SOCKIT" --vers > "$T/out"
grep -q '^sockit [0-9]' "$T/out" || fail "--vers is not --version"
for h in "--help" "tcp-server --help" "help ssh-lite exec"; do
	# shellcheck disable=SC2086
	"$SOCKIT" $h | grep -q '^Long options may be abbreviated to a unique prefix' ||
	    fail "sockit $h: abbreviations not mentioned"
done
exit 0
