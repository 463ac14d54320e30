#!/usr/bin/env python3
"""A Firehose HTTP endpoint destination: answers per the Firehose HTTP endpoint contract and records every request.

The URL path picks the answer:
  /ok                  200 with the matching requestId
  /status?code=N       status N with an error body
  /flaky?failures=N    500 for the first N requests to that URL, then 200
  /wrong-id            200 echoing a different requestId (non-conforming)
  /not-json            200 with a body that is not JSON (non-conforming)
GET /requests returns every request received so far: path, headers (lower-cased names), and the decoded body.
Listens on 127.0.0.1 on a port the OS picks and prints "listening on 127.0.0.1:<port>".
"""
import gzip
import json
import time
from urllib.parse import parse_qs, urlparse

from recording_server import RecordingHandler, lock, serve

received = []
calls = {}


class Handler(RecordingHandler):
    listing_path = "/requests"
    recorded = received

    def do_POST(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with lock:
            received.append({"path": self.path, "headers": headers, "body": body})
            calls[self.path] = calls.get(self.path, 0) + 1
            count = calls[self.path]
        request_id = headers.get("x-amz-firehose-request-id")
        now = int(time.time() * 1000)
        mode = url.path.strip("/")
        if mode == "ok":
            return self.send(200, {"requestId": request_id, "timestamp": now})
        if mode == "status":
            return self.send(int(query["code"][0]), {"requestId": request_id, "timestamp": now, "errorMessage": "the test endpoint refused"})
        if mode == "flaky":
            if count <= int(query.get("failures", ["1"])[0]):
                return self.send(500, {"requestId": request_id, "timestamp": now, "errorMessage": f"flaky failure {count}"})
            return self.send(200, {"requestId": request_id, "timestamp": now})
        if mode == "wrong-id":
            return self.send(200, {"requestId": "not-" + str(request_id), "timestamp": now})
        if mode == "not-json":
            return self.send(200, b"<html>ok</html>", "text/html")
        self.send(404, {"requestId": request_id, "timestamp": now, "errorMessage": "unknown path"})


serve(Handler)
