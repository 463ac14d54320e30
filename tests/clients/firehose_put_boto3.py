#!/usr/bin/env python3
"""Creates one delivery stream with boto3 and puts records into it, for the end-to-end Firehose tests.

    SLUICE_ENDPOINT=http://127.0.0.1:4567 FH_CREATE='{"DeliveryStreamName": ...}' FH_RECORDS='["a\\n", "b\\n"]' \
        python3 tests/clients/firehose_put_boto3.py

FH_CREATE is the CreateDeliveryStream request as JSON (boto3's keyword arguments); FH_RECORDS a JSON list of record
texts, put with PutRecordBatch (up to 500 per call). Waits for ACTIVE before putting; exits non-zero on any failed
record; prints "put N records into <name>".
"""
import json
import os
import sys
import time

os.environ.update({
    "AWS_ACCESS_KEY_ID": "akid",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/sluice-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/sluice-aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
})

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

endpoint = os.environ.get("SLUICE_ENDPOINT") or sys.exit("set SLUICE_ENDPOINT")
create = json.loads(os.environ["FH_CREATE"])
records = json.loads(os.environ["FH_RECORDS"])
name = create["DeliveryStreamName"]
fh = boto3.client("firehose", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))

fh.create_delivery_stream(**create)
for _ in range(200):
    if fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
        break
    time.sleep(0.1)
else:
    sys.exit(f"{name} did not become ACTIVE")

for start in range(0, len(records), 500):
    batch = [{"Data": r.encode()} for r in records[start:start + 500]]
    reply = fh.put_record_batch(DeliveryStreamName=name, Records=batch)
    if reply["FailedPutCount"] != 0:
        sys.exit(f"put_record_batch failed: {reply}")
print(f"put {len(records)} records into {name}")
