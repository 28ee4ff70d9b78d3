# Shared helpers for the integration tests (sourced by tests/it-*.sh).
#
# Every test gets a short private directory $T (Unix socket paths must fit
# 108 bytes, even under make distcheck), servers on port 0 whose port is
# read from --port-file, and a trap that kills what it started.  Every
# wait is bounded.

: "${SOCKIT:?SOCKIT must point at the sockit binary}"
T=$(mktemp -d /tmp/sockit.XXXXXX) || exit 1
PIDS=""		# background jobs of this shell
STRAYS=""	# other processes a test started (killed by pid, never by name)

# True while pid $1 runs (a zombie waiting to be reaped does not count).
running() {
	kill -0 "$1" 2>/dev/null &&
	    ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# Bounded, even when a broken server ignores SIGTERM or waits for its
# children forever: TERM what the test started, KILL what is left after
# 5 s, reap, remove $T.
cleanup() {
	for p in $STRAYS $PIDS; do
		kill "$p" 2>/dev/null
	done
	n=250
	while [ "$n" -gt 0 ]; do
		alive=""
		for p in $STRAYS $PIDS; do
			running "$p" && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		n=$((n - 1))
		sleep 0.02
	done
	for p in $alive; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# bad MESSAGE: reports a failure but goes on, for tests that check many
# independent cases; such a test ends with `exit "$FAILED"`.
FAILED=0
bad() {
	echo "FAIL: $*" >&2
	FAILED=1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Repeats a command every 20 ms until it succeeds, at most SECONDS.
# This is a readiness poll (the condition is checked, not assumed).
poll_until() {
	secs=$1
	shift
	tries=$((secs * 50))
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		tries=$((tries - 1))
		sleep 0.02
	done
	return 1
}

# start_server NAME ARGS...: runs "$SOCKIT ARGS --port-file $T/NAME.port"
# in the background, stderr to $T/NAME.err, and waits until it listens.
# Sets NAME_PID and NAME_PORT.
start_server() {
	name=$1
	shift
	rm -f "$T/$name.port"
	"$SOCKIT" "$@" --port-file "$T/$name.port" 2>"$T/$name.err" &
	pid=$!
	PIDS="$PIDS $pid"
	eval "${name}_PID=$pid"
	poll_until 10 test -s "$T/$name.port" ||
	    fail "$name did not start: $(cat "$T/$name.err")"
	eval "${name}_PORT=$(cat "$T/$name.port")"
}

# start_unix NAME ADDR ARGS...: runs "$SOCKIT unix-server ADDR ARGS" in
# the background (stderr to $T/NAME.err), ADDR a path or an @abstract
# name, and waits for its --ready-file, written once it listens.  Sets
# NAME_PID.  (The socket file is no readiness signal: it appears at
# bind(), before listen(), and a client that connects in between is
# refused.)
start_unix() {
	name=$1 addr=$2
	shift 2
	rm -f "$T/$name.ready"
	"$SOCKIT" unix-server "$addr" "$@" --ready-file "$T/$name.ready" \
	    2> "$T/$name.err" &
	eval "${name}_PID=$!"
	PIDS="$PIDS $!"
	poll_until 10 test -s "$T/$name.ready" ||
	    fail "unix-server $addr did not start: $(cat "$T/$name.err")"
}

# wait_exit PID SECONDS: waits for a background job to end; sets RC.
wait_exit() {
	poll_until "$2" sh -c "! kill -0 $1 2>/dev/null" ||
	    fail "process $1 still running after $2 s"
	wait "$1"
	RC=$?
}

# sk_out SECS IN OUT ARGS...: runs "$SOCKIT" ARGS with stdin IN, stdout
# OUT and stderr $T/err in the background, waits at most SECS; sets RC.
sk_out() {
	secs=$1 in=$2 out=$3
	shift 3
	"$SOCKIT" "$@" < "$in" > "$out" 2> "$T/err" &
	skpid=$!
	PIDS="$PIDS $skpid"
	wait_exit "$skpid" "$secs"
}

# sk SECS IN ARGS...: sk_out with stdout $T/out.
sk() {
	secs=$1 in=$2
	shift 2
	sk_out "$secs" "$in" "$T/out" "$@"
}

# await_file WHAT SECS FILE PID LOG: waits, at most SECS, until the
# background job PID has written FILE (a file with something in it: how a
# python3 peer says it is under way).  Fails, quoting LOG (the job's
# output), if the job ends first or SECS pass.  WHAT names the job.
await_file() {
	poll_until "$2" file_or_gone "$3" "$4" ||
	    fail "$1: no $3 after $2 s: $(cat "$5")"
	test -s "$3" || fail "$1 ended without writing $3: $(cat "$5")"
}
file_or_gone() {
	test -s "$1" || ! kill -0 "$2" 2>/dev/null
}

# expect_rc WANT CMD...: runs CMD, fails unless it exits WANT.
expect_rc() {
	want=$1
	shift
	"$@"
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}

# tcp_refused PORT: true when a connection to 127.0.0.1:PORT is refused
# (exit 3), e.g. once a draining server has closed its listener.
tcp_refused() {
	"$SOCKIT" tcp-client -z 127.0.0.1 "$1" 2>/dev/null
	[ $? = 3 ]
}

# Resident set size of a process in KiB.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"
}

# --- TLS: helpers of the tests/it-tls-*.sh ------------------------------

# need_tls: skips unless this sockit has TLS and the openssl CLI (which
# makes the test certificates) is there.
need_tls() {
	have_tls ||
	    skip "sockit was built without TLS (configure --with-openssl=no), or no openssl"
}

# have_tls: true when this sockit has TLS and openssl(1) is there to
# make the fixtures (for a test whose TLS part is one case among others).
have_tls() {
	command -v openssl > /dev/null 2>&1 || return 1
	"$SOCKIT" tcp-client --tls -z 127.0.0.1 1 2> "$T/need_tls.err"
	! grep -q 'built without TLS' "$T/need_tls.err"
}

# tls_fixtures: makes the certificates of tests/tls-fixtures.sh (CA,
# server for localhost, 127.0.0.1 and ::1, expired, other CA, clients)
# in $T/tls and sets TLS to that directory.
tls_fixtures() {
	TLS=$T/tls
	sh "${SOCKIT_SRCDIR:-.}/tests/tls-fixtures.sh" "$TLS" ||
	    fail "tests/tls-fixtures.sh failed"
}

# tls_fp FILE: the SHA-256 fingerprint of a PEM certificate as sockit
# prints and --tls-pin takes it (sha256: and 64 lowercase hex digits).
tls_fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
	    sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f' | sed 's/^/sha256:/'
}

# free_port: a TCP port free on 127.0.0.1 now, for a peer that cannot
# bind port 0 and say which port it got (ncat, openssl -quiet).
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# tcp_listening PORT: true when a TCP socket listens on PORT, read from
# /proc/net/tcp{,6}: no connection is made, so the check does not use up
# a peer that serves one client.
tcp_listening() {
	awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" &&
	    substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# start_peer NAME PORT CMD...: runs CMD, another program's TLS server, in
# the background and waits until it listens on PORT.  Its stdin is a FIFO
# nobody writes to (openssl s_server stops at end of stdin), its stdout
# $T/NAME.out, its stderr $T/NAME.err.  Sets NAME_PID.
start_peer() {
	name=$1 port=$2
	shift 2
	rm -f "$T/$name.fifo"
	mkfifo "$T/$name.fifo" || fail "mkfifo"
	"$@" 0<> "$T/$name.fifo" > "$T/$name.out" 2> "$T/$name.err" &
	pid=$!
	PIDS="$PIDS $pid"
	eval "${name}_PID=$pid"
	poll_until 10 listening_or_gone "$port" "$pid" ||
	    fail "$name did not listen on $port: $(cat "$T/$name.err")"
	running "$pid" || fail "$name ended: $(cat "$T/$name.err")"
}
listening_or_gone() {
	tcp_listening "$1" || ! running "$2"
}

# now_ms: a clock in milliseconds, for the timings bulk tests print.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
