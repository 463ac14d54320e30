#!/usr/bin/env python3
"""Put -> SubscribeToShard latency probe (a benchmark, not a test).

Puts records one at a time with one client while boto3 holds a subscription on the TLS port, and prints how long each
record took to reach the subscriber after its PutRecord was acknowledged (commit -> push) and after the put was sent.

    python3 tools/subscribe_latency.py --endpoint http://127.0.0.1:4567 --tls-endpoint https://127.0.0.1:4568 \\
        --ca-bundle ./data/tls/sluice-selfsigned.crt --records 300 --interval-ms 20

Talks only to the endpoints given (loopback by default); makes its own stream and deletes it; stops by itself.
"""
import argparse
import os
import statistics
import sys
import threading
import time
import uuid

os.environ.setdefault("AWS_ACCESS_KEY_ID", "akid")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "secret")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", default="http://127.0.0.1:4567")
    ap.add_argument("--tls-endpoint", default="https://127.0.0.1:4568")
    ap.add_argument("--ca-bundle", default="./data/tls/sluice-selfsigned.crt")
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--interval-ms", type=float, default=20)
    args = ap.parse_args()
    if not 1 <= args.records <= 100_000:
        sys.exit("--records must be 1..100000")

    config = Config(retries={"max_attempts": 1}, read_timeout=30, connect_timeout=5)
    plain = boto3.client("kinesis", endpoint_url=args.endpoint, config=config)
    tls = boto3.client("kinesis", endpoint_url=args.tls_endpoint, verify=args.ca_bundle, config=config)
    stream = "latency-" + uuid.uuid4().hex[:8]
    plain.create_stream(StreamName=stream, ShardCount=1)
    plain.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    arn = plain.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    consumer = plain.register_stream_consumer(StreamARN=arn, ConsumerName="probe")["Consumer"]["ConsumerARN"]
    for _ in range(300):
        if plain.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
            break
        time.sleep(0.1)

    received = {}
    done = threading.Event()
    reply = tls.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"})
    events = reply["EventStream"]

    def read():
        try:
            for event in events:
                now = time.perf_counter()
                for r in event.get("SubscribeToShardEvent", {}).get("Records", []):
                    received[int(r["Data"])] = now
                if len(received) >= args.records or done.is_set():
                    return
        except Exception as e:  # noqa: BLE001 - the probe reports and stops
            print(f"subscription ended: {e}", file=sys.stderr)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent, acked = {}, {}
    for i in range(args.records):
        sent[i] = time.perf_counter()
        plain.put_record(StreamName=stream, PartitionKey="pk", Data=str(i).encode())
        acked[i] = time.perf_counter()
        time.sleep(args.interval_ms / 1000)
    reader.join(timeout=30)
    done.set()
    events.close()
    plain.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)

    push = sorted((received[i] - acked[i]) * 1000 for i in received)
    total = sorted((received[i] - sent[i]) * 1000 for i in received)
    print(f"records put {args.records}, received {len(received)}")
    for name, values in (("ack -> subscriber", push), ("send -> subscriber", total)):
        print(f"{name:20s} ms  p50 {percentile(values, 50):7.2f}  p90 {percentile(values, 90):7.2f}  "
              f"p99 {percentile(values, 99):7.2f}  max {max(values) if values else float('nan'):7.2f}  "
              f"mean {statistics.fmean(values) if values else float('nan'):7.2f}")
    return 0 if len(received) == args.records else 1


if __name__ == "__main__":
    sys.exit(main())
