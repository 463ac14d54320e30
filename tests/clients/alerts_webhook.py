"""A webhook receiver for Alerts tests: records every POST (path, idempotency key, signature, body) as one JSON line.

usage: python3 alerts_webhook.py PORT OUTFILE
Prints "ready" once listening. Stops on SIGTERM/SIGKILL (the test stops it by PID).
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        entry = {
            "path": self.path,
            "idempotencyKey": self.headers.get("Idempotency-Key"),
            "signature": self.headers.get("X-Sluice-Signature"),
            "contentType": self.headers.get("Content-Type"),
            "body": body.decode("utf-8"),
        }
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("ready", flush=True)
server.serve_forever()
