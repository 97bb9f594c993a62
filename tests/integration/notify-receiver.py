#!/usr/bin/python3
# notify-receiver.py PORT LOG [FAILURES] - a webhook receiver for
# notify.sh on 127.0.0.1: answers the first FAILURES POSTs with 500, the
# others with 204, and appends one JSON line per POST to LOG: path,
# the status it answered, content type and the body as received.
import http.server
import json
import sys

port, log = int(sys.argv[1]), sys.argv[2]
fail = [int(sys.argv[3]) if len(sys.argv) > 3 else 0]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n).decode("utf-8", "replace")
        status = 204
        if fail[0] > 0:
            fail[0] -= 1
            status = 500
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "status": status,
                                "type": self.headers.get("Content-Type"),
                                "body": body}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
