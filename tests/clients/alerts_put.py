"""Writes analytics result rows into a Sluice stream with boto3, as an analytics app's output would.

usage: python3 alerts_put.py ENDPOINT STREAM < rows.json
stdin: {"create": <shards or 0>, "rows": [{...}, ...]}; each row is put as one JSON record, partition key = the first
string field. Prints "put N".
"""
import json
import sys
import time

import boto3

endpoint, stream = sys.argv[1], sys.argv[2]
spec = json.load(sys.stdin)
kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="sluice", aws_secret_access_key="sluice")
if spec.get("create"):
    kinesis.create_stream(StreamName=stream, ShardCount=spec["create"])
    for _ in range(100):
        if kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
rows = spec.get("rows", [])
for i in range(0, len(rows), 500):
    chunk = rows[i:i + 500]
    entries = []
    for row in chunk:
        key = next((v for v in row.values() if isinstance(v, str)), "k")
        entries.append({"Data": json.dumps(row).encode(), "PartitionKey": key})
    result = kinesis.put_records(StreamName=stream, Records=entries)
    if result.get("FailedRecordCount"):
        sys.exit(f"put_records failed: {result}")
print(f"put {len(rows)}")
