# Shared set-up for scripts/run and scripts/test (sourced, not run):
# install missing build packages, then configure and build in ./build.
# Honors CONFIGURE_FLAGS and BUILD_DIR.

SOCKIT_PACKAGES="build-essential autoconf automake libtool pkg-config check libsodium-dev libssl-dev"
# The test peers: proxies (microsocks, tinyproxy), haproxy for the PROXY
# protocol, nc/ncat/socat/openssl for interop, hexdump for the dumps.
SOCKIT_TEST_PACKAGES="python3 socat netcat-openbsd ncat zsh procps openssl \
    ca-certificates microsocks tinyproxy haproxy bsdextrautils"

sockit_missing_packages() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	echo "$missing"
}

# Installs the given Debian packages when some are missing; as non-root
# prints the exact list and fails.
sockit_install() {
	command -v dpkg-query >/dev/null 2>&1 || {
		echo "sockit: not a Debian system; install: $*" >&2
		return 0
	}
	missing=$(sockit_missing_packages "$@")
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "sockit: missing packages:$missing" >&2
		echo "sockit: run: sudo apt-get install -y$missing" >&2
		return 1
	fi
	echo "sockit: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 &&
	    apt-get install -y -qq --no-install-recommends $missing >&2
}

sockit_build() {
	top=$(cd "$(dirname "$0")/.." && pwd)
	build=${BUILD_DIR:-$top/build}
	if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
		(cd "$top" && autoreconf -fi) || return 1
	fi
	mkdir -p "$build" || return 1
	if [ ! -f "$build/Makefile" ] || [ "$top/configure" -nt "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" ${CONFIGURE_FLAGS:-}) || return 1
	fi
	make -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >&2 || return 1
}
