#!/usr/bin/env python3
"""A stand-in for a Kinesis Analytics (SQL) output Lambda: speaks the LambdaOutput delivery contract over HTTP.

POST /<any path> takes a delivery event {"invocationId","applicationArn","records":[{"recordId",
"lambdaDeliveryRecordMetadata":{"retryHint"},"data"}]} and answers {"records":[{"recordId","result"}]}.
Query parameters choose misbehaviour:
  fail_once=TEXT   the first record whose decoded data contains TEXT is answered DeliveryFailed, once
  http_errors=N    the first N invocations get HTTP 500 (a failed invocation)
Every other record is answered Ok.
GET /invocations returns every event received so far (JSON list of {"path","status","event"}, oldest first).
Listens on 127.0.0.1 on a port the OS picks and prints "listening on 127.0.0.1:<port>".
"""
import base64
import json
from urllib.parse import parse_qs, urlparse

from recording_server import RecordingHandler, lock, serve

invocations = []
state = {"failed_once": False, "calls": 0}


class Handler(RecordingHandler):
    listing_path = "/invocations"
    recorded = invocations

    def do_POST(self):
        query = parse_qs(urlparse(self.path).query)
        length = int(self.headers.get("Content-Length", "0"))
        event = json.loads(self.rfile.read(length))
        fail_once = query.get("fail_once", [None])[0]
        http_errors = int(query.get("http_errors", ["0"])[0])
        with lock:
            state["calls"] += 1
            if state["calls"] <= http_errors:
                invocations.append({"path": self.path, "status": 500, "event": event})
                return self.send(500, {"errorMessage": "failure %d of the test function" % state["calls"], "errorType": "Error"})
            answers = []
            for record in event["records"]:
                result = "Ok"
                if fail_once and not state["failed_once"] and fail_once in base64.b64decode(record["data"]).decode():
                    state["failed_once"] = True
                    result = "DeliveryFailed"
                answers.append({"recordId": record["recordId"], "result": result})
            invocations.append({"path": self.path, "status": 200, "event": event, "answers": answers})
        self.send(200, {"records": answers})


serve(Handler)
