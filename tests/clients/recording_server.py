"""What the test HTTP servers (stand-in Lambdas, HTTP endpoint receivers) share: JSON answers, a GET listing of what
they recorded, and serving on a loopback port the OS picks, announced as "listening on 127.0.0.1:<port>"."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()


class RecordingHandler(BaseHTTPRequestHandler):
    """A handler whose GET <listing_path> returns the `recorded` list (oldest first); other GETs are 404."""

    protocol_version = "HTTP/1.1"
    listing_path = "/invocations"
    recorded = []

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        if self.path == self.listing_path:
            with lock:
                self.send(200, list(self.recorded))
        else:
            self.send(404, {"message": "not found"})


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
