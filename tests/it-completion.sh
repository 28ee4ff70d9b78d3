#!/bin/sh
# The bash completion script loads and completes commands, options and
# option values.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need bash

comp="${SOCKIT_SRCDIR:-.}/completions/sockit"
PATH="$(dirname "$SOCKIT"):$PATH"
export PATH

# complete WORDS...: prints the candidates for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _sockit; printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
}

[ "$(complete_words sockit tcp-s)" = "tcp-server" ] ||
    fail "tcp-s did not complete to tcp-server: $(complete_words sockit tcp-s)"
complete_words sockit tcp-client --no- | grep -qx -- '--no-shutdown' ||
    fail "tcp-client --no- did not offer --no-shutdown"
complete_words sockit tcp-server --idle | grep -qx -- '--idle-timeout' ||
    fail "tcp-server options not completed"
complete_words sockit ssh-lite e | grep -qx exec ||
    fail "ssh-lite subcommands not completed"
complete_words sockit ssh-lite exec --key | grep -qx -- '--key-file' ||
    fail "ssh-lite exec options not completed"
complete_words sockit --log-format j | grep -qx json ||
    fail "--log-format values not completed"
touch "$T/keyfile"
complete_words sockit ssh-lite exec --key-file "$T/key" | grep -q keyfile ||
    fail "--key-file does not complete file names"
exit 0
