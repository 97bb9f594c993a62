#!/usr/bin/env python3
"""Hold many idle, half-open HTTP connections to a server (promote-idle.sh).

    idle-conns.py HOST PORT N SOURCE-ADDRESS... 

Opens N connections, spread over the source addresses (127.0.0.x), sends
each the start of a request that never ends ("GET / HTTP/1.1\\r\\nHost:"),
and then, every second, prints one line "open K" (K = connections the
server has not closed yet) until killed.
"""
import resource
import select
import socket
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < 4096:
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (min(4096, hard) if hard != resource.RLIM_INFINITY
                        else 4096, hard))

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sources = sys.argv[4:] or ["127.0.0.1"]
socks = []
for i in range(n):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(5)
    try:
        s.bind((sources[i % len(sources)], 0))
        s.connect((host, port))
        s.sendall(b"GET /api/v1/environments HTTP/1.1\r\nHost: x\r\nX-Idle:")
        s.setblocking(False)
        socks.append(s)
    except OSError as e:
        print("connect %d: %s" % (i, e), flush=True)
        s.close()
print("connected %d" % len(socks), flush=True)
while True:
    time.sleep(1)
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
    gone = set()
    for fd, ev in p.poll(0):
        gone.add(fd)
    still = []
    for s in socks:
        if s.fileno() in gone:
            try:
                if s.recv(4096) != b"":
                    still.append(s)     # an answer: still open
                    continue
            except OSError:
                pass
            s.close()
            continue
        still.append(s)
    socks = still
    print("open %d" % len(socks), flush=True)
