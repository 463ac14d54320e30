#!/usr/bin/env bash
# AWS CLI scenario for the Sluice Analytics API: create, describe, list, add output, delete.
#   SLUICE_ENDPOINT=http://127.0.0.1:4567 bash kda_cli.sh
set -euo pipefail
AWS="${SLUICE_AWS:-aws}"
export AWS_ACCESS_KEY_ID=akid AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" \
  AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true
kda() { "$AWS" --endpoint-url "$SLUICE_ENDPOINT" kinesisanalytics "$@"; }
fail() { echo "kda cli: FAILED: $*" >&2; exit 1; }
APP="kda-cli-$RANDOM$RANDOM"

kda create-application --application-name "$APP" --application-description "from the cli" \
  --application-code 'CREATE OR REPLACE STREAM "OUT" (A INTEGER);' --output text --query 'ApplicationSummary.ApplicationStatus' | grep -qx READY || fail "create"
[ "$(kda describe-application --application-name "$APP" --query 'ApplicationDetail.ApplicationVersionId' --output text)" = 1 ] || fail "version 1"
kda list-applications --query 'ApplicationSummaries[].ApplicationName' --output text | grep -q "$APP" || fail "list"
kda add-application-output --application-name "$APP" --current-application-version-id 1 --application-output \
  '{"Name":"OUT","KinesisStreamsOutput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/out","RoleARN":"arn:aws:iam::111122223333:role/r"},"DestinationSchema":{"RecordFormatType":"CSV"}}'
[ "$(kda describe-application --application-name "$APP" --query 'ApplicationDetail.OutputDescriptions[0].DestinationSchema.RecordFormatType' --output text)" = CSV ] || fail "output"
if kda add-application-output --application-name "$APP" --current-application-version-id 1 --application-output \
  '{"Name":"OUT","KinesisStreamsOutput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/out","RoleARN":"arn:aws:iam::111122223333:role/r"},"DestinationSchema":{"RecordFormatType":"CSV"}}' 2>err.txt; then
  fail "stale version accepted"
fi
grep -q ConcurrentModificationException err.txt || fail "stale version error: $(cat err.txt)"
rm -f err.txt
CREATED=$(kda describe-application --application-name "$APP" --query 'ApplicationDetail.CreateTimestamp' --output text)
kda delete-application --application-name "$APP" --create-timestamp "$CREATED"
for _ in $(seq 1 100); do
  if ! kda describe-application --application-name "$APP" >/dev/null 2>&1; then echo "kda cli: ok"; exit 0; fi
  sleep 0.1
done
fail "not deleted"
