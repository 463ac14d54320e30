#!/usr/bin/env python3
"""boto3 (firehose client) scenario against a Firehose-compatible endpoint (Sluice).

    SLUICE_ENDPOINT=http://127.0.0.1:4567 python3 tests/clients/firehose_boto3.py

Env: SLUICE_ENDPOINT (required), SLUICE_PREFIX (delivery stream name prefix; default random).
Creates an Extended S3, an HTTP endpoint and a Redshift-shaped (PostgreSQL) delivery stream, describes them field by
field, pages the list, updates with the version id (and a stale one), tags, toggles encryption, puts records and deletes.
Exits non-zero on the first mismatch; the last line on success is "firehose boto3 scenario: N checks passed".
"""
import base64
import os
import random
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
from botocore.exceptions import ClientError  # noqa: E402

ENDPOINT = os.environ.get("SLUICE_ENDPOINT") or sys.exit("set SLUICE_ENDPOINT")
PREFIX = os.environ.get("SLUICE_PREFIX") or "fhb%06x" % random.randrange(1 << 24)
ROLE = "arn:aws:iam::000000000000:role/firehose"
BUCKET = "arn:aws:s3:::sluice-boto3"
fh = boto3.client("firehose", endpoint_url=ENDPOINT, config=Config(retries={"max_attempts": 1}))
checks = 0


def check(condition, what):
    global checks
    if not condition:
        sys.exit("firehose boto3 scenario FAILED: " + what)
    checks += 1


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, None


def describe(name):
    return fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]


def wait_active(name):
    for _ in range(100):
        d = describe(name)
        if d["DeliveryStreamStatus"] == "ACTIVE":
            return d
        time.sleep(0.05)
    sys.exit("firehose boto3 scenario FAILED: %s never became ACTIVE" % name)


s3_name, http_name, pg_name = PREFIX + "-s3", PREFIX + "-http", PREFIX + "-pg"

# Create the three destination kinds.
arn = fh.create_delivery_stream(
    DeliveryStreamName=s3_name,
    ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": BUCKET, "Prefix": "data/!{timestamp:yyyy/MM/dd}/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/", "CompressionFormat": "GZIP",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 10},
    },
    Tags=[{"Key": "team", "Value": "data"}],
)["DeliveryStreamARN"]
check(arn == "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + s3_name, "create answers the ARN")
fh.create_delivery_stream(
    DeliveryStreamName=http_name,
    HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": "https://collector.example.com/ingest", "Name": "collector", "AccessKey": "k-123456"},
        "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [{"AttributeName": "env", "AttributeValue": "test"}]},
        "RetryOptions": {"DurationInSeconds": 60},
        "S3BackupMode": "FailedDataOnly",
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": BUCKET},
    },
)
fh.create_delivery_stream(
    DeliveryStreamName=pg_name,
    RedshiftDestinationConfiguration={
        "RoleARN": ROLE, "ClusterJDBCURL": "jdbc:postgresql://127.0.0.1:5432/warehouse",
        "CopyCommand": {"DataTableName": "events", "DataTableColumns": "id,body", "CopyOptions": "JSON 'auto'"},
        "Username": "loader", "Password": "pw-secret-1",
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": BUCKET, "CompressionFormat": "GZIP"},
    },
)

# Describe with exact fields.
d = wait_active(s3_name)
check(d["DeliveryStreamType"] == "DirectPut" and d["VersionId"] == "1", "type and version")
check(d["HasMoreDestinations"] is False and len(d["Destinations"]) == 1, "one destination")
check(d["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED", "encryption disabled")
check(hasattr(d["CreateTimestamp"], "year"), "CreateTimestamp parses as a datetime")
dest = d["Destinations"][0]
check(dest["DestinationId"] == "destinationId-000000000001", "destination id")
ext = dest["ExtendedS3DestinationDescription"]
check(ext["BucketARN"] == BUCKET and ext["RoleARN"] == ROLE, "bucket and role echoed")
check(ext["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 10}, "buffering hints echoed")
check(ext["CompressionFormat"] == "GZIP", "compression echoed")
check(ext["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}, "default encryption configuration")
check(ext["CloudWatchLoggingOptions"] == {"Enabled": False}, "default logging")
check(ext["S3BackupMode"] == "Disabled", "default backup mode")
check(dest["S3DestinationDescription"]["Prefix"] == "data/!{timestamp:yyyy/MM/dd}/", "S3 description carries the prefix")

h = describe(http_name)["Destinations"][0]["HttpEndpointDestinationDescription"]
check(h["EndpointConfiguration"] == {"Url": "https://collector.example.com/ingest", "Name": "collector"}, "http endpoint without the access key")
check(h["RequestConfiguration"]["ContentEncoding"] == "GZIP", "http content encoding")
check(h["RetryOptions"] == {"DurationInSeconds": 60}, "http retry options")
check(h["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}, "http default buffering")
check(h["S3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED", "http backup bucket defaults")

r = describe(pg_name)["Destinations"][0]["RedshiftDestinationDescription"]
check("Password" not in r, "the password is never described")
check(r["ClusterJDBCURL"] == "jdbc:postgresql://127.0.0.1:5432/warehouse" and r["Username"] == "loader", "jdbc url and user")
check(r["CopyCommand"] == {"DataTableName": "events", "DataTableColumns": "id,body", "CopyOptions": "JSON 'auto'"}, "copy command")
check(r["S3DestinationDescription"]["CompressionFormat"] == "GZIP", "redshift staging compression")

# Errors as AWS names them.
code, _ = error_of(fh.create_delivery_stream, DeliveryStreamName=s3_name, ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": BUCKET})
check(code == "ResourceInUseException", "create twice is ResourceInUseException, got %s" % code)
code, _ = error_of(fh.describe_delivery_stream, DeliveryStreamName=PREFIX + "-missing")
check(code == "ResourceNotFoundException", "describe missing is ResourceNotFoundException")
code, _ = error_of(fh.create_delivery_stream, DeliveryStreamName=PREFIX + "-os",
                   AmazonopensearchserviceDestinationConfiguration={"RoleARN": ROLE, "IndexName": "x", "S3Configuration": {"RoleARN": ROLE, "BucketARN": BUCKET}})
check(code == "InvalidArgumentException", "OpenSearch is not supported: %s" % code)

# List paging.
page = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName=PREFIX)
check(page["DeliveryStreamNames"] == [http_name, pg_name] and page["HasMoreDeliveryStreams"] is True, "first page %s" % page["DeliveryStreamNames"])
page = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName=pg_name)
check(page["DeliveryStreamNames"][:1] == [s3_name], "second page %s" % page["DeliveryStreamNames"])

# Update with the version id; a stale one is ConcurrentModificationException.
fh.update_destination(DeliveryStreamName=s3_name, CurrentDeliveryStreamVersionId="1", DestinationId="destinationId-000000000001",
                      ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 20}})
d = describe(s3_name)
check(d["VersionId"] == "2", "version goes to 2")
ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
check(ext["BufferingHints"] == {"SizeInMBs": 2, "IntervalInSeconds": 20} and ext["CompressionFormat"] == "GZIP", "update merged")
code, _ = error_of(fh.update_destination, DeliveryStreamName=s3_name, CurrentDeliveryStreamVersionId="1",
                   DestinationId="destinationId-000000000001", ExtendedS3DestinationUpdate={"Prefix": "x/"})
check(code == "ConcurrentModificationException", "stale version: %s" % code)

# Tags.
fh.tag_delivery_stream(DeliveryStreamName=s3_name, Tags=[{"Key": "env", "Value": "prod"}])
tags = fh.list_tags_for_delivery_stream(DeliveryStreamName=s3_name)
check(tags["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}] and tags["HasMoreTags"] is False, "tags %s" % tags["Tags"])
fh.untag_delivery_stream(DeliveryStreamName=s3_name, TagKeys=["team"])
check(fh.list_tags_for_delivery_stream(DeliveryStreamName=s3_name)["Tags"] == [{"Key": "env", "Value": "prod"}], "untag")

# Encryption.
fh.start_delivery_stream_encryption(DeliveryStreamName=s3_name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
status = None
for _ in range(100):
    status = describe(s3_name)["DeliveryStreamEncryptionConfiguration"]["Status"]
    if status == "ENABLED":
        break
    check(status == "ENABLING", "ENABLING before ENABLED, got %s" % status)
    time.sleep(0.05)
check(status == "ENABLED", "encryption ENABLED")

# Puts.
put = fh.put_record(DeliveryStreamName=s3_name, Record={"Data": b"one\n"})
check(len(put["RecordId"]) > 0 and put["Encrypted"] is True, "put_record answers an id, encrypted")
batch = fh.put_record_batch(DeliveryStreamName=s3_name, Records=[{"Data": b"r%d\n" % i} for i in range(50)])
check(batch["FailedPutCount"] == 0 and len(batch["RequestResponses"]) == 50, "put_record_batch answers every record")
ids = [r["RecordId"] for r in batch["RequestResponses"]]
check(len(set(ids)) == 50 and put["RecordId"] not in ids, "record ids are unique")
code, _ = error_of(fh.put_record_batch, DeliveryStreamName=s3_name, Records=[{"Data": b"x"}] * 501)
check(code in ("ValidationException", "InvalidArgumentException"), "501 records refused: %s" % code)
fh.stop_delivery_stream_encryption(DeliveryStreamName=s3_name)

# Delete.
for name in (s3_name, http_name, pg_name):
    fh.delete_delivery_stream(DeliveryStreamName=name)
for name in (s3_name, http_name, pg_name):
    code, _ = error_of(fh.describe_delivery_stream, DeliveryStreamName=name)
    check(code == "ResourceNotFoundException", "%s deleted" % name)

print("firehose boto3 scenario: %d checks passed" % checks)
