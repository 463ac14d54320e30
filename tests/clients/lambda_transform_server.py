#!/usr/bin/env python3
"""A stand-in for a Firehose transformation Lambda: speaks the Firehose Lambda event contract over HTTP.

The URL path picks the behaviour, so one server serves every test function:
  /ok              every record Ok, data unchanged
  /upper-case      every record Ok, data upper-cased
  /drop            every record Dropped
  /processing-failed  every record ProcessingFailed
  /partition-keys  Ok, metadata.partitionKeys = the string/number fields of the JSON record
  /fail            HTTP 500 with a Lambda-style error body
  /denied          HTTP 403
  /garbage         HTTP 200 with a body that is not JSON
  /missing-id      Ok for every record but the last, which is left out
  /slow?seconds=N  waits N seconds, then Ok
  /flaky?failures=N  HTTP 500 for the first N invocations of that URL, then Ok
GET /invocations returns every event received so far (JSON list, oldest first).
Listens on 127.0.0.1 on a port the OS picks and prints "listening on 127.0.0.1:<port>".
"""
import base64
import json
import time
from urllib.parse import parse_qs, urlparse

from recording_server import RecordingHandler, lock, serve

invocations = []
calls = {}


def ok(record, data=None):
    return {"recordId": record["recordId"], "result": "Ok", "data": data if data is not None else record["data"]}


class Handler(RecordingHandler):
    listing_path = "/invocations"
    recorded = invocations

    def do_POST(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length", "0"))
        event = json.loads(self.rfile.read(length))
        with lock:
            invocations.append({"path": self.path, "event": event})
            calls[self.path] = calls.get(self.path, 0) + 1
            count = calls[self.path]
        records = event["records"]
        mode = url.path.strip("/")
        if mode == "ok":
            out = [ok(r) for r in records]
        elif mode == "upper-case":
            out = [ok(r, base64.b64encode(base64.b64decode(r["data"]).upper()).decode()) for r in records]
        elif mode == "drop":
            out = [{"recordId": r["recordId"], "result": "Dropped"} for r in records]
        elif mode == "processing-failed":
            out = [{"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]} for r in records]
        elif mode == "partition-keys":
            out = []
            for r in records:
                doc = json.loads(base64.b64decode(r["data"]))
                keys = {k: str(v) for k, v in doc.items() if isinstance(v, (str, int))}
                out.append({**ok(r), "metadata": {"partitionKeys": keys}})
        elif mode == "fail":
            return self.send(500, {"errorMessage": "boom from the test function", "errorType": "Error"})
        elif mode == "denied":
            return self.send(403, {"message": "access denied"})
        elif mode == "garbage":
            return self.send(200, b"this is not json", "text/plain")
        elif mode == "missing-id":
            out = [ok(r) for r in records[:-1]]
        elif mode == "slow":
            time.sleep(float(query.get("seconds", ["10"])[0]))
            out = [ok(r) for r in records]
        elif mode == "flaky":
            if count <= int(query.get("failures", ["1"])[0]):
                return self.send(500, {"errorMessage": f"flaky failure {count}", "errorType": "Error"})
            out = [ok(r) for r in records]
        else:
            return self.send(404, {"message": f"unknown mode {mode}"})
        self.send(200, {"records": out})


serve(Handler)
