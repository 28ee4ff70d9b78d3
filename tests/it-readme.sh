#!/bin/sh
# Runs every README.md block marked <!-- runnable -->.  "$ " lines are
# commands, the lines after one are its expected standard output; fixed
# ports become ports the servers report through --port-file, and socket
# paths move into the test's private directory.  Other blocks run as
# shell scripts.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need python3

readme="${SOCKIT_SRCDIR:-.}/README.md"
mkdir -p "$T/bin"
ln -s "$SOCKIT" "$T/bin/sockit"
PATH="$T/bin:$PATH" python3 - "$readme" "$T" <<'PY' || fail "README blocks"
import re, subprocess, sys, os

readme, tmp = sys.argv[1], sys.argv[2]
text = open(readme).read()
blocks = re.findall(r"<!-- runnable -->\s*```sh\n(.*?)```", text, re.S)
assert len(blocks) >= 8, "too few runnable README blocks: %d" % len(blocks)

def private(line, ports):
    line = line.replace("/tmp/", tmp + "/")
    line = re.sub(r"@sockit-([a-z]+)", r"@sockit-\1-%d" % os.getpid(), line)
    for port, var in ports.items():
        line = re.sub(r"\b%s\b" % port, "$" + var, line)
    return line

def to_script(block):
    """Turns a $-session into a script that checks each output."""
    out, ports, expect, n = [], {}, [], 0
    lines = block.splitlines()
    def flush():
        if cmd is not None:
            want = "\n".join(expect)
            out.append("got=$(%s) || { echo 'failed: %s' >&2; exit 1; }"
                       % (cmd, cmd.replace("'", "")))
            out.append("[ \"$got\" = %s ] || { printf 'want:\\n%%s\\ngot:\\n%%s\\n' %s \"$got\" >&2; exit 1; }"
                       % (sh_quote(want), sh_quote(want)))
    cmd = None
    for line in lines:
        if line.startswith("$ "):
            flush()
            cmd, expect = None, []
            c = line[2:]
            m = re.match(r"sockit (tcp|udp)-server (\d+)(.*)&$", c)
            if m:
                n += 1
                var = "PORT_%s" % m.group(2)
                pf = "%s/port%d" % (tmp, n)
                out.append("rm -f %s" % pf)
                out.append("sockit %s-server 0%s--port-file %s >/dev/null 2>&1 &"
                           % (m.group(1), m.group(3), pf))
                out.append("i=0; until [ -s %s ]; do i=$((i+1)); [ $i -lt 500 ] || exit 1; sleep 0.01; done" % pf)
                out.append("%s=$(cat %s)" % (var, pf))
                ports[m.group(2)] = var
            elif c.endswith("&"):
                out.append(private(c[:-1], ports) + " >/dev/null 2>&1 &")
            elif c.startswith("kill"):
                # As written: a kill that misses its server must show.
                out.append(c)
            else:
                cmd = private(c, ports)
        else:
            expect.append(line)
    flush()
    # Every server the block started must have been stopped by it: wait
    # (bounded) for each job to end, then fail on any left running.
    out.append(LEAK_CHECK)
    return "\n".join(out) + "\n"

LEAK_CHECK = r"""
for p in $(jobs -p); do
    i=0
    while kill -0 "$p" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" 2>/dev/null; do
        i=$((i+1))
        if [ $i -ge 250 ]; then
            echo "the block left pid $p running: $(tr '\0' ' ' < /proc/$p/cmdline)" >&2
            kill $(jobs -p) 2>/dev/null
            exit 1
        fi
        sleep 0.02
    done
done
exit 0"""

def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

for i, b in enumerate(blocks):
    script = to_script(b) if b.lstrip().startswith("$ ") else b
    r = subprocess.run(["bash", "-c", "set -m\n" + script], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        print("README block %d failed (exit %d):\n%s\n--- script:\n%s\n--- stderr:\n%s"
              % (i + 1, r.returncode, b, script, r.stderr), file=sys.stderr)
        sys.exit(1)
print("%d README blocks ran" % len(blocks))
PY
exit 0
