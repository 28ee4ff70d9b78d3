#!/bin/sh
# TLS as a transport dimension (SPEC 9: "a layer under the relay"): the
# core stream behaviours, re-run with --tls on both ends, over TCP and
# over Unix sockets (--tls-name localhost), from one table.  Each row:
#
#   NAME | KIND | SERVER ARGS | SERVER STDIN | CLIENT ARGS | INPUT | WANT
#
# KIND tcp or unix; the arguments are shell words; SERVER STDIN, INPUT
# and WANT are files in $T ("-" for SERVER STDIN: /dev/null, "=" for
# WANT: the input back).  Every row must exit 0 and print exactly WANT.  The TLS
# options are added by the loop; the table holds the behaviour only.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
tls_fixtures
srvtls="--tls --tls-cert $TLS/server.pem --tls-key $TLS/server.key"
clitls="--tls --tls-ca $TLS/ca.pem"

# The inputs and expected outputs.
printf 'hello\nworld\n' > "$T/hw"
printf 'HELLO\nWORLD\n' > "$T/HW"
printf 'Hello, sockit\n' > "$T/greet"
printf 'HELLO, SOCKIT\n' > "$T/GREET"
printf 'login: bob\n' > "$T/login"
printf 'a\r\nb\r\n' > "$T/crlf"
printf 'a\nb\n' > "$T/ab"
printf 'hello' > "$T/hello5"
head -c 67108864 /dev/urandom > "$T/big"
head -c 1048576 /dev/urandom > "$T/mib"
: > "$T/empty"

cat > "$T/table" <<'EOF'
echo|tcp|--echo|-||hw|=
upper|tcp|--upper|-||greet|GREET
64 MiB echo|tcp|--echo|-||big|=
half-close: tr answers at end of input|tcp|--sh-exec 'tr a-z A-Z'|-||hw|HW
exec cat, 1 MiB|tcp|--exec /bin/cat|-||mib|=
frame len32, upper per message|tcp|--frame len32 --upper|-|--frame len32|hw|HW
frame line|tcp|--frame line --echo|-|--frame line|hw|=
crlf|tcp|--echo|-|--crlf|ab|crlf
send/expect against a banner|tcp|--banner 'login: ' --echo|-|--expect 'login: ' --send 'bob\n' --expect bob --timeout 5|empty|login
recv-bytes|tcp|--echo|-|--recv-bytes 5|hw|hello5
stdio download, client stdin /dev/null|tcp|--stdio|big||empty|big
unix echo|unix|--echo|-|--tls-name localhost|hw|=
unix upper|unix|--upper|-|--tls-name localhost|greet|GREET
unix 64 MiB echo|unix|--echo|-|--tls-name localhost|big|=
unix half-close|unix|--sh-exec 'tr a-z A-Z'|-|--tls-name localhost|hw|HW
unix frame len32|unix|--frame len32 --upper|-|--tls-name localhost --frame len32|hw|HW
unix stdio download|unix|--stdio|mib|--tls-name localhost|empty|mib
EOF

n=0
while IFS='|' read -r name kind sargs sin cargs input want; do
	n=$((n + 1))
	[ "$want" = "=" ] && want=$input
	if [ "$sin" = - ]; then sin=/dev/null; else sin=$T/$sin; fi
	rm -f "$T/srv.ready"
	# The words of the table, escaped blanks kept (eval, as the shell
	# would read them on a command line).
	if [ "$kind" = tcp ]; then
		eval "set -- tcp-server 0 $srvtls $sargs --ready-file \"\$T/srv.ready\""
	else
		rm -f "$T/u.sock"
		eval "set -- unix-server \"\$T/u.sock\" $srvtls $sargs --ready-file \"\$T/srv.ready\""
	fi
	"$SOCKIT" "$@" < "$sin" > "$T/srv.out" 2> "$T/srv.err" &
	spid=$!
	PIDS="$PIDS $spid"
	poll_until 10 test -s "$T/srv.ready" ||
	    fail "$name: server did not start: $(cat "$T/srv.err")"
	if [ "$kind" = tcp ]; then
		port=$(sed 's/.*://' "$T/srv.ready")
		eval "set -- tcp-client $clitls $cargs localhost $port"
	else
		eval "set -- unix-client $clitls $cargs \"\$T/u.sock\""
	fi
	t0=$(now_ms)
	sk 60 "$T/$input" "$@"
	ms=$(($(now_ms) - t0))
	if [ "$RC" != 0 ]; then
		bad "$name: client exited $RC: $(cat "$T/err")"
	elif ! cmp -s "$T/$want" "$T/out"; then
		if [ "$(wc -c < "$T/$want")" -gt 100 ]; then
			bad "$name: got $(wc -c < "$T/out") bytes, differing from the $(wc -c < "$T/$want") expected"
		else
			bad "$name: got '$(cat "$T/out")', expected '$(cat "$T/$want")'"
		fi
	fi
	echo "$name ($kind): exit $RC, $(wc -c < "$T/out") bytes, $ms ms"
	kill "$spid" 2> /dev/null
	wait_exit "$spid" 10
done < "$T/table"
[ "$n" -eq "$(wc -l < "$T/table")" ] || fail "ran $n of $(wc -l < "$T/table") rows"
exit "$FAILED"
