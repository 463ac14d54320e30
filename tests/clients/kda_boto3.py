#!/usr/bin/env python3
"""boto3 (kinesisanalytics + kinesis) steps for the Sluice Analytics tests.

    SLUICE_ENDPOINT=http://127.0.0.1:4567 python3 kda_boto3.py <command> ...

Commands:
  api                      the API scenario: validation, errors, statuses, version ids (asserts; prints "kda api: N checks passed")
  create <spec.json>       CreateApplication with the spec's ApplicationName/Code/Inputs/Outputs, then
                           AddApplicationReferenceDataSource when the spec has ReferenceDataSource; prints {"InputId","Version"}
  start <app> <position>   StartApplication on the application's input and waits for RUNNING
  stop <app>               StopApplication and waits for READY
  put <stream> <file>      PutRecords of each line of the file (JSON lines), in order, 500 a call; partition key = the line's
                           "boothId"/"sensor"/"customerId" field when present
  describe <app>           prints ApplicationDetail as JSON
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
from botocore.exceptions import ClientError  # noqa: E402

ENDPOINT = os.environ.get("SLUICE_ENDPOINT") or sys.exit("set SLUICE_ENDPOINT")
CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
kda = boto3.session.Session().client("kinesisanalytics", endpoint_url=ENDPOINT, region_name="us-east-1", config=CONFIG)
kinesis = boto3.session.Session().client("kinesis", endpoint_url=ENDPOINT, region_name="us-east-1", config=CONFIG)
ROLE = "arn:aws:iam::111122223333:role/kda-read"
checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise SystemExit("kda api: FAILED: " + what)
    checks += 1


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    raise SystemExit("kda api: FAILED: expected an error from %s(%s)" % (call.__name__, kwargs))


def wait_status(app, wanted, limit=30.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        status = kda.describe_application(ApplicationName=app)["ApplicationDetail"]["ApplicationStatus"]
        if status == wanted:
            return
        time.sleep(0.1)
    raise SystemExit("%s did not reach %s (last %s)" % (app, wanted, status))


def input_config(stream):
    return {
        "NamePrefix": "SOURCE_SQL_STREAM",
        "KinesisStreamsInput": {"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream, "RoleARN": ROLE},
        "InputParallelism": {"Count": 1},
        "InputSchema": {
            "RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
            "RecordEncoding": "UTF-8",
            "RecordColumns": [{"Name": "BOOTH_ID", "Mapping": "$.boothId", "SqlType": "VARCHAR(8)"},
                              {"Name": "AXLES", "Mapping": "$.axles", "SqlType": "INTEGER"}],
        },
    }


CODE = """CREATE OR REPLACE STREAM "OUT" (BOOTH_ID VARCHAR(8), AXLES INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM BOOTH_ID, AXLES FROM "SOURCE_SQL_STREAM_001";"""


def api():
    suffix = "%x" % int(time.time() * 1000)
    app = "kda-api-" + suffix
    stream = "kda-api-in-" + suffix
    kinesis.create_stream(StreamName=stream, ShardCount=1)

    # Create: summary, READY, version 1, ids.
    out = kda.create_application(ApplicationName=app, ApplicationDescription="api scenario", ApplicationCode=CODE,
                                 Inputs=[input_config(stream)],
                                 Outputs=[{"Name": "OUT", "KinesisStreamsOutput": {"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream, "RoleARN": ROLE},
                                           "DestinationSchema": {"RecordFormatType": "JSON"}}],
                                 Tags=[{"Key": "team", "Value": "tolls"}])
    summary = out["ApplicationSummary"]
    check(summary["ApplicationStatus"] == "READY", "created READY")
    check(summary["ApplicationARN"] == "arn:aws:kinesisanalytics:us-east-1:000000000000:application/" + app, "ARN")
    detail = kda.describe_application(ApplicationName=app)["ApplicationDetail"]
    check(detail["ApplicationVersionId"] == 1, "version 1")
    check(detail["InputDescriptions"][0]["InputId"] == "1.1", "input id 1.1")
    check(detail["InputDescriptions"][0]["InAppStreamNames"] == ["SOURCE_SQL_STREAM_001"], "in-app stream names")
    check(detail["InputDescriptions"][0]["KinesisStreamsInputDescription"]["RoleARN"] == ROLE, "input description")
    check(detail["OutputDescriptions"][0]["OutputId"] == "1.1", "output id 1.1")
    check(detail["ApplicationCode"] == CODE, "code kept")
    check(detail["CreateTimestamp"].year >= 2024, "create timestamp")

    # Errors.
    code, _ = error_of(kda.create_application, ApplicationName=app)
    check(code == "ResourceInUseException", "duplicate name: " + code)
    code, message = error_of(kda.create_application, ApplicationName=app + "-bad", ApplicationCode="CREATE OR REPLACE STREAM \"X\" (A INTEGER;\n")
    check(code == "CodeValidationException", "bad SQL: " + code)
    check("line" in message.lower() or "column" in message.lower(), "bad SQL message names the position: " + message)
    code, _ = error_of(kda.create_application, ApplicationName="bad name!")
    check(code == "ValidationException", "bad name: " + code)
    code, _ = error_of(kda.describe_application, ApplicationName="nope-" + suffix)
    check(code == "ResourceNotFoundException", "describe unknown: " + code)
    code, _ = error_of(kda.update_application, ApplicationName=app, CurrentApplicationVersionId=7, ApplicationUpdate={"ApplicationCodeUpdate": CODE})
    check(code == "ConcurrentModificationException", "stale version: " + code)
    code, _ = error_of(kda.stop_application, ApplicationName=app)
    check(code == "ResourceInUseException", "stop when READY: " + code)
    code, _ = error_of(kda.start_application, ApplicationName=app, InputConfigurations=[{"Id": "9.9", "InputStartingPositionConfiguration": {"InputStartingPosition": "NOW"}}])
    check(code == "InvalidArgumentException", "start unknown input id: " + code)
    code, _ = error_of(kda.add_application_input, ApplicationName=app, CurrentApplicationVersionId=1, Input=input_config(stream))
    check(code == "InvalidArgumentException", "second input: " + code)

    # Version ids go up by one per change.
    kda.update_application(ApplicationName=app, CurrentApplicationVersionId=1, ApplicationUpdate={
        "InputUpdates": [{"InputId": "1.1", "InputParallelismUpdate": {"CountUpdate": 2}}],
        "ApplicationCodeUpdate": CODE})
    detail = kda.describe_application(ApplicationName=app)["ApplicationDetail"]
    check(detail["ApplicationVersionId"] == 2, "version 2 after update")
    check(detail["InputDescriptions"][0]["InAppStreamNames"] == ["SOURCE_SQL_STREAM_001", "SOURCE_SQL_STREAM_002"], "parallelism 2 names")
    kda.add_application_output(ApplicationName=app, CurrentApplicationVersionId=2, Output={
        "Name": "error_stream", "KinesisStreamsOutput": {"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream, "RoleARN": ROLE},
        "DestinationSchema": {"RecordFormatType": "CSV"}})
    detail = kda.describe_application(ApplicationName=app)["ApplicationDetail"]
    check(detail["ApplicationVersionId"] == 3 and [o["OutputId"] for o in detail["OutputDescriptions"]] == ["1.1", "1.2"], "output added as 1.2")
    kda.delete_application_output(ApplicationName=app, CurrentApplicationVersionId=3, OutputId="1.2")
    check(kda.describe_application(ApplicationName=app)["ApplicationDetail"]["ApplicationVersionId"] == 4, "version 4 after delete output")
    code, _ = error_of(kda.delete_application_output, ApplicationName=app, CurrentApplicationVersionId=4, OutputId="1.2")
    check(code == "ResourceNotFoundException", "delete output twice: " + code)

    # Tags.
    arn = summary["ApplicationARN"]
    kda.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}])
    tags = kda.list_tags_for_resource(ResourceARN=arn)["Tags"]
    check(sorted((t["Key"], t["Value"]) for t in tags) == [("env", "test"), ("team", "tolls")], "tags")
    kda.untag_resource(ResourceARN=arn, TagKeys=["team"])
    check([t["Key"] for t in kda.list_tags_for_resource(ResourceARN=arn)["Tags"]] == ["env"], "untag")
    code, _ = error_of(kda.tag_resource, ResourceARN=arn, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(60)])
    check(code == "TooManyTagsException", "too many tags: " + code)

    # List, paged.
    for n in range(2):
        kda.create_application(ApplicationName="%s-list-%d" % (app, n))
    page = kda.list_applications(Limit=1, ExclusiveStartApplicationName=app)
    check(page["HasMoreApplications"] and page["ApplicationSummaries"][0]["ApplicationName"] == app + "-list-0", "list page 1")
    page = kda.list_applications(Limit=5, ExclusiveStartApplicationName=app + "-list-0")
    check(page["ApplicationSummaries"][0]["ApplicationName"] == app + "-list-1", "list page 2")
    check(all(s["ApplicationName"] > app + "-list-0" for s in page["ApplicationSummaries"]), "list page 2 in name order")

    # Start → RUNNING; config change allowed while RUNNING; Start again refused; Stop → READY.
    kda.start_application(ApplicationName=app, InputConfigurations=[{"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "TRIM_HORIZON"}}])
    wait_status(app, "RUNNING")
    code, _ = error_of(kda.start_application, ApplicationName=app, InputConfigurations=[{"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "NOW"}}])
    check(code == "ResourceInUseException", "start when RUNNING: " + code)
    kda.update_application(ApplicationName=app, CurrentApplicationVersionId=4, ApplicationUpdate={"ApplicationCodeUpdate": CODE})
    detail = kda.describe_application(ApplicationName=app)["ApplicationDetail"]
    check(detail["ApplicationVersionId"] == 5, "update while RUNNING")
    check(detail["InputDescriptions"][0]["InputStartingPositionConfiguration"] == {"InputStartingPosition": "TRIM_HORIZON"}, "starting position described")
    kda.stop_application(ApplicationName=app)
    wait_status(app, "READY")

    # Delete needs the CreateTimestamp.
    created = detail["CreateTimestamp"]
    code, _ = error_of(kda.delete_application, ApplicationName=app, CreateTimestamp=created.replace(year=created.year - 1))
    check(code == "InvalidArgumentException", "delete with a wrong timestamp: " + code)
    kda.delete_application(ApplicationName=app, CreateTimestamp=created)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            kda.describe_application(ApplicationName=app)
            time.sleep(0.1)
        except ClientError as e:
            check(e.response["Error"]["Code"] == "ResourceNotFoundException", "gone after delete")
            break
    else:
        raise SystemExit("kda api: FAILED: application not deleted")
    print("kda api: %d checks passed" % checks)


def create(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    kda.create_application(ApplicationName=spec["ApplicationName"], ApplicationCode=spec.get("ApplicationCode", ""),
                           Inputs=spec.get("Inputs", []), Outputs=spec.get("Outputs", []))
    version = 1
    if spec.get("ReferenceDataSource"):
        kda.add_application_reference_data_source(ApplicationName=spec["ApplicationName"], CurrentApplicationVersionId=1,
                                                  ReferenceDataSource=spec["ReferenceDataSource"])
        version = 2
    detail = kda.describe_application(ApplicationName=spec["ApplicationName"])["ApplicationDetail"]
    print(json.dumps({"InputId": detail["InputDescriptions"][0]["InputId"], "Version": detail["ApplicationVersionId"], "Expected": version}))


def start(app, position):
    input_id = kda.describe_application(ApplicationName=app)["ApplicationDetail"]["InputDescriptions"][0]["InputId"]
    kda.start_application(ApplicationName=app, InputConfigurations=[{"Id": input_id, "InputStartingPositionConfiguration": {"InputStartingPosition": position}}])
    wait_status(app, "RUNNING")
    print("RUNNING")


def stop(app):
    kda.stop_application(ApplicationName=app)
    wait_status(app, "READY")
    print("READY")


def put(stream, path):
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    for start_at in range(0, len(lines), 500):
        chunk = lines[start_at:start_at + 500]
        entries = []
        for i, line in enumerate(chunk):
            doc = json.loads(line)
            key = str(doc.get("boothId") or doc.get("sensor") or doc.get("customerId") or start_at + i)
            entries.append({"Data": line.encode(), "PartitionKey": key})
        out = kinesis.put_records(StreamName=stream, Records=entries)
        if out.get("FailedRecordCount"):
            raise SystemExit("put: %d records failed" % out["FailedRecordCount"])
    print("put %d records" % len(lines))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "api":
        api()
    elif command == "create":
        create(*args)
    elif command == "start":
        start(*args)
    elif command == "stop":
        stop(*args)
    elif command == "put":
        put(*args)
    elif command == "describe":
        print(json.dumps(kda.describe_application(ApplicationName=args[0])["ApplicationDetail"], default=str))
    else:
        sys.exit("unknown command " + command)
