#!/bin/sh
# A client that sends ~200 MiB to the echo server and never reads: the
# server stops reading from it (backpressure) so its memory stays bounded,
# and other clients are still served meanwhile.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
LIMIT_KB=65536

start_server echo tcp-server 0

python3 "${SOCKIT_SRCDIR:-.}/tests/hog.py" "$echo_PORT" "$T/blocked" "$T/done" \
    > "$T/hog.out" 2>&1 &
hog=$!
PIDS="$PIDS $hog"
await_file "the sender" 90 "$T/blocked" "$hog" "$T/hog.out"

rss=$(rss_kb "$echo_PID")
[ -n "$rss" ] && [ "$rss" -lt "$LIMIT_KB" ] ||
    fail "server RSS is ${rss} KiB with a blocked sender (limit $LIMIT_KB)"

# Another client is served while the hog is stuck.
printf 'still here\n' > "$T/msg"
sk 10 "$T/msg" tcp-client 127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "second client exited $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "second client got '$(cat "$T/out")'"
rss=$(rss_kb "$echo_PID")
[ "$rss" -lt "$LIMIT_KB" ] || fail "server RSS grew to ${rss} KiB"

: > "$T/done"
wait_exit "$hog" 40
[ "$RC" = 0 ] || fail "sender: $(cat "$T/hog.out")"
cat "$T/hog.out"
echo "server RSS ${rss} KiB"
exit 0
