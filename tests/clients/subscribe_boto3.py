#!/usr/bin/env python3
"""SubscribeToShard with boto3 over Sluice's TLS port, trusting its generated certificate.

    SLUICE_ENDPOINT=http://127.0.0.1:4567 SLUICE_TLS_ENDPOINT=https://127.0.0.1:4568 \\
    SLUICE_CA_BUNDLE=./data/tls/sluice-selfsigned.crt python3 tests/clients/subscribe_boto3.py

Env: SLUICE_ENDPOINT (puts), SLUICE_TLS_ENDPOINT and SLUICE_CA_BUNDLE (the subscription, verify=<bundle>),
SLUICE_STREAM (stream name; default random). botocore parses the event stream itself (over HTTP/1.1).
Exits non-zero on the first mismatch; the last line on success is "subscribe boto3: N checks passed".
"""
import os
import random
import string
import sys
import threading
import time
import traceback

os.environ.update({
    "AWS_ACCESS_KEY_ID": "akid",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/sluice-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/sluice-aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
})
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CA_BUNDLE"):
    os.environ.pop(_name, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

ENDPOINT = os.environ.get("SLUICE_ENDPOINT")
TLS_ENDPOINT = os.environ.get("SLUICE_TLS_ENDPOINT")
CA_BUNDLE = os.environ.get("SLUICE_CA_BUNDLE")
if not ENDPOINT or not TLS_ENDPOINT or not CA_BUNDLE:
    print("SLUICE_ENDPOINT, SLUICE_TLS_ENDPOINT and SLUICE_CA_BUNDLE are required", file=sys.stderr)
    sys.exit(2)

STREAM = os.environ.get("SLUICE_STREAM") or "sub-py-" + "".join(random.choices(string.ascii_lowercase, k=8))
config = Config(retries={"max_attempts": 1}, read_timeout=20, connect_timeout=5)
plain = boto3.client("kinesis", endpoint_url=ENDPOINT, config=config)
tls = boto3.client("kinesis", endpoint_url=TLS_ENDPOINT, verify=CA_BUNDLE, config=config)
checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


def put(data):
    return plain.put_record(StreamName=STREAM, PartitionKey="pk", Data=data)["SequenceNumber"]


def main():
    plain.create_stream(StreamName=STREAM, ShardCount=1)
    plain.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    stream_arn = plain.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
    consumer_arn = tls.register_stream_consumer(StreamARN=stream_arn, ConsumerName="boto3")["Consumer"]["ConsumerARN"]
    for _ in range(100):
        if tls.describe_stream_consumer(ConsumerARN=consumer_arn)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
            break
        time.sleep(0.1)

    before = [put(b"b0"), put(b"b1")]
    reply = tls.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId="shardId-000000000000",
                                   StartingPosition={"Type": "TRIM_HORIZON"})
    check(reply["ResponseMetadata"]["HTTPStatusCode"] == 200, "subscribe_to_shard answers 200")
    stream = reply["EventStream"]
    received = []
    continuation = None
    later = []
    deadline = time.monotonic() + 30
    for event in stream:
        check(time.monotonic() < deadline, "records arrive within 30 s")
        if "SubscribeToShardEvent" not in event:
            continue
        e = event["SubscribeToShardEvent"]
        received.extend(e["Records"])
        continuation = e["ContinuationSequenceNumber"]
        if len(received) == 2 and not later:
            # Put from another thread while this one is blocked reading the stream.
            t = threading.Thread(target=lambda: later.extend([put(b"w0"), put(b"w1")]))
            t.start()
            t.join()
        if len(received) >= 4:
            break
    stream.close()

    check([r["SequenceNumber"] for r in received] == before + later, "sequence numbers equal put_record's, in order")
    check([r["Data"] for r in received] == [b"b0", b"b1", b"w0", b"w1"], "data arrives in order")
    check(all(r["PartitionKey"] == "pk" and r["ApproximateArrivalTimestamp"].year >= 2020 for r in received), "keys and timestamps")
    check(continuation == later[-1], "ContinuationSequenceNumber is the last record's")

    plain.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
    print(f"subscribe boto3: {checks} checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - report any failure the same way
        print("subscribe boto3 FAILED: " + traceback.format_exc(), file=sys.stderr)
        sys.exit(1)
