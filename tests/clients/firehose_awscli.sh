#!/usr/bin/env bash
# AWS CLI (`aws firehose`) scenario against a Firehose-compatible endpoint (Sluice).
#
#   SLUICE_ENDPOINT=http://127.0.0.1:4567 bash tests/clients/firehose_awscli.sh
#
# Env: SLUICE_ENDPOINT (required), SLUICE_PREFIX (delivery stream name prefix; default random),
#      SLUICE_TEST_AWS (aws CLI; default `aws`), SLUICE_TEST_PYTHON (python3 used to read JSON).
# Works with AWS CLI v1 (blob arguments are raw text) and v2 (--cli-binary-format raw-in-base64-out).
# Exits non-zero on the first mismatch; the last line on success is "firehose awscli scenario: N checks passed".
set -euo pipefail

EP="${SLUICE_ENDPOINT:?set SLUICE_ENDPOINT, e.g. http://127.0.0.1:4567}"
AWS="${SLUICE_TEST_AWS:-aws}"
PY="${SLUICE_TEST_PYTHON:-python3}"
PREFIX="${SLUICE_PREFIX:-fhcli$RANDOM}"
ROLE="arn:aws:iam::000000000000:role/firehose"
BUCKET="arn:aws:s3:::sluice-cli"

export AWS_ACCESS_KEY_ID=akid AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent/sluice-aws-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/sluice-aws-credentials
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE 2>/dev/null || true

CHECKS=0
BLOB=()
if "$AWS" --version 2>&1 | grep -q '^aws-cli/2'; then BLOB=(--cli-binary-format raw-in-base64-out); fi

fh() { "$AWS" --endpoint-url "$EP" --output json firehose "$@"; }
# field JSON PYTHON-EXPRESSION: evaluates the expression with `d` bound to the parsed JSON.
field() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
check() {
  if [[ "$1" != "$2" ]]; then echo "firehose awscli scenario FAILED: $3: expected [$2], got [$1]" >&2; exit 1; fi
  CHECKS=$((CHECKS + 1))
}
# expect_error CODE command...: the command fails with that AWS error code.
expect_error() {
  local code="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then echo "firehose awscli scenario FAILED: expected $code, the call succeeded: $out" >&2; exit 1; fi
  if ! grep -q "($code)" <<<"$out"; then echo "firehose awscli scenario FAILED: expected $code, got: $out" >&2; exit 1; fi
  CHECKS=$((CHECKS + 1))
}

S3="$PREFIX-s3"
out="$(fh create-delivery-stream --delivery-stream-name "$S3" \
  --extended-s3-destination-configuration "{\"RoleARN\":\"$ROLE\",\"BucketARN\":\"$BUCKET\",\"Prefix\":\"logs/\",\"BufferingHints\":{\"SizeInMBs\":1,\"IntervalInSeconds\":5}}" \
  --tags Key=owner,Value=cli)"
check "$(field "$out" 'd["DeliveryStreamARN"]')" "arn:aws:firehose:us-east-1:000000000000:deliverystream/$S3" "create answers the ARN"

desc="$(fh describe-delivery-stream --delivery-stream-name "$S3")"
check "$(field "$desc" 'd["DeliveryStreamDescription"]["DeliveryStreamStatus"]')" "ACTIVE" "status"
check "$(field "$desc" 'd["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]["BufferingHints"]["IntervalInSeconds"]')" "5" "interval echoed"
check "$(field "$desc" 'd["DeliveryStreamDescription"]["Destinations"][0]["S3DestinationDescription"]["CompressionFormat"]')" "UNCOMPRESSED" "default compression"

list="$(fh list-delivery-streams --exclusive-start-delivery-stream-name "$PREFIX" --limit 10)"
check "$(field "$list" '",".join(n for n in d["DeliveryStreamNames"] if n.startswith("'"$PREFIX"'"))')" "$S3" "listed"

put="$(fh put-record --delivery-stream-name "$S3" --record Data=hello "${BLOB[@]}")"
check "$(field "$put" 'len(d["RecordId"]) > 0')" "True" "put-record answers a RecordId"
batch="$(fh put-record-batch --delivery-stream-name "$S3" --records Data=a Data=b Data=c "${BLOB[@]}")"
check "$(field "$batch" 'd["FailedPutCount"]')" "0" "put-record-batch has no failures"
check "$(field "$batch" 'len(set(r["RecordId"] for r in d["RequestResponses"]))')" "3" "three distinct ids"

fh update-destination --delivery-stream-name "$S3" --current-delivery-stream-version-id 1 --destination-id destinationId-000000000001 \
  --extended-s3-destination-update '{"CompressionFormat":"GZIP"}' >/dev/null
desc="$(fh describe-delivery-stream --delivery-stream-name "$S3")"
check "$(field "$desc" 'd["DeliveryStreamDescription"]["VersionId"]')" "2" "version 2 after update"
check "$(field "$desc" 'd["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"]')" "logs/" "update merged"
expect_error ConcurrentModificationException fh update-destination --delivery-stream-name "$S3" --current-delivery-stream-version-id 1 \
  --destination-id destinationId-000000000001 --extended-s3-destination-update '{"Prefix":"x/"}'

tags="$(fh list-tags-for-delivery-stream --delivery-stream-name "$S3")"
check "$(field "$tags" 'd["Tags"][0]["Key"] + "=" + d["Tags"][0]["Value"]')" "owner=cli" "tags"

expect_error ResourceNotFoundException fh describe-delivery-stream --delivery-stream-name "$PREFIX-missing"
expect_error InvalidArgumentException fh create-delivery-stream --delivery-stream-name "$PREFIX-bad" \
  --extended-s3-destination-configuration "{\"RoleARN\":\"$ROLE\",\"BucketARN\":\"$BUCKET\",\"Prefix\":\"a/!{timestamp:yyyy}/\"}"

fh delete-delivery-stream --delivery-stream-name "$S3" >/dev/null
expect_error ResourceNotFoundException fh describe-delivery-stream --delivery-stream-name "$S3"

echo "firehose awscli scenario: $CHECKS checks passed"
