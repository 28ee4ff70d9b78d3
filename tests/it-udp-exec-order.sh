#!/bin/sh
# udp-server --exec answers each peer in the order it sent: a peer's
# next datagram waits until the program for its previous one has ended
# and its reply is out.  Programs for different peers still run at the
# same time.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# 1. "LINE ONE" waits (at most 2 s) for the program answering "LINE TWO"
#    to have started, which leaves a mark: run at once, TWO would be
#    answered first.  In order, ONE never sees the mark.
cat > "$T/slow-one.sh" <<EOF
read -r x
if [ "\$x" = "LINE ONE" ]; then
	n=0
	while [ ! -e "$T/two-ran" ] && [ \$n -lt 100 ]; do
		sleep 0.02
		n=\$((n + 1))
	done
	[ -e "$T/two-ran" ] && x="\$x (after TWO)"
fi
[ "\$x" = "LINE TWO" ] && : > "$T/two-ran"
printf '%s\n' "\$x"
EOF
start_server ord udp-server 0 --exec "/bin/sh $T/slow-one.sh"
printf 'LINE ONE\nLINE TWO\nLINE THREE\n' > "$T/in"
"$SOCKIT" udp-client --reply-timeout 5 127.0.0.1 "$ord_PORT" \
    < "$T/in" > "$T/out" 2> "$T/err" ||
    fail "udp-client exited $?: $(cat "$T/err")"
cmp -s "$T/in" "$T/out" ||
    fail "replies out of order: '$(cat "$T/out")'"

# 2. A burst of 30 datagrams from one peer, each its own child: the
#    replies come back in the order sent.
start_server cat udp-server 0 --exec cat
seq 1 30 > "$T/in30"
"$SOCKIT" udp-client --reply-timeout 5 127.0.0.1 "$cat_PORT" \
    < "$T/in30" > "$T/out30" 2> "$T/err30" ||
    fail "udp-client (30) exited $?: $(cat "$T/err30")"
cmp -s "$T/in30" "$T/out30" ||
    fail "30 replies out of order: $(tr '\n' ' ' < "$T/out30")"

# 3. Other peers are not held up: A's program waits (at most 10 s) for a
#    mark that only B's program leaves.  If B waited for A, B would get
#    no reply within its --reply-timeout.
cat > "$T/pair.sh" <<EOF
read -r x
case \$x in
A)	: > "$T/a-ran"
	n=0
	while [ ! -e "$T/b-ran" ] && [ \$n -lt 500 ]; do
		sleep 0.02
		n=\$((n + 1))
	done
	[ -e "$T/b-ran" ] && x="A after B" ;;
B)	: > "$T/b-ran" ;;
esac
printf '%s\n' "\$x"
EOF
start_server pair udp-server 0 --exec "/bin/sh $T/pair.sh"
"$SOCKIT" udp-client --reply-timeout 15 --send A 127.0.0.1 "$pair_PORT" \
    < /dev/null > "$T/a.out" 2> "$T/a.err" &
apid=$!
PIDS="$PIDS $apid"
# B goes once A's program runs (it leaves a mark first).
poll_until 10 test -e "$T/a-ran" || fail "A's program never started"
"$SOCKIT" udp-client --reply-timeout 2 --send B 127.0.0.1 "$pair_PORT" \
    < /dev/null > "$T/b.out" 2> "$T/b.err" ||
    fail "B waited for A's program: exit $?: $(cat "$T/b.err")"
[ "$(cat "$T/b.out")" = B ] || fail "B got '$(cat "$T/b.out")'"
wait_exit "$apid" 15
[ "$RC" = 0 ] || fail "A exited $RC: $(cat "$T/a.err")"
[ "$(cat "$T/a.out")" = "A after B" ] || fail "A got '$(cat "$T/a.out")'"
exit 0
