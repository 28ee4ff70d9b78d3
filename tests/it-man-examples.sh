#!/bin/sh
# Runs every example of the EXAMPLES section of man/sockit.1, read from
# the mdoc source at test time (escapes decoded, "\" continuations
# joined), so that editing an example changes what is tested.
#
# SOCKIT_MAN=FILE tests another copy of the page (default
# "$SOCKIT_SRCDIR/man/sockit.1"), e.g. a scratch copy with one expected
# output line changed, which must make this test fail.
#
# Blocks with "$ " prompts are sessions, run in one sh per block:
#  - "$ " lines are commands; the lines after one are what it shows on
#    the terminal: its stdout and stderr lines must interleave into them
#    exactly (for "; echo $?" that includes the status).  A command with
#    no such lines only has to exit 0.  In shown output, HOST:PORT of a
#    server of the example has its real port; a port >= 32768 of no
#    server (a peer's ephemeral port) matches any port.
#  - every server (tcp/udp/unix-server, ssh-lite server) runs in the
#    background: fixed ports become port 0 with --port-file (waited for,
#    at most 10 s), "-b 0.0.0.0" becomes 127.0.0.1 and "-b ::" ::1, /tmp
#    paths move into the test's directory and abstract @names get the
#    test's pid; later commands get the real port.  Servers are killed
#    at the end of the block.  A server no command talks to (an
#    alternative way to do the same) must answer the commands shown for
#    the other server of its kind with the same output.
#  - a client of a port no server in the block provides (the server "of
#    the previous example", or a remote host, moved to loopback) gets a
#    stand-in: a scripted peer answering its --expect/--send dialogue
#    (what it sent is checked), else a --stdio server recording what it
#    receives (with --crlf every line must end in CRLF).
#  - input files ("< file") that do not exist are created; a server
#    whose stdout goes to a file must then end by itself once its client
#    is done, having written exactly the client's file.
#  - with --log-format json, every line a server logs must be JSON; a
#    command with --stats and no output shown must print one line on
#    stderr (the summary).
#  - "head -c NG" (a gigabyte sink) is cut to 16M: a benchmark may run.
# Blocks without prompts are scripts: run with sh (at most 30 s, the
# built sockit first in PATH, TMPDIR in the test's directory); they must
# exit 0 and print no line starting with "failed".
#
# Examples that cannot run unattended are only "parsed": a server with
# no client in its example is started and must be listening and still
# running at the end; an interactive client (no input, no --send or -z)
# runs with stdin from /dev/null against a stand-in and must exit 0.
# Examples with --tls are skipped, and listed, when sockit was built
# without TLS (configure --with-openssl=no); those that run openssl(1)
# when it is not installed.
# The test lists those and prints "N examples run, M parsed only, K
# skipped"; it
# fails if the page yields fewer examples than MIN_EXAMPLES.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need python3

man="${SOCKIT_MAN:-${SOCKIT_SRCDIR:-.}/man/sockit.1}"
[ -s "$man" ] || fail "no man page at $man"
mkdir -p "$T/bin"
ln -s "$SOCKIT" "$T/bin/sockit"
# In the background, so that lib.sh's trap can stop it (it then kills
# what the current example started).
PATH="$T/bin:$PATH" python3 - "$man" "$T" "$$" <<'PY' &
import json, os, re, shlex, signal, subprocess, sys, time

MIN_EXAMPLES = 27          # examples in the page when this test was last grown
BLOCK_TIMEOUT = 30         # seconds per example
man, tmp, tag = sys.argv[1], sys.argv[2], sys.argv[3]
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))

def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

# --- the page ---------------------------------------------------------

ESC = {"e": "\\", "\\": "\\", "-": "-", "&": "", ".": ".", " ": " ",
       "(aq": "'", "(dq": '"', "(ga": "`", "(ti": "~", "(ha": "^",
       "(rs": "\\", "(at": "@", "(lq": '"', "(rq": '"'}

def decode(line):
    def one(m):
        key = m.group(1)
        if key.startswith("["):
            key = "(" + key[1:-1]
        if key not in ESC:
            die("cannot decode the roff escape \\%s in: %s" % (m.group(1), line))
        return ESC[key]
    return re.sub(r"\\(\(..|\[[^]]*\]|.)", one, line)

text = open(man).read()
m = re.search(r"^\.Sh EXAMPLES\n(.*?)^\.Sh ", text, re.S | re.M)
if not m:
    die("no EXAMPLES section in %s" % man)
blocks = []
for raw in re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", m.group(1), re.S | re.M):
    lines = [decode(l) for l in raw.splitlines() if not l.startswith(".")]
    blocks.append(lines)
if len(blocks) < MIN_EXAMPLES:
    die("EXAMPLES yields %d examples, expected at least %d (extractor broken?)"
        % (len(blocks), MIN_EXAMPLES))

# --- what sockit's options look like (for finding positional args) ---

VALUE_OPTS = set()
for topic in ("tcp-server", "tcp-client", "udp-server", "udp-client",
              "unix-server", "unix-client", "ssh-lite keygen",
              "ssh-lite server", "ssh-lite exec"):
    out = subprocess.run(["sockit", "help"] + topic.split(),
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        mm = re.match(r"\s+(-\S.*?)(?:\s{2,}|$)", line)
        if not mm:
            continue
        parts = mm.group(1).split(", ")
        last = parts[-1].split(" ", 1)
        if len(last) == 2:
            VALUE_OPTS.update(parts[:-1] + [last[0]])
if "--port-file" not in VALUE_OPTS:
    die("could not read option syntax from 'sockit help'")

# A build without TLS says so when asked for --tls.
HAVE_TLS = "built without TLS" not in subprocess.run(
    ["sockit", "tcp-client", "--tls", "-z", "127.0.0.1", "1"],
    capture_output=True, text=True, stdin=subprocess.DEVNULL).stderr
HAVE_OPENSSL = any(os.access(os.path.join(d, "openssl"), os.X_OK)
                   for d in os.environ.get("PATH", "").split(":") if d)

SERVERS = {"tcp-server": "tcp", "udp-server": "udp", "unix-server": "unix"}
CLIENTS = {"tcp-client": "tcp", "udp-client": "udp", "unix-client": "unix"}
LOOPBACK = {"127.0.0.1", "::1", "[::1]", "localhost"}
HAVE_V6 = any(l.split()[0] == "0" * 31 + "1"
              for l in open("/proc/net/if_inet6")) \
    if os.path.exists("/proc/net/if_inet6") else False

def tokens(s):
    """Shell words and operators of one command line, with their spans."""
    out, i, n = [], 0, len(s)
    while i < n:
        if s[i] in " \t":
            i += 1
            continue
        mm = re.match(r"\d*(?:>>|>&|<&|>|<)|&&|\|\||[;&|]", s[i:])
        if mm:
            out.append(("op", mm.group(0), i, i + len(mm.group(0))))
            i += len(mm.group(0))
            continue
        j, q = i, None
        while j < n:
            c = s[j]
            if q:
                if c == q:
                    q = None
                elif c == "\\" and q == '"':
                    j += 1
            elif c in "'\"":
                q = c
            elif c == "\\":
                j += 1
            elif c in " \t;&|<>":
                break
            j += 1
        out.append(("word", s[i:j], i, j))
        i = j
    return out

def unquote(word):
    try:
        return shlex.split(word)[0] if word else ""
    except (ValueError, IndexError):
        return word

def invocations(toks):
    """(index of 'sockit', index of its command word, end index) for each
    sockit invocation: the command word is e.g. tcp-server, or 'server'
    and 'exec' after ssh-lite."""
    res = []
    for k, t in enumerate(toks):
        if t[0] != "word" or t[1] != "sockit":
            continue
        end = k + 1
        while end < len(toks) and toks[end][0] == "word":
            end += 1
        c = k + 1
        while c < end:
            w = toks[c][1]
            if w in SERVERS or w in CLIENTS:
                break
            if w == "ssh-lite":
                c += 1
                break
            c += 2 if w in VALUE_OPTS else 1
        if c < end:
            res.append((k, c, end))
    return res

def positionals(toks, c, end):
    """Indexes of the positional words after the command word c."""
    res, i = [], c + 1
    while i < end:
        w = toks[i][1]
        if w == "--":
            break
        if w.startswith("-") and len(w) > 1:
            i += 2 if (w in VALUE_OPTS and "=" not in w) else 1
            continue
        res.append(i)
        i += 1
    return res

def private(line):
    line = line.replace("/tmp/", "%s/" % BDIR)
    return re.sub(r"(?<![\w/@])@([A-Za-z][\w.-]*)", r"@\1-" + tag, line)

def replace_spans(s, edits):
    """Applies (start, end, text) edits; insertions at one place keep
    their order."""
    for _, (a, b, new) in sorted(((e[0], i), e) for i, e in enumerate(edits))[::-1]:
        s = s[:a] + new + s[b:]
    return s

def q(s):
    return shlex.quote(s)

# --- a session block becomes one sh script --------------------------

def parse_session(lines):
    steps = []
    for line in lines:
        if line.startswith("$ "):
            steps.append({"cmd": line[2:], "expect": [], "cont": line.endswith("\\")})
        elif steps and steps[-1]["cont"]:
            steps[-1]["cmd"] = steps[-1]["cmd"][:-1].rstrip() + " " + line.strip()
            steps[-1]["cont"] = line.endswith("\\")
        elif steps:
            steps[-1]["expect"].append(line)
        elif line.strip():
            die("output line before any command: %r" % line)
    return steps

def wait_until(cond, pid, what):
    """Polls the shell condition cond every 0.05 s, at most 10 s; fails
    at once if the server ($pid) has exited."""
    return ("_mx_i=0; until %s; do _mx_i=$((_mx_i+1)); "
            "kill -0 %s 2>/dev/null || _mx_fail %s; "
            "[ $_mx_i -le 200 ] || _mx_fail %s; sleep 0.05; done"
            % (cond, pid, q("exited before listening: " + what),
               q("did not start listening within 10 s: " + what)))

def wait_port(pf, pid, what):
    return wait_until("[ -s %s ]" % q(pf), pid, what)

def wait_unix(path, pid, what):
    # Listening (flags __SO_ACCEPTCON) for a stream, bound for datagrams.
    cond = ("{ awk -v p=%s '$NF == p && ($4 == \"00010000\" || $5 == \"0002\") "
            "{ f = 1 } END { exit !f }' /proc/net/unix 2>/dev/null || "
            "{ [ ! -r /proc/net/unix ] && [ -S %s ]; }; }" % (q(path), q(path)))
    return wait_until(cond, pid, what)

def step_sh(line, n):
    return ("{ %s\n} >%s 2>%s </dev/null; echo $? >%s"
            % (line, q("%s/o.%d" % (BDIR, n)), q("%s/e.%d" % (BDIR, n)),
               q("%s/rc.%d" % (BDIR, n))))

def session_script(steps, notes):
    """Returns (script, servers, stand-ins, input files)."""
    sh = ["_MX_SRV=",
          "_mx_fail() { echo \"$*\" >&2; kill $_MX_SRV 2>/dev/null; exit 90; }"]
    servers, standins = [], []
    ports = {}              # doc port -> port file
    fixtures = {}
    nsrv = 0
    for n, st in enumerate(steps):
        cmd = private(st["cmd"])
        mm = re.search(r"\bhead -c (\d+)G\b", cmd)
        if mm:
            cmd = cmd.replace(mm.group(0), "head -c 16M")
            notes.append("'head -c %sG' cut to 16M" % mm.group(1))
        toks = tokens(cmd)
        inv = invocations(toks)
        srv = [(k, c, e) for k, c, e in inv
               if toks[c][1] in SERVERS or
               (toks[c][1] == "server" and toks[c - 1][1] == "ssh-lite")]
        # input files the example assumes exist
        for i, t in enumerate(toks):
            if t[0] == "op" and t[1] == "<" and i + 1 < len(toks):
                f = unquote(toks[i + 1][1])
                if not f.startswith("/") and not os.path.exists(os.path.join(BDIR, f)):
                    with open(os.path.join(BDIR, f), "w") as fh:
                        fh.write("".join("man page example input, line %d\n" % i
                                         for i in range(1, 201)))
                    notes.append("created input file '%s'" % f)
                if not f.startswith("/"):
                    fixtures[f] = n
        st["server"] = bool(srv)
        if srv:
            k, c, e = srv[0]
            nsrv += 1
            name = toks[c][1]
            kind = SERVERS.get(name, "ssh")
            info = {"step": n, "kind": kind, "pid": "_MX_PID_%d" % nsrv,
                    "out": "%s/srv%d.out" % (BDIR, nsrv),
                    "err": "%s/srv%d.err" % (BDIR, nsrv),
                    "expect": st["expect"], "redir": None}
            edits = []
            pos = positionals(toks, c, e)
            for i in range(c + 1, e):
                if toks[i][1] in ("-b", "--bind") and i + 1 < e:
                    h = unquote(toks[i + 1][1])
                    new = {"0.0.0.0": "127.0.0.1",
                           "::": "::1" if HAVE_V6 else "127.0.0.1"}.get(h, h)
                    if new not in LOOPBACK:
                        die("cannot move %s to loopback in: %s" % (h, cmd))
                    if new != h:
                        edits.append((toks[i + 1][2], toks[i + 1][3], new))
                        notes.append("-b %s -> %s" % (h, new))
            ready = None
            if kind == "unix":
                if not pos:
                    die("no socket path in: %s" % cmd)
                path = unquote(toks[pos[0]][1])
                info["doc"] = path
                ready = wait_unix(path, "$" + info["pid"], cmd)
            else:
                portw = None
                for i in pos:
                    w = unquote(toks[i][1])
                    mm = re.match(r"^(.*):(\d+)$", w)
                    if re.match(r"^\d+$", w):
                        portw, doc = i, w
                        edits.append((toks[i][2], toks[i][3], "0"))
                    elif mm and mm.group(1) in LOOPBACK | {"0.0.0.0", "[::]"}:
                        portw, doc = i, mm.group(2)
                        edits.append((toks[i][2], toks[i][3],
                                      {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}
                                      .get(mm.group(1), mm.group(1)) + ":0"))
                    if portw is not None:
                        break
                if portw is None:
                    die("no port found in server command: %s" % cmd)
                pf = "%s/port.%s" % (BDIR, doc)
                info["doc"], info["pf"] = doc, pf
                ports[doc] = pf
                edits.append((toks[e - 1][3], toks[e - 1][3], " --port-file " + q(pf)))
                ready = wait_port(pf, "$" + info["pid"], cmd)
                if doc != "0":
                    notes.append("port %s -> port 0 + --port-file" % doc)
            # redirections right after the server, then '&'
            j = e
            has_out = has_err = False
            while j + 1 < len(toks) and toks[j][0] == "op" and re.match(r"\d*[<>]", toks[j][1]):
                op = toks[j][1]
                if op in (">", "1>", ">>", "1>>"):
                    has_out = True
                    info["redir"] = unquote(toks[j + 1][1])
                if op.startswith("2>"):
                    has_err = True
                j += 2
            after = toks[j][2] if j < len(toks) else len(cmd)
            extra = ""
            if info["redir"]:
                info["out"] = os.path.join(BDIR, info["redir"])
            elif not has_out:
                extra += " >" + q(info["out"])
            if not has_err:
                extra += " 2>" + q(info["err"])
            if not (j < len(toks) and toks[j][1] == "&"):
                extra += " &"
            edits.append((after, after, extra + " "))
            line = replace_spans(cmd, edits)
            if kind != "unix":
                sh.append("rm -f %s" % q(info["pf"]))
            sh.append(line)
            sh.append("%s=$!; _MX_SRV=\"$_MX_SRV $%s\"" % (info["pid"], info["pid"]))
            sh.append(ready)
            if kind != "unix":
                sh.append("P_%s=$(cat %s)" % (info["doc"], q(info["pf"])))
            servers.append(info)
            st["shown"] = cmd
            continue
        # not a server: find the client's host and port
        edits = []
        interactive = False
        uses = set()
        for k, c, e in inv:
            name = toks[c][1]
            if name not in CLIENTS and name != "exec":
                continue
            pos = positionals(toks, c, e)
            words = [toks[i][1] for i in range(c + 1, e)]
            host_i = port_i = None
            if name == "unix-client":
                if not any(t[0] == "op" and t[1] in ("|", "<") for t in toks) \
                        and not {"--send", "-z"} & set(words):
                    interactive = True
                continue
            if len(pos) >= 2:
                host_i, port_i = pos[0], pos[1]
                host, doc = unquote(toks[host_i][1]), unquote(toks[port_i][1])
            elif len(pos) == 1 and re.match(r"^(.*):(\d+)$", unquote(toks[pos[0]][1])):
                mm = re.match(r"^(.*):(\d+)$", unquote(toks[pos[0]][1]))
                host_i, host, doc = pos[0], mm.group(1), mm.group(2)
            else:
                continue
            if not re.match(r"^\d+$", doc):
                continue
            if host not in LOOPBACK:
                notes.append("host %s -> 127.0.0.1 (stand-in)" % host)
                host = "127.0.0.1"
            if doc not in ports:
                kind = CLIENTS.get(name)
                pf = "%s/standin.%s.port" % (BDIR, doc)
                rec = "%s/standin.%s.rec" % (BDIR, doc)
                sends = [unquote(toks[i + 1][1]) for i in range(c + 1, e - 1)
                         if toks[i][1] == "--send"]
                dialogue = [(toks[i][1], unquote(toks[i + 1][1]))
                            for i in range(c + 1, e - 1)
                            if toks[i][1] in ("--send", "--expect")]
                if kind == "udp":
                    srv = "sockit --quiet udp-server 0"
                    what = "udp echo"
                elif kind == "tcp" and any(d[0] == "--expect" for d in dialogue):
                    script = []
                    for opt, val in dialogue:
                        if opt == "--expect":
                            script.append("printf %%s %s" % q(val))
                        else:
                            script.append("IFS= read -r x; printf '%%s\\n' \"$x\" >> %s" % q(rec))
                    srv = "sockit --quiet tcp-server 0 --once --sh-exec %s" % q("; ".join(script))
                    what = "scripted peer for its --expect/--send dialogue"
                elif kind == "tcp":
                    srv = "sockit --quiet tcp-server 0 --stdio >%s" % q(rec)
                    what = "--stdio server recording what it receives"
                else:
                    die("no stand-in server for: %s" % cmd)
                sh.append("rm -f %s" % q(pf))
                sh.append("%s --port-file %s 2>%s </dev/null &" % (srv, q(pf), q(rec + ".err")))
                sh.append("_mx_p=$!; _MX_SRV=\"$_MX_SRV $_mx_p\"")
                sh.append(wait_port(pf, "$_mx_p", "stand-in " + srv))
                sh.append("P_%s=$(cat %s)" % (doc, q(pf)))
                ports[doc] = pf
                standins.append({"doc": doc, "rec": rec, "what": what,
                                 "sends": sends if "scripted" in what else None,
                                 "crlf": "--crlf" in words and "stdio" in what})
                notes.append("port %s served by a stand-in (%s)" % (doc, what))
            uses.add(doc)
            if host_i == port_i:
                edits.append((toks[host_i][2], toks[host_i][3], "%s:$P_%s" % (host, doc)))
            else:
                edits.append((toks[host_i][2], toks[host_i][3], q(host)))
                edits.append((toks[port_i][2], toks[port_i][3], "$P_%s" % doc))
            piped = any(t[0] == "op" and (t[1] == "<" or
                                          (t[1] == "|" and t[2] < toks[k][2]))
                        for t in toks)
            if name in CLIENTS and not piped and not {"--send", "-z"} & set(words):
                interactive = True
        st["interactive"] = interactive
        st["uses"] = uses
        line = replace_spans(cmd, edits)
        st["shown"] = line
        sh.append(step_sh(line, n))
    # A server no command talks to is an alternative to one of its kind
    # ("with a program per connection or with a banner"): the commands
    # shown for that one must give the same output with this one.
    used = set().union(*(st.get("uses", set()) for st in steps))
    for s in list(servers):
        if s["kind"] == "unix" or s["doc"] in used:
            continue
        for st in list(steps):
            u = st.get("uses", set())
            if not st["expect"] or len(u) != 1:
                continue
            d = next(iter(u))
            if not any(o["doc"] == d and o["kind"] == s["kind"] for o in servers):
                continue
            line = st["shown"].replace("$P_%s" % d, "$P_%s" % s["doc"])
            alt = dict(st, cmd="%s   [against the port %s server]" % (st["cmd"], s["doc"]),
                       uses={s["doc"]})
            steps.append(alt)
            sh.append(step_sh(line, len(steps) - 1))
            notes.append("the port %s server also checked with the port %s commands"
                         % (s["doc"], d))
    # End of the block: let servers show what they should, let those
    # writing a file finish, record which are alive, then stop them all.
    client_inputs = set(fixtures)
    for s in servers:
        if s["expect"]:
            sh.append("_mx_i=0; until [ $(cat %s %s 2>/dev/null | wc -l) -ge %d ]; do "
                      "_mx_i=$((_mx_i+1)); [ $_mx_i -le 200 ] || break; sleep 0.05; done"
                      % (q(s["out"]), q(s["err"]), len(s["expect"])))
        s["ends"] = bool(s["redir"] and client_inputs)
        if s["ends"]:
            sh.append("_mx_i=0; while kill -0 $%s 2>/dev/null; do _mx_i=$((_mx_i+1)); "
                      "[ $_mx_i -le 100 ] || break; sleep 0.05; done" % s["pid"])
        sh.append("cat %s > %s.snap 2>/dev/null; cat %s > %s.snap 2>/dev/null"
                  % (q(s["out"]), q(s["out"]), q(s["err"]), q(s["err"])))
        sh.append("kill -0 $%s 2>/dev/null && echo %d >> %s/alive"
                  % (s["pid"], servers.index(s), q(BDIR)))
    sh.append("kill $_MX_SRV 2>/dev/null")
    sh.append("_mx_i=0; for p in $_MX_SRV; do while kill -0 $p 2>/dev/null; do "
              "_mx_i=$((_mx_i+1)); [ $_mx_i -le 40 ] || break 2; sleep 0.05; done; done")
    sh.append("exit 0")
    return "\n".join(sh) + "\n", servers, standins, fixtures

# --- checking ---------------------------------------------------------

def line_re(exp, realports):
    out, last = [], 0
    for mm in re.finditer(r"(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+)", exp):
        out.append(re.escape(exp[last:mm.start()]))
        host, port = mm.group(1), mm.group(2)
        if port in realports:
            out.append(re.escape(host + ":" + realports[port]))
        elif int(port) >= 32768:
            out.append(re.escape(host) + r":\d+")     # a peer's ephemeral port
        else:
            out.append(re.escape(mm.group(0)))
        last = mm.end()
    out.append(re.escape(exp[last:]))
    return re.compile("".join(out) + r"\Z")

def interleaves(exp, a, b):
    """exp (patterns) == some interleaving of the lines a and b."""
    if not exp:
        return not a and not b
    return bool((a and exp[0].match(a[0]) and interleaves(exp[1:], a[1:], b)) or
                (b and exp[0].match(b[0]) and interleaves(exp[1:], a, b[1:])))

def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return b"" if "b" in mode else ""

def lines_of(data, what, problems):
    if data and not data.endswith("\n"):
        problems.append("%s does not end with a newline: %r" % (what, data[-40:]))
    return data.splitlines()

def run(script, cwd, shell_file):
    with open(shell_file, "w") as f:
        f.write(script)
    env = dict(os.environ, TMPDIR=cwd)
    p = subprocess.Popen(["sh", shell_file], cwd=cwd, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=BLOCK_TIMEOUT)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc = "timeout (%d s)" % BLOCK_TIMEOUT
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)    # anything left behind
        except ProcessLookupError:
            pass
    return rc, out, err

ran, parsed, skipped = [], [], []
start = time.time()
for num, lines in enumerate(blocks, 1):
    BDIR = "%s/ex%d" % (tmp, num)
    os.mkdir(BDIR)
    notes, problems = [], []
    title = next((l for l in lines if l.strip()), "(empty)")
    why = None
    if not HAVE_TLS and any(re.search(r"--(forward-)?tls\b", l) for l in lines):
        why = "sockit was built without TLS"
    elif not HAVE_OPENSSL and any(re.search(r"\bopenssl ", l) for l in lines):
        why = "openssl is not installed"
    if why:
        skipped.append((num, title, why))
        print("example %2d: skipped (%s): %s" % (num, why, title))
        continue
    if not any(l.startswith("$ ") for l in lines):
        script = "\n".join(lines) + "\n"
        rc, out, err = run(script, BDIR, BDIR + "/script.sh")
        if rc != 0:
            problems.append("exited %s" % rc)
        bad = [l for l in out.splitlines() if l.startswith("failed")]
        if bad:
            problems.append("reported: %s" % "; ".join(bad))
        if problems:
            die("example %d (script) failed: %s\n--- script:\n%s--- stdout:\n%s--- stderr:\n%s"
                % (num, ", ".join(problems), script, out, err))
        ran.append(num)
        print("example %2d: ran script: %s" % (num, title))
        continue
    steps = parse_session(lines)
    title = "$ " + steps[0]["cmd"]
    script, servers, standins, fixtures = session_script(steps, notes)
    rc, out, err = run(script, BDIR, BDIR + "/session.sh")
    if rc != 0:
        problems.append("session script exited %s: %s" % (rc, err.strip()))
    realports = {}
    for s in servers:
        if "pf" in s:
            realports[s["doc"]] = read(s["pf"]).strip()
    for s in standins:
        realports[s["doc"]] = read("%s/standin.%s.port" % (BDIR, s["doc"])).strip()
    alive = set(int(x) for x in read(BDIR + "/alive").split())
    checked = False         # some output or a non-interactive command checked
    for n, st in enumerate(steps):
        what = "'%s'" % st["cmd"]
        if st["server"]:
            s = next(s for s in servers if s["step"] == n)
            if st["expect"]:
                o = lines_of(read(s["out"] + ".snap"), what + " stdout", problems)
                e = read(s["err"] + ".snap").splitlines()
                exp = [line_re(x, realports) for x in st["expect"]]
                if not interleaves(exp, o, e):
                    problems.append("%s showed:\n%s\nexpected:\n%s"
                                    % (what, "\n".join(o + e), "\n".join(st["expect"])))
                checked = True
            continue
        rcs = read("%s/rc.%d" % (BDIR, n)).strip()
        o_data = read("%s/o.%d" % (BDIR, n))
        e_data = read("%s/e.%d" % (BDIR, n))
        if rcs != "0":
            problems.append("%s exited %s; stderr: %s" % (what, rcs or "?", e_data.strip()))
        if st["expect"]:
            o = lines_of(o_data, what + " stdout", problems)
            e = e_data.splitlines()
            exp = [line_re(x, realports) for x in st["expect"]]
            if not interleaves(exp, o, e):
                problems.append("%s showed:\n%s\n(stdout %r, stderr %r)\nexpected:\n%s"
                                % (what, "\n".join(o + e), o_data, e_data,
                                   "\n".join(st["expect"])))
        if not st["interactive"]:
            checked = True
        if "--stats" in st["cmd"].split() and not st["expect"]:
            if len(e_data.splitlines()) != 1:
                problems.append("%s: --stats printed %r, not a one-line summary"
                                % (what, e_data))
            else:
                notes.append("--stats: %s" % e_data.strip())
    only_servers = all(st["server"] for st in steps)
    for i, s in enumerate(servers):
        if s.get("ends"):
            if i in alive:
                problems.append("the server writing '%s' did not end after its client"
                                % s["redir"])
            src = [f for f in fixtures]
            got = read(s["out"], "rb")
            if not any(got == read(os.path.join(BDIR, f), "rb") for f in src):
                problems.append("'%s' differs from what the client sent (%d bytes)"
                                % (s["redir"], len(got)))
            notes.append("'%s' equals the file sent" % s["redir"])
        elif only_servers and i not in alive:
            problems.append("server '%s' did not keep running: %s"
                            % (steps[s["step"]]["cmd"], read(s["err"]).strip()))
        if re.search(r"--log-format[= ]json\b", steps[s["step"]]["cmd"]):
            logs = read(s["err"]).splitlines()
            try:
                for l in logs:
                    json.loads(l)
                notes.append("its %d log lines are JSON" % len(logs))
            except ValueError:
                problems.append("--log-format json logged a non-JSON line: %r" % l)
    for s in standins:
        rec = read(s["rec"], "rb")
        if s["sends"] is not None:
            want = "".join(re.sub(r"\\n$", "", x) + "\n" for x in s["sends"]).encode()
            if rec != want:
                problems.append("stand-in peer received %r, expected %r" % (rec, want))
        if s["crlf"]:
            if not rec or re.search(rb"(?<!\r)\n", rec) or not rec.endswith(b"\r\n"):
                problems.append("--crlf: stand-in received %r" % rec)
            else:
                notes.append("stand-in received %d bytes, CRLF lines" % len(rec))
    if problems:
        dump = "".join("--- %s:\n%s\n" % (f, read(os.path.join(BDIR, f)))
                       for f in sorted(os.listdir(BDIR))
                       if re.match(r"(srv\d+\.err|standin.*err|[oe]\.\d+)$", f))
        die("example %d failed:\n%s\n--- example:\n%s\n--- script:\n%s%s"
            % (num, "\n".join(problems), "\n".join(lines), script, dump))
    if checked:
        ran.append(num)
        kind = "ran"
    else:
        parsed.append((num, title))
        kind = "parsed only"
        notes.append("servers started and listening" if only_servers else
                     "interactive: ran with stdin from /dev/null")
    print("example %2d: %s: %s%s" % (num, kind, title,
                                     "".join("\n            (%s)" % x for x in notes)))

print("parsed only (cannot run unattended): %s"
      % ("".join("\n  example %d: %s" % (i, t) for i, t in parsed) or "none"))
if skipped:
    print("skipped:%s" % "".join("\n  example %d (%s): %s" % (n, w, t)
                                 for n, t, w in skipped))
print("%d examples run, %d parsed only, %d skipped (%.1f s)"
      % (len(ran), len(parsed), len(skipped), time.time() - start))
PY
py=$!
PIDS="$PIDS $py"
wait "$py" || fail "man page examples"
exit 0
