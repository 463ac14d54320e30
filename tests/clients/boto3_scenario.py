#!/usr/bin/env python3
"""boto3 scenario against a Kinesis-compatible endpoint (Sluice).

    SLUICE_ENDPOINT=http://127.0.0.1:4567 python3 tests/clients/boto3_scenario.py

Env: SLUICE_ENDPOINT (required), SLUICE_STREAM (stream name; default random), SLUICE_CLIENT_SKIP
(comma list of sections to skip, meant only for emulators that lack them: consumers, encryption,
monitoring, shardfilter (ListShards filters and paging), childshards, limits, updateshardcount).
Exits non-zero on the first mismatch; the last line on success is "boto3 scenario: N checks passed".
"""
import datetime
import hashlib
import os
import random
import sys
import time
import traceback

# Dummy credentials and a fixed region; no user config files, no metadata service.
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
from botocore.exceptions import ClientError  # noqa: E402

ENDPOINT = os.environ.get("SLUICE_ENDPOINT")
if not ENDPOINT:
    sys.exit("boto3 scenario: set SLUICE_ENDPOINT, e.g. http://127.0.0.1:4567")
STREAM = os.environ.get("SLUICE_STREAM") or "sluice-boto3-%d-%06x" % (time.time(), random.randrange(1 << 24))
SKIP = {s.strip() for s in os.environ.get("SLUICE_CLIENT_SKIP", "").split(",") if s.strip()}

MAX_HASH = 2**128 - 1
H127 = 2**127
H126 = 2**126

kinesis = boto3.session.Session().client(
    "kinesis",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="akid",
    aws_secret_access_key="secret",
    # No retries: a server error must show, not be papered over.
    config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60),
)

checks = 0
stream_deleted = False


class ScenarioFailure(Exception):
    pass


def fail(message):
    raise ScenarioFailure(message)


def ok(message):
    global checks
    checks += 1
    print("ok %d - %s" % (checks, message), flush=True)


def expect(condition, message):
    if not condition:
        fail(message)


def expect_eq(actual, expected, what):
    if actual != expected:
        fail("%s: expected %r, got %r" % (what, expected, actual))


def skipped(section):
    if section in SKIP:
        print("# skipped: %s (SLUICE_CLIENT_SKIP)" % section, flush=True)
        return True
    return False


def expect_error(code, operation, **params):
    """Calls kinesis.<operation>(**params) and expects a ClientError with that error code."""
    try:
        response = getattr(kinesis, operation)(**params)
    except ClientError as e:
        got = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        expect_eq(got, code, "%s error code" % operation)
        expect_eq(status, 400, "%s HTTP status for %s" % (operation, code))
        return e
    fail("%s(%r) succeeded, expected %s; response %r" % (operation, params, code, response))


def md5_hash_key(partition_key):
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def list_all_shards(**params):
    """ListShards, following NextToken when the server pages."""
    response = kinesis.list_shards(StreamName=STREAM, **params)
    shards = list(response["Shards"])
    pages = 1
    while response.get("NextToken"):
        response = kinesis.list_shards(NextToken=response["NextToken"])
        shards.extend(response["Shards"])
        pages += 1
        expect(pages < 1000, "ListShards keeps returning NextToken")
    return shards


def is_open(shard):
    return "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def hash_range(shard):
    r = shard["HashKeyRange"]
    return int(r["StartingHashKey"]), int(r["EndingHashKey"])


def open_shard_for(hash_key, shards):
    found = [s["ShardId"] for s in shards if is_open(s) and hash_range(s)[0] <= hash_key <= hash_range(s)[1]]
    expect(len(found) == 1, "exactly one open shard must hold hash key %d, found %r" % (hash_key, found))
    return found[0]


def check_open_shards_tile(shards):
    """Open shards cover [0, 2^128-1] with no gap and no overlap."""
    ranges = sorted(hash_range(s) for s in shards if is_open(s))
    expect(ranges and ranges[0][0] == 0, "open shards must start at hash key 0: %r" % ranges)
    expect(ranges[-1][1] == MAX_HASH, "open shards must end at 2^128-1: %r" % ranges)
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        expect(start == end + 1, "open shard ranges must be contiguous: %r" % ranges)


def wait_active():
    kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    summary = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
    expect_eq(summary["StreamStatus"], "ACTIVE", "StreamStatus after the waiter")
    return summary


def payload(i):
    """Binary data with bytes that are not valid UTF-8."""
    return bytes([i % 256, 0xFF, 0xFE, 0x80, 0xC3, 0x28, 0x00]) + ("boto3-%d" % i).encode() + bytes(range(0, 256, 9))


# Records written, per shard: (sequence number, partition key, data).
expected = {}


def remember(shard_id, seq, pk, data):
    expect(seq.isdigit(), "SequenceNumber must be a decimal string: %r" % seq)
    expected.setdefault(shard_id, []).append((seq, pk, data))


def put(pk, data, explicit_hash_key=None):
    params = {"StreamName": STREAM, "PartitionKey": pk, "Data": data}
    if explicit_hash_key is not None:
        params["ExplicitHashKey"] = str(explicit_hash_key)
    response = kinesis.put_record(**params)
    remember(response["ShardId"], response["SequenceNumber"], pk, data)
    return response


def get_iterator(shard_id, iterator_type, **params):
    return kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard_id, ShardIteratorType=iterator_type,
                                      **params)["ShardIterator"]


def read_shard(shard_id, closed, iterator=None, max_calls=50):
    """Reads from TRIM_HORIZON (or the given iterator) to the tip (open shard) or to the null
    NextShardIterator (closed shard). Returns (records, last GetRecords response)."""
    it = iterator or get_iterator(shard_id, "TRIM_HORIZON")
    records = []
    for _ in range(max_calls):
        response = kinesis.get_records(ShardIterator=it)
        records.extend(response["Records"])
        nxt = response.get("NextShardIterator")
        if closed:
            if nxt is None:
                return records, response
        else:
            expect(nxt is not None, "open shard %s returned no NextShardIterator" % shard_id)
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                return records, response
        it = nxt
    fail("reading %s did not reach its end in %d GetRecords calls" % (shard_id, max_calls))


def as_tuples(records):
    return [(r["SequenceNumber"], r["PartitionKey"], bytes(r["Data"])) for r in records]


def verify_shard(shard_id, records):
    got = as_tuples(records)
    want = sorted(expected.get(shard_id, []), key=lambda t: int(t[0]))
    expect_eq(got, want, "records read back from %s" % shard_id)
    seqs = [int(s) for s, _, _ in got]
    expect(all(a < b for a, b in zip(seqs, seqs[1:])), "sequence numbers must increase within %s" % shard_id)
    now = time.time()
    for r in records:
        ts = r["ApproximateArrivalTimestamp"].timestamp()
        expect(abs(ts - now) < 600, "ApproximateArrivalTimestamp %r is not near now (%r)" % (ts, now))


def scenario():
    global stream_deleted

    # --- errors before anything exists ------------------------------------------------------
    expect_error("ResourceNotFoundException", "describe_stream_summary", StreamName=STREAM + "-missing")
    ok("describe_stream_summary of a missing stream -> ResourceNotFoundException")
    expect_error("ValidationException", "create_stream", StreamName="bad name!", ShardCount=1)
    ok("create_stream with an invalid stream name -> ValidationException")

    # --- create ------------------------------------------------------------------------------
    kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    summary = wait_active()
    ok("create_stream with 2 shards; waiter stream_exists (Delay=1) sees ACTIVE")
    expect_eq(summary["OpenShardCount"], 2, "OpenShardCount")
    expect_eq(summary["RetentionPeriodHours"], 24, "RetentionPeriodHours")
    expect(summary.get("EncryptionType", "NONE") == "NONE", "a new stream is not encrypted: %r" % summary)
    stream_arn = summary["StreamARN"]
    expect(stream_arn.startswith("arn:aws") and stream_arn.endswith(":stream/" + STREAM) and ":kinesis:us-east-1:" in stream_arn,
           "unexpected StreamARN %r" % stream_arn)
    created = summary["StreamCreationTimestamp"].timestamp()
    expect(abs(created - time.time()) < 600, "StreamCreationTimestamp %r is not near now" % created)
    ok("describe_stream_summary: 2 open shards, 24 h, not encrypted, ARN and creation time sane")

    expect_error("ResourceInUseException", "create_stream", StreamName=STREAM, ShardCount=1)
    ok("create_stream of an existing stream -> ResourceInUseException")

    names = [n for page in kinesis.get_paginator("list_streams").paginate() for n in page["StreamNames"]]
    expect(STREAM in names, "list_streams does not contain %s" % STREAM)
    ok("list_streams contains the stream")

    description = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]
    expect_eq(description["StreamStatus"], "ACTIVE", "DescribeStream StreamStatus")
    expect_eq(description["HasMoreShards"], False, "DescribeStream HasMoreShards")
    expect_eq([(s["ShardId"], hash_range(s)) for s in description["Shards"]],
              [("shardId-000000000000", (0, H127 - 1)), ("shardId-000000000001", (H127, MAX_HASH))],
              "DescribeStream shards")
    ok("describe_stream: shardId-000000000000 and 001 split at 2^127")
    shards = list_all_shards()
    check_open_shards_tile(shards)

    # --- writes ------------------------------------------------------------------------------
    for i, pk in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "user-42"]):
        response = put(pk, payload(i))
        expect_eq(response["ShardId"], open_shard_for(md5_hash_key(pk), shards), "PutRecord ShardId for %r" % pk)
    ok("put_record with binary data: each partition key on the shard its MD5 names")

    entries = [{"PartitionKey": "batch-%d" % i, "Data": payload(100 + i)} for i in range(8)]
    explicit = [0, H127 - 1, H127, MAX_HASH]
    entries += [{"PartitionKey": "explicit-%d" % i, "Data": payload(200 + i), "ExplicitHashKey": str(h)}
                for i, h in enumerate(explicit)]
    response = kinesis.put_records(StreamName=STREAM, Records=entries)
    expect_eq(response.get("FailedRecordCount", 0), 0, "PutRecords FailedRecordCount")
    expect_eq(len(response["Records"]), len(entries), "PutRecords result count")
    for entry, result in zip(entries, response["Records"]):
        hash_key = int(entry["ExplicitHashKey"]) if "ExplicitHashKey" in entry else md5_hash_key(entry["PartitionKey"])
        expect_eq(result.get("ShardId"), open_shard_for(hash_key, shards), "PutRecords ShardId for %r" % entry["PartitionKey"])
        remember(result["ShardId"], result["SequenceNumber"], entry["PartitionKey"], entry["Data"])
    expect_eq([r["ShardId"] for r in response["Records"][8:]],
              ["shardId-000000000000", "shardId-000000000000", "shardId-000000000001", "shardId-000000000001"],
              "PutRecords ExplicitHashKey 0, 2^127-1, 2^127, 2^128-1")
    ok("put_records: 12 entries, none failed; ExplicitHashKey 0 / 2^127-1 / 2^127 / 2^128-1 pick the shard")

    expect_error("InvalidArgumentException", "put_record", StreamName=STREAM, PartitionKey="k", Data=b"x",
                 ExplicitHashKey=str(2**128))
    ok("put_record with ExplicitHashKey 2^128 -> InvalidArgumentException")

    # --- reads -------------------------------------------------------------------------------
    for shard_id in ("shardId-000000000000", "shardId-000000000001"):
        records, _ = read_shard(shard_id, closed=False)
        verify_shard(shard_id, records)
    ok("TRIM_HORIZON + get_records on both shards: every record back, bytes identical, in sequence order")

    shard0 = sorted(expected["shardId-000000000000"], key=lambda t: int(t[0]))
    shard1 = sorted(expected["shardId-000000000001"], key=lambda t: int(t[0]))
    expect(len(shard0) >= 3 and len(shard1) >= 1, "need at least 3 records on shard 0")
    response = kinesis.get_records(ShardIterator=get_iterator("shardId-000000000000", "TRIM_HORIZON"), Limit=2)
    expect_eq(as_tuples(response["Records"]), shard0[:2], "get_records Limit=2")
    ok("get_records Limit=2 returns the first two records")

    it = get_iterator("shardId-000000000000", "AT_SEQUENCE_NUMBER", StartingSequenceNumber=shard0[1][0])
    expect_eq(as_tuples(kinesis.get_records(ShardIterator=it)["Records"])[:2], shard0[1:3], "AT_SEQUENCE_NUMBER")
    it = get_iterator("shardId-000000000000", "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=shard0[1][0])
    expect_eq(as_tuples(kinesis.get_records(ShardIterator=it)["Records"])[:1], shard0[2:3], "AFTER_SEQUENCE_NUMBER")
    ok("AT_SEQUENCE_NUMBER starts at that record, AFTER_SEQUENCE_NUMBER just after it")

    expect_error("InvalidArgumentException", "get_shard_iterator", StreamName=STREAM, ShardId="shardId-000000000000",
                 ShardIteratorType="AT_SEQUENCE_NUMBER")
    expect_error("InvalidArgumentException", "get_shard_iterator", StreamName=STREAM, ShardId="shardId-000000000000",
                 ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=shard1[0][0])
    expect_error("ResourceNotFoundException", "get_shard_iterator", StreamName=STREAM, ShardId="shardId-000000000099",
                 ShardIteratorType="TRIM_HORIZON")
    ok("get_shard_iterator: no sequence number / another shard's number -> InvalidArgumentException, unknown shard -> ResourceNotFoundException")

    # AT_TIMESTAMP: a cutoff on a whole second after every record so far (old botocore sends whole
    # seconds), then a second batch after it.
    last_arrival = max(r["ApproximateArrivalTimestamp"].timestamp() for shard_id in ("shardId-000000000000", "shardId-000000000001")
                       for r in read_shard(shard_id, closed=False)[0])
    cutoff = float(int(last_arrival) + 1)
    while time.time() < cutoff + 0.3:
        time.sleep(0.05)
    batch2 = [put("late-%d" % i, payload(300 + i), explicit_hash_key=i) for i in range(3)]
    expect(all(r["ShardId"] == "shardId-000000000000" for r in batch2), "late records go to shard 0")
    cutoff_dt = datetime.datetime.fromtimestamp(cutoff, tz=datetime.timezone.utc)
    records, _ = read_shard("shardId-000000000000", closed=False,
                            iterator=get_iterator("shardId-000000000000", "AT_TIMESTAMP", Timestamp=cutoff_dt))
    expect_eq([r["SequenceNumber"] for r in records], [r["SequenceNumber"] for r in batch2], "AT_TIMESTAMP records")
    long_ago = datetime.datetime.fromtimestamp(created - 3600, tz=datetime.timezone.utc)
    records, _ = read_shard("shardId-000000000000", closed=False,
                            iterator=get_iterator("shardId-000000000000", "AT_TIMESTAMP", Timestamp=long_ago))
    verify_shard("shardId-000000000000", records)
    expect_error("InvalidArgumentException", "get_shard_iterator", StreamName=STREAM, ShardId="shardId-000000000000",
                 ShardIteratorType="AT_TIMESTAMP",
                 Timestamp=datetime.datetime.now(tz=datetime.timezone.utc) + datetime.timedelta(hours=1))
    ok("AT_TIMESTAMP: only records at/after the cutoff; a time before the stream = TRIM_HORIZON; future -> InvalidArgumentException")

    it = get_iterator("shardId-000000000001", "LATEST")
    response = kinesis.get_records(ShardIterator=it)
    expect_eq(response["Records"], [], "LATEST before a new write")
    it = response["NextShardIterator"]
    fresh = put("latest", payload(400), explicit_hash_key=H127)
    expect_eq(fresh["ShardId"], "shardId-000000000001", "write for LATEST")
    seen = []
    deadline = time.time() + 5
    while not seen and time.time() < deadline:
        response = kinesis.get_records(ShardIterator=it)
        seen, it = response["Records"], response["NextShardIterator"]
        if not seen:
            time.sleep(0.2)
    expect_eq(as_tuples(seen), [(fresh["SequenceNumber"], "latest", payload(400))], "LATEST after a new write")
    ok("LATEST: nothing old, then exactly the record written after the iterator")

    # --- ListShards paging -------------------------------------------------------------------
    if not skipped("shardfilter"):
        first = kinesis.list_shards(StreamName=STREAM, MaxResults=1)
        expect_eq(len(first["Shards"]), 1, "ListShards MaxResults=1 page size")
        expect("NextToken" in first, "ListShards MaxResults=1 of 2 shards must return a NextToken")
        second = kinesis.list_shards(NextToken=first["NextToken"], MaxResults=1)
        expect_eq([s["ShardId"] for s in first["Shards"] + second["Shards"]],
                  ["shardId-000000000000", "shardId-000000000001"], "ListShards pages")
        expect_error("InvalidArgumentException", "list_shards", StreamName=STREAM, NextToken=first["NextToken"])
        ok("list_shards MaxResults=1 + NextToken pages through; NextToken with StreamName -> InvalidArgumentException")

    # --- split --------------------------------------------------------------------------------
    kinesis.split_shard(StreamName=STREAM, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(H126))
    wait_active()
    shards = list_all_shards()
    expect_eq([(s["ShardId"], s.get("ParentShardId"), hash_range(s), is_open(s)) for s in sorted(shards, key=lambda s: s["ShardId"])],
              [("shardId-000000000000", None, (0, H127 - 1), False),
               ("shardId-000000000001", None, (H127, MAX_HASH), True),
               ("shardId-000000000002", "shardId-000000000000", (0, H126 - 1), True),
               ("shardId-000000000003", "shardId-000000000000", (H126, H127 - 1), True)],
              "ListShards after split")
    check_open_shards_tile(shards)
    ok("split_shard at 2^126: parent closed, children 2 and 3 with ParentShardId")

    records, last = read_shard("shardId-000000000000", closed=True)
    verify_shard("shardId-000000000000", records)
    ok("closed parent read to the end: all its records, then NextShardIterator null")
    if not skipped("childshards"):
        expect_eq(sorted((c["ShardId"], c["ParentShards"], (int(c["HashKeyRange"]["StartingHashKey"]), int(c["HashKeyRange"]["EndingHashKey"])))
                         for c in last.get("ChildShards") or []),
                  [("shardId-000000000002", ["shardId-000000000000"], (0, H126 - 1)),
                   ("shardId-000000000003", ["shardId-000000000000"], (H126, H127 - 1))],
                  "ChildShards at the parent's end")
        ok("the parent's last get_records lists ChildShards 2 and 3 with their hash ranges")

    if not skipped("shardfilter"):
        def filtered(**shard_filter):
            return sorted(s["ShardId"] for s in kinesis.list_shards(StreamName=STREAM, ShardFilter=shard_filter)["Shards"])
        expect_eq(filtered(Type="AT_LATEST"), ["shardId-000000000001", "shardId-000000000002", "shardId-000000000003"], "AT_LATEST")
        expect_eq(filtered(Type="AFTER_SHARD_ID", ShardId="shardId-000000000001"), ["shardId-000000000002", "shardId-000000000003"], "AFTER_SHARD_ID")
        expect_eq(filtered(Type="FROM_TRIM_HORIZON"), ["shardId-0000000000%02d" % i for i in range(4)], "FROM_TRIM_HORIZON")
        ok("list_shards ShardFilter AT_LATEST / AFTER_SHARD_ID / FROM_TRIM_HORIZON")

    # --- merge -------------------------------------------------------------------------------
    kinesis.merge_shards(StreamName=STREAM, ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000003")
    wait_active()
    shards = list_all_shards()
    merged = [s for s in shards if s["ShardId"] == "shardId-000000000004"]
    expect(len(merged) == 1, "merge_shards must create shardId-000000000004: %r" % shards)
    expect_eq((merged[0].get("ParentShardId"), merged[0].get("AdjacentParentShardId"), hash_range(merged[0])),
              ("shardId-000000000002", "shardId-000000000003", (0, H127 - 1)), "merged shard")
    expect_eq(sorted(s["ShardId"] for s in shards if is_open(s)), ["shardId-000000000001", "shardId-000000000004"], "open shards after merge")
    check_open_shards_tile(shards)
    response = put("after-merge", payload(500), explicit_hash_key=0)
    expect_eq(response["ShardId"], "shardId-000000000004", "write at hash 0 after the merge")
    verify_shard("shardId-000000000004", read_shard("shardId-000000000004", closed=False)[0])
    ok("merge_shards 2+3 -> shardId-000000000004 with both parents; it takes writes and reads them back")

    # --- update_shard_count --------------------------------------------------------------------
    if not skipped("updateshardcount"):
        response = kinesis.update_shard_count(StreamName=STREAM, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
        expect_eq((response.get("CurrentShardCount"), response.get("TargetShardCount")), (2, 4), "UpdateShardCount response")
        summary = wait_active()
        expect_eq(summary["OpenShardCount"], 4, "OpenShardCount after update_shard_count")
        shards = list_all_shards()
        opened = sorted((s for s in shards if is_open(s)), key=lambda s: hash_range(s)[0])
        expect_eq(len(opened), 4, "open shards after update_shard_count")
        check_open_shards_tile(shards)
        for s in opened:
            start, end = hash_range(s)
            expect(abs((end - start + 1) - 2**126) <= 4, "uniform scaling gives each shard ~2^126 keys: %r" % (hash_range(s),))
            response = put("scaled", payload(600), explicit_hash_key=start)
            expect_eq(response["ShardId"], s["ShardId"], "write at the start of %s" % s["ShardId"])
            verify_shard(s["ShardId"], read_shard(s["ShardId"], closed=False)[0])
        ok("update_shard_count 2 -> 4 (UNIFORM_SCALING): 4 even open shards that take writes")

    # --- describe_limits -------------------------------------------------------------------------
    if not skipped("limits"):
        limits = kinesis.describe_limits()
        open_now = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["OpenShardCount"]
        expect(isinstance(limits["ShardLimit"], int) and limits["ShardLimit"] >= limits["OpenShardCount"] >= open_now,
               "describe_limits: %r (this stream has %d open shards)" % (limits, open_now))
        ok("describe_limits: ShardLimit >= OpenShardCount >= this stream's open shards")

    # --- enhanced monitoring ---------------------------------------------------------------------
    if not skipped("monitoring"):
        response = kinesis.enable_enhanced_monitoring(StreamName=STREAM, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
        expect_eq(sorted(response.get("CurrentShardLevelMetrics", [])), [], "CurrentShardLevelMetrics before enable")
        expect_eq(sorted(response["DesiredShardLevelMetrics"]), ["IncomingBytes", "OutgoingRecords"], "DesiredShardLevelMetrics")
        summary = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
        expect_eq(sorted(summary["EnhancedMonitoring"][0]["ShardLevelMetrics"]), ["IncomingBytes", "OutgoingRecords"], "EnhancedMonitoring")
        response = kinesis.disable_enhanced_monitoring(StreamName=STREAM, ShardLevelMetrics=["IncomingBytes"])
        expect_eq(sorted(response["DesiredShardLevelMetrics"]), ["OutgoingRecords"], "DesiredShardLevelMetrics after disable")
        response = kinesis.disable_enhanced_monitoring(StreamName=STREAM, ShardLevelMetrics=["ALL"])
        expect_eq(response["DesiredShardLevelMetrics"], [], "DesiredShardLevelMetrics after disabling ALL")
        ok("enable/disable_enhanced_monitoring: current/desired metrics and describe agree")

    # --- encryption ----------------------------------------------------------------------------
    if not skipped("encryption"):
        kinesis.start_stream_encryption(StreamName=STREAM, EncryptionType="KMS", KeyId="alias/aws/kinesis")
        summary = wait_active()
        expect_eq((summary.get("EncryptionType"), summary.get("KeyId")), ("KMS", "alias/aws/kinesis"), "encryption after start")
        response = put("encrypted", payload(700), explicit_hash_key=0)
        expect_eq(response.get("EncryptionType"), "KMS", "PutRecord EncryptionType on an encrypted stream")
        records, _ = read_shard(response["ShardId"], closed=False)
        verify_shard(response["ShardId"], records)
        expect_eq(records[-1].get("EncryptionType"), "KMS", "EncryptionType of a record written while encrypted")
        kinesis.stop_stream_encryption(StreamName=STREAM, EncryptionType="KMS", KeyId="alias/aws/kinesis")
        summary = wait_active()
        expect_eq(summary.get("EncryptionType", "NONE"), "NONE", "encryption after stop")
        ok("start/stop_stream_encryption with alias/aws/kinesis: KMS on stream and records, then NONE")

    # --- tags ----------------------------------------------------------------------------------
    kinesis.add_tags_to_stream(StreamName=STREAM, Tags={"team": "sluice", "env": "test", "cost": "0"})
    response = kinesis.list_tags_for_stream(StreamName=STREAM)
    expect_eq([(t["Key"], t.get("Value")) for t in response["Tags"]], [("cost", "0"), ("env", "test"), ("team", "sluice")], "tags")
    expect_eq(response["HasMoreTags"], False, "HasMoreTags")
    response = kinesis.list_tags_for_stream(StreamName=STREAM, Limit=1)
    expect_eq(([t["Key"] for t in response["Tags"]], response["HasMoreTags"]), (["cost"], True), "list_tags_for_stream Limit=1")
    response = kinesis.list_tags_for_stream(StreamName=STREAM, ExclusiveStartTagKey="cost")
    expect_eq([t["Key"] for t in response["Tags"]], ["env", "team"], "list_tags_for_stream ExclusiveStartTagKey")
    kinesis.remove_tags_from_stream(StreamName=STREAM, TagKeys=["env", "not-there"])
    expect_eq([t["Key"] for t in kinesis.list_tags_for_stream(StreamName=STREAM)["Tags"]], ["cost", "team"], "tags after remove")
    ok("add/list/remove tags, sorted by key, Limit and ExclusiveStartTagKey paging")

    # --- consumers -----------------------------------------------------------------------------
    enforce = False
    if not skipped("consumers"):
        consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="boto3-consumer")["Consumer"]
        consumer_arn = consumer["ConsumerARN"]
        expect(consumer_arn.startswith(stream_arn + "/consumer/boto3-consumer:"), "ConsumerARN %r" % consumer_arn)
        expect(consumer["ConsumerStatus"] in ("CREATING", "ACTIVE"), "ConsumerStatus %r" % consumer["ConsumerStatus"])
        deadline = time.time() + 60
        while True:
            description = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)["ConsumerDescription"]
            if description["ConsumerStatus"] == "ACTIVE" or time.time() > deadline:
                break
            time.sleep(0.5)
        expect_eq((description["ConsumerStatus"], description["StreamARN"], description["ConsumerName"]),
                  ("ACTIVE", stream_arn, "boto3-consumer"), "DescribeStreamConsumer")
        listed = kinesis.list_stream_consumers(StreamARN=stream_arn)["Consumers"]
        expect_eq([(c["ConsumerName"], c["ConsumerARN"]) for c in listed], [("boto3-consumer", consumer_arn)], "ListStreamConsumers")
        expect_error("ResourceInUseException", "register_stream_consumer", StreamARN=stream_arn, ConsumerName="boto3-consumer")
        ok("register/describe/list_stream_consumers; duplicate name -> ResourceInUseException")
        kinesis.deregister_stream_consumer(ConsumerARN=consumer_arn)
        deadline = time.time() + 60
        while kinesis.list_stream_consumers(StreamARN=stream_arn)["Consumers"] and time.time() < deadline:
            time.sleep(0.5)
        expect_error("ResourceNotFoundException", "describe_stream_consumer", ConsumerARN=consumer_arn)
        ok("deregister_stream_consumer: gone, describe -> ResourceNotFoundException")

        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="keeps-stream")
        expect_error("ResourceInUseException", "delete_stream", StreamName=STREAM)
        enforce = True
        ok("delete_stream with a registered consumer and no EnforceConsumerDeletion -> ResourceInUseException")

    # --- retention -----------------------------------------------------------------------------
    kinesis.increase_stream_retention_period(StreamName=STREAM, RetentionPeriodHours=72)
    expect_eq(kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["RetentionPeriodHours"], 72, "retention after increase")
    expect_error("InvalidArgumentException", "decrease_stream_retention_period", StreamName=STREAM, RetentionPeriodHours=100)
    kinesis.decrease_stream_retention_period(StreamName=STREAM, RetentionPeriodHours=24)
    expect_eq(kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["RetentionPeriodHours"], 24, "retention after decrease")
    ok("retention 24 -> 72 -> 24; decrease to a longer period -> InvalidArgumentException")

    # --- delete --------------------------------------------------------------------------------
    if enforce:
        kinesis.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
    else:
        kinesis.delete_stream(StreamName=STREAM)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    stream_deleted = True
    expect_error("ResourceNotFoundException", "describe_stream_summary", StreamName=STREAM)
    names = [n for page in kinesis.get_paginator("list_streams").paginate() for n in page["StreamNames"]]
    expect(STREAM not in names, "list_streams still contains %s" % STREAM)
    ok("delete_stream; waiter stream_not_exists; gone from list_streams")


def main():
    print("# boto3 %s against %s, stream %s" % (boto3.__version__, ENDPOINT, STREAM), flush=True)
    try:
        scenario()
    except Exception as e:  # noqa: BLE001 - any client or transport error is a failure of the scenario
        traceback.print_exc()
        print("boto3 scenario FAILED: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    finally:
        if not stream_deleted:
            try:
                kinesis.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
    print("boto3 scenario: %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
