"""A stand-in for a Dapr sidecar's pub/sub HTTP API (no daprd can run here), for the Dapr event-bus test.

usage: python3 alerts_fake_dapr.py PORT OUTFILE APP_URL
- POST /v1.0/publish/<pubsub>/<topic>: records {pubsub, topic, data} in OUTFILE, then, like daprd, asks the app
  GET APP_URL/dapr/subscribe and POSTs a CloudEvent 1.0 to the route subscribed to that pubsub/topic.
Prints "ready" once listening.
"""
import json
import sys
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out, app = int(sys.argv[1]), sys.argv[2], sys.argv[3].rstrip("/")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        parts = self.path.strip("/").split("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if len(parts) != 4 or parts[:2] != ["v1.0", "publish"]:
            self.send_response(404)
            self.end_headers()
            return
        pubsub, topic = parts[2], parts[3]
        data = json.loads(body)
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"pubsub": pubsub, "topic": topic, "contentType": self.headers.get("Content-Type"), "data": data}) + "\n")
        subscriptions = json.loads(urllib.request.urlopen(app + "/dapr/subscribe", timeout=10).read())
        for s in subscriptions:
            if s["pubsubname"] == pubsub and s["topic"] == topic:
                event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "fake-dapr", "type": "com.dapr.event.sent",
                         "datacontenttype": "application/json", "pubsubname": pubsub, "topic": topic, "data": data}
                request = urllib.request.Request(app + s["route"], data=json.dumps(event).encode(), headers={"Content-Type": "application/cloudevents+json"})
                urllib.request.urlopen(request, timeout=10).read()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("ready", flush=True)
server.serve_forever()
