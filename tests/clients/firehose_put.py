#!/usr/bin/env python3
"""Puts numbered records into a Firehose delivery stream with boto3 (PutRecordBatch), retrying failed entries.

    python3 firehose_put.py ENDPOINT STREAM FIRST COUNT [--create BUCKET_ARN PREFIX INTERVAL]

Each record is "rec-<n>\\n" for n in FIRST..FIRST+COUNT-1. With --create the delivery stream is created first
(ExtendedS3, SizeInMBs 1, IntervalInSeconds INTERVAL). Prints "acknowledged N" when every record was acknowledged.
"""
import os
import sys
import time

import boto3
from botocore.config import Config

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
endpoint, stream, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = boto3.client("firehose", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="sluice", aws_secret_access_key="sluice",
                      config=Config(retries={"max_attempts": 2}))

if len(sys.argv) > 5 and sys.argv[5] == "--create":
    bucket_arn, prefix, interval = sys.argv[6], sys.argv[7], int(sys.argv[8])
    client.create_delivery_stream(
        DeliveryStreamName=stream,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::000000000000:role/firehose",
            "BucketARN": bucket_arn,
            "Prefix": prefix,
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval},
        })
    for _ in range(100):
        if client.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            break
        time.sleep(0.1)

acknowledged = 0
pending = [("rec-%d\n" % n).encode() for n in range(first, first + count)]
for start in range(0, len(pending), 500):
    batch = pending[start:start + 500]
    for attempt in range(20):
        reply = client.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": d} for d in batch])
        retry = [d for d, r in zip(batch, reply["RequestResponses"]) if "ErrorCode" in r]
        acknowledged += len(batch) - len(retry)
        if not retry:
            break
        batch = retry
        time.sleep(0.2)
    else:
        sys.exit("records were not acknowledged after 20 attempts")

print("acknowledged %d" % acknowledged)
