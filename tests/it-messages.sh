#!/bin/sh
# Usage errors are one exact line on stderr, exit 2, and name the option
# once: bad values of time options and --max-frame (as text and as JSON).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# usage_err WANT CMD...: CMD exits 2 and prints exactly the line WANT.
usage_err() {
	want=$1
	shift
	"$SOCKIT" "$@" < /dev/null > "$T/out" 2> "$T/err"
	rc=$?
	[ "$rc" = 2 ] || fail "'$*' exited $rc, expected 2: $(cat "$T/err")"
	[ "$(cat "$T/err")" = "$want" ] ||
	    fail "'$*' printed:
$(cat "$T/err")
expected:
$want"
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
	usage_err "sockit: $c: -w: 99999999999 seconds is too long (max 31536000)" \
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
exit 0
