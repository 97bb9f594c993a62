#!/usr/bin/env python3
"""An HTTP server on 127.0.0.1 that fails on purpose (faults.sh).

    fault-server.py PORT ROOT MODES-DIR LOG

GET /<name>/<path> serves ROOT/<path>, misbehaving as MODES-DIR/<name>
says (read at every request, so a test changes it on the fly; a missing
file means "ok"):

  ok        serve the file
  reset     send the headers and half the body, then reset the connection
  slow      send the body at 1 byte per second
  500 404   answer with that status
  429       answer 429 with Retry-After: 120
  truncxz   serve a Packages.xz cut in half (complete HTTP, broken xz)
  loop      redirect to the same URL, for ever
  hang      accept the request and never answer

Paths under /<name>/git/ are handed to `git http-backend` (CGI) when the
mode is ok, so a hanging git remote can recover.  LOG gets one line per
request: "<name> <mode> <path>".
"""
import http.server
import io
import os
import socket
import struct
import subprocess
import sys
import time

PORT, ROOT, MODES, LOG = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def mode(self, name):
        try:
            with open(os.path.join(MODES, name)) as f:
                return f.read().strip() or "ok"
        except OSError:
            return "ok"

    def git(self, name, rest):
        path, _, query = rest.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=ROOT, GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query,
                   REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   REMOTE_ADDR="127.0.0.1")
        body = b""
        if self.command == "POST":
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        env["CONTENT_LENGTH"] = str(len(body))
        enc = self.headers.get("Content-Encoding")
        if enc:
            env["HTTP_CONTENT_ENCODING"] = enc
        p = subprocess.run(["git", "http-backend"], input=body, env=env,
                           capture_output=True)
        head, _, out = p.stdout.partition(b"\r\n\r\n")
        status = 200
        hdrs = []
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                hdrs.append((k, v.strip()))
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def handle_any(self):
        parts = self.path.split("/", 2)
        name = parts[1] if len(parts) > 1 else ""
        rest = "/" + (parts[2] if len(parts) > 2 else "")
        mode = self.mode(name)
        with open(LOG, "a") as f:
            f.write("%s %s %s\n" % (name, mode, rest))
        if mode == "hang":
            time.sleep(3600)
            return
        if mode == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode in ("500", "404", "429"):
            body = b"fault\n"
            self.send_response(int(mode))
            if mode == "429":
                self.send_header("Retry-After", "120")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if rest.startswith("/git/"):
            return self.git(name, rest[4:])
        path = os.path.join(ROOT, rest.lstrip("/").split("?")[0])
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        if mode == "truncxz" and path.endswith(".xz"):
            data = data[: len(data) // 2]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode == "reset":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            # a reset (RST), not an orderly close: linger 0, then close
            # the descriptor itself (the socket object is still shared)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            self.wfile = io.BytesIO()
            self.close_connection = True
            return
        if mode == "slow":
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
            return
        self.wfile.write(data)

    do_GET = handle_any
    do_POST = handle_any
    do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", int(PORT)), Handler).serve_forever()
