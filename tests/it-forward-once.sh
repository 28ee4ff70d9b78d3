#!/bin/sh
# --once --forward reports the one connection: a backend that refuses
# is exit 3, one that never answers (-w) exit 4, as a client's connect
# would be; a forwarded connection that completes is exit 0.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# A port that refuses: a server started and stopped.
start_server gone tcp-server 0
kill "$gone_PID"
wait_exit "$gone_PID" 10
poll_until 5 tcp_refused "$gone_PORT" || skip "the port $gone_PORT is taken again"

start_server once tcp-server 0 --once --forward "127.0.0.1:$gone_PORT"
"$SOCKIT" tcp-client 127.0.0.1 "$once_PORT" < /dev/null > /dev/null 2>&1
wait_exit "$once_PID" 10
grep -q 'backend .*: Connection refused' "$T/once.err" ||
    fail "no backend failure logged: $(cat "$T/once.err")"
[ "$RC" != 0 ] ||
    fail "--once: the one connection's backend refused, yet exit 0: \
$(cat "$T/once.err")"
exit 0
