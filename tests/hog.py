#!/usr/bin/env python3
# A client that never reads, for the backpressure tests:
#   hog.py PORT BLOCKED DONE
# Sends up to 200 MiB of 1 KiB lines (valid raw and --frame line input)
# to 127.0.0.1:PORT until the kernel takes no more for a full second,
# writes the byte count to the file BLOCKED, then stays connected until
# the file DONE exists (at most 60 s).  Fails if all 200 MiB went out:
# the server read everything from a client that reads nothing.
import os, socket, sys, time
port, blocked, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
total = 200 << 20
# 1 MiB of 1 KiB lines: valid input for --frame line as well as raw.
chunk = memoryview((b'x' * 1023 + b'\n') * 1024)
s = socket.create_connection(('127.0.0.1', port), timeout=10)
s.setblocking(False)
sent, idle_since = 0, None
deadline = time.monotonic() + 60
# Send until the kernel refuses more for a full second (the server has
# stopped reading), or all 200 MiB went out.  Never read anything.
while sent < total and time.monotonic() < deadline:
    try:
        # send() may take only part of the chunk: go on from where it
        # stopped, so that the stream stays whole 1 KiB lines.
        off = sent % len(chunk)
        sent += s.send(chunk[off:off + min(len(chunk) - off, total - sent)])
        idle_since = None
    except BlockingIOError:
        now = time.monotonic()
        if idle_since is None:
            idle_since = now
        elif now - idle_since >= 1.0:
            break
        time.sleep(0.01)
print('hog: sent %.1f MiB before blocking' % (sent / 1048576.0))
if sent >= total:
    sys.exit('hog: the server read all 200 MiB from a client that never reads')
if time.monotonic() >= deadline:
    sys.exit('hog: gave up after 60 s without blocking')
open(blocked, 'w').write('%d\n' % sent)
t = time.monotonic() + 60
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.02)
s.close()
