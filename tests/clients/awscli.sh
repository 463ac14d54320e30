#!/usr/bin/env bash
# AWS CLI scenario against a Kinesis-compatible endpoint (Sluice).
#
#   SLUICE_ENDPOINT=http://127.0.0.1:4567 bash tests/clients/awscli.sh
#
# Env: SLUICE_ENDPOINT (required), SLUICE_STREAM (stream name; default random),
#      SLUICE_TEST_AWS (aws CLI; default `aws` on PATH), SLUICE_TEST_PYTHON (any python3, used to
#      read JSON; default python3), SLUICE_CLIENT_SKIP (comma list of sections to skip:
#      consumers, childshards; meant only for emulators that lack them).
# Works with AWS CLI v1 (blob arguments are raw text) and v2 (--cli-binary-format raw-in-base64-out).
# Exits non-zero on the first mismatch; the last line on success is "awscli scenario: N checks passed".
set -euo pipefail

EP="${SLUICE_ENDPOINT:?set SLUICE_ENDPOINT, e.g. http://127.0.0.1:4567}"
AWS="${SLUICE_TEST_AWS:-aws}"
PY="${SLUICE_TEST_PYTHON:-python3}"
STREAM="${SLUICE_STREAM:-sluice-cli-$(date +%s)-$RANDOM}"
SKIP=",${SLUICE_CLIENT_SKIP:-},"

# Dummy credentials and a fixed region; no user config, no metadata service, no pager.
export AWS_ACCESS_KEY_ID=akid AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent/sluice-aws-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/sluice-aws-credentials
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE 2>/dev/null || true

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sluice-awscli.XXXXXX")"
CHECKS=0
DONE=0

cleanup() {
  local rc=$?
  if [[ "$DONE" != 1 ]]; then
    "$AWS" --endpoint-url "$EP" kinesis delete-stream --stream-name "$STREAM" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

fail() { printf 'awscli scenario FAILED: %s\n' "$*" >&2; exit 1; }
ok() { CHECKS=$((CHECKS + 1)); printf 'ok %d - %s\n' "$CHECKS" "$*"; }
skipped() { [[ "$SKIP" == *",$1,"* ]]; }

# --- AWS CLI version: v2 wants base64 blobs unless told raw-in-base64-out; v1 takes raw text. ---
AWS_VERSION="$("$AWS" --version 2>&1 | head -n1)" || fail "'$AWS --version' failed: $AWS_VERSION"
AWS_MAJOR="$(sed -n 's|^aws-cli/\([0-9]*\)\..*|\1|p' <<<"$AWS_VERSION")"
[[ -n "$AWS_MAJOR" ]] || fail "cannot read the AWS CLI version from: $AWS_VERSION"
BLOB_ARGS=()
((AWS_MAJOR >= 2)) && BLOB_ARGS=(--cli-binary-format raw-in-base64-out)
echo "# $AWS_VERSION against $EP, stream $STREAM"

# --- JSON helper: `j EXPR` evaluates EXPR with d = $OUT parsed; prints str/int plain, others as JSON.
cat >"$TMP/j.py" <<'PY'
import base64, hashlib, json, os, sys
d = json.loads(os.environ.get("OUT") or "null")
def md5key(pk):
    return int.from_bytes(hashlib.md5(pk.encode("utf-8")).digest(), "big")
def shard_for(hash_key, shards):
    # the OPEN shard (no EndingSequenceNumber) whose inclusive hash range holds hash_key
    for s in shards:
        r = s["HashKeyRange"]
        if "EndingSequenceNumber" not in s["SequenceNumberRange"] and int(r["StartingHashKey"]) <= hash_key <= int(r["EndingHashKey"]):
            return s["ShardId"]
    return None
def load(path):
    with open(path) as f:
        return json.load(f)
def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()
r = eval(sys.argv[1])
print(r if isinstance(r, (str, int)) and not isinstance(r, bool) else json.dumps(r))
PY
j() { OUT="$OUT" TMP="$TMP" "$PY" "$TMP/j.py" "$1"; }

# `k ARGS...` runs `aws kinesis ARGS` and leaves stdout in $OUT; any error fails the scenario.
OUT=""
k() {
  if ! OUT="$("$AWS" --endpoint-url "$EP" --region us-east-1 --output json kinesis "$@" 2>"$TMP/err")"; then
    fail "aws kinesis $* -> $(cat "$TMP/err")"
  fi
  [[ -n "$OUT" ]] || OUT="{}"
}
# `k_err CODE ARGS...` expects the call to fail with that AWS error code.
k_err() {
  local code="$1"
  shift
  if OUT="$("$AWS" --endpoint-url "$EP" --region us-east-1 --output json kinesis "$@" 2>"$TMP/err")"; then
    fail "aws kinesis $* succeeded, expected $code; output: $OUT"
  fi
  grep -q "($code)" "$TMP/err" || fail "aws kinesis $* failed without $code: $(cat "$TMP/err")"
}
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"; }

wait_active() {
  local status=""
  for _ in $(seq 1 120); do
    k describe-stream-summary --stream-name "$STREAM"
    status="$(j "d['StreamDescriptionSummary']['StreamStatus']")"
    [[ "$status" == ACTIVE ]] && return 0
    sleep 0.5
  done
  fail "stream $STREAM still $status after 60 s"
}

list_shards() { k list-shards --stream-name "$STREAM"; printf '%s' "$OUT" >"$TMP/shards.json"; }

# Records written, one JSON line each: {"seq","shard","pk","data"(base64)}.
: >"$TMP/expected.jsonl"
record_put() { # $1 = partition key, $2 = data as base64, $3 = PutRecord output
  OUT="$3" j "json.dumps({'seq': d['SequenceNumber'], 'shard': d['ShardId'], 'pk': '''$1''', 'data': '$2'})" >>"$TMP/expected.jsonl"
}

# `read_shard SHARD FILE open|closed`: TRIM_HORIZON to the tip (open) or to the null NextShardIterator
# (closed); records go to FILE as a JSON list, the last GetRecords output to FILE.last.
read_shard() {
  local shard="$1" file="$2" mode="$3" it n
  k get-shard-iterator --stream-name "$STREAM" --shard-id "$shard" --shard-iterator-type TRIM_HORIZON
  it="$(j "d['ShardIterator']")"
  echo '[]' >"$file"
  for _ in $(seq 1 50); do
    k get-records --shard-iterator "$it"
    printf '%s' "$OUT" >"$file.last"
    j "json.dumps(load('$file') + d['Records'])" >"$file.tmp" && mv "$file.tmp" "$file"
    n="$(j "len(d['Records'])")"
    if [[ "$mode" == closed ]]; then
      [[ "$(j "d.get('NextShardIterator')")" == null ]] && return 0
    elif [[ "$n" == 0 && "$(j "d.get('MillisBehindLatest', 0)")" == 0 ]]; then
      return 0
    fi
    it="$(j "d['NextShardIterator']")"
    [[ "$it" != null ]] || fail "open shard $shard returned no NextShardIterator"
  done
  fail "reading $shard did not reach its end in 50 GetRecords calls"
}

# Compares what was read from SHARD (FILE) with the expected records of that shard: same sequence
# numbers in increasing order, same partition keys, same bytes.
verify_shard() {
  local shard="$1" file="$2" res
  res="$(j "(lambda got, exp: 'ok' if [(r['SequenceNumber'], r['PartitionKey'], r['Data']) for r in got] == [(e['seq'], e['pk'], e['data']) for e in exp] and all(int(a['SequenceNumber']) < int(b['SequenceNumber']) for a, b in zip(got, got[1:])) else 'got ' + json.dumps([(r['SequenceNumber'], r['PartitionKey'], r['Data']) for r in got]) + ' expected ' + json.dumps([(e['seq'], e['pk'], e['data']) for e in exp]))(load('$file'), sorted([e for e in map(json.loads, open('$TMP/expected.jsonl')) if e['shard'] == '$shard'], key=lambda e: int(e['seq'])))")"
  [[ "$res" == ok ]] || fail "records read back from $shard differ: $res"
}

H127=170141183460469231731687303715884105728 # 2^127: where a 2-shard stream splits
H127M1=170141183460469231731687303715884105727
H126=85070591730234615865843651857942052864  # 2^126: the split point used below
H126M1=85070591730234615865843651857942052863
MAXH=340282366920938463463374607431768211455 # 2^128 - 1

# ---------------------------------------------------------------------------------------------
k_err ResourceNotFoundException describe-stream --stream-name "$STREAM-missing"
ok "describe-stream of a missing stream -> ResourceNotFoundException"

k create-stream --stream-name "$STREAM" --shard-count 2
ok "create-stream with 2 shards"
wait_active
ok "stream becomes ACTIVE"
expect_eq "$(j "d['StreamDescriptionSummary']['OpenShardCount']")" 2 "OpenShardCount"
expect_eq "$(j "d['StreamDescriptionSummary']['RetentionPeriodHours']")" 24 "RetentionPeriodHours"
STREAM_ARN="$(j "d['StreamDescriptionSummary']['StreamARN']")"
[[ "$STREAM_ARN" == arn:aws*:kinesis:us-east-1:*:stream/"$STREAM" ]] || fail "unexpected StreamARN $STREAM_ARN"
ok "describe-stream-summary: 2 open shards, 24 h retention, ARN $STREAM_ARN"

k list-streams
[[ "$(j "'$STREAM' in d['StreamNames']")" == true ]] || fail "list-streams does not contain $STREAM: $OUT"
ok "list-streams contains the stream"

k_err ResourceInUseException create-stream --stream-name "$STREAM" --shard-count 1
ok "create-stream of an existing stream -> ResourceInUseException"

list_shards
expect_eq "$(j "[s['ShardId'] for s in d['Shards']]")" '["shardId-000000000000", "shardId-000000000001"]' "list-shards ids"
expect_eq "$(j "[(s['HashKeyRange']['StartingHashKey'], s['HashKeyRange']['EndingHashKey']) for s in d['Shards']]")" \
  "[[\"0\", \"$H127M1\"], [\"$H127\", \"$MAXH\"]]" "list-shards hash ranges"
[[ "$(j "all(s['SequenceNumberRange']['StartingSequenceNumber'].isdigit() and 'EndingSequenceNumber' not in s['SequenceNumberRange'] for s in d['Shards'])")" == true ]] ||
  fail "open shards need a decimal StartingSequenceNumber and no EndingSequenceNumber: $OUT"
ok "list-shards: shardId-000000000000/1 split at 2^127, both open"

# put-record with raw text (v1: raw text is the payload; v2: raw-in-base64-out).
TEXT="hello from the aws cli"
k put-record --stream-name "$STREAM" --partition-key pk-text --data "$TEXT" "${BLOB_ARGS[@]}"
expect_eq "$(j "d['ShardId']")" "$(OUT="$(cat "$TMP/shards.json")" j "shard_for(md5key('pk-text'), d['Shards'])")" "put-record text: ShardId from MD5(pk-text)"
[[ "$(j "d['SequenceNumber']")" =~ ^[0-9]+$ ]] || fail "SequenceNumber is not a decimal string: $OUT"
record_put pk-text "$(printf '%s' "$TEXT" | base64 -w0)" "$OUT"
ok "put-record with text data -> shard chosen by MD5 of the partition key"

# put-record with binary (non-UTF-8) bytes from a file: fileb:// is raw bytes in v1 and v2.
printf '\x00\x01\x02\xff\xfe\xfd\x80\x81sluice\xc3\x28\xa0\xa1\n\x7f' >"$TMP/binary.dat"
k put-record --stream-name "$STREAM" --partition-key pk-binary --data "fileb://$TMP/binary.dat"
expect_eq "$(j "d['ShardId']")" "$(OUT="$(cat "$TMP/shards.json")" j "shard_for(md5key('pk-binary'), d['Shards'])")" "put-record binary: ShardId"
record_put pk-binary "$(base64 -w0 <"$TMP/binary.dat")" "$OUT"
ok "put-record with binary data from fileb://"

# ExplicitHashKey overrides the partition key; SequenceNumberForOrdering keeps numbers increasing.
k put-record --stream-name "$STREAM" --partition-key pk-explicit --explicit-hash-key "$H127" --data "to shard one" "${BLOB_ARGS[@]}"
expect_eq "$(j "d['ShardId']")" shardId-000000000001 "put-record --explicit-hash-key 2^127"
FIRST_SEQ="$(j "d['SequenceNumber']")"
record_put pk-explicit "$(printf 'to shard one' | base64 -w0)" "$OUT"
k put-record --stream-name "$STREAM" --partition-key pk-explicit --explicit-hash-key 0 --data "to shard zero" "${BLOB_ARGS[@]}"
expect_eq "$(j "d['ShardId']")" shardId-000000000000 "put-record --explicit-hash-key 0"
record_put pk-explicit "$(printf 'to shard zero' | base64 -w0)" "$OUT"
k put-record --stream-name "$STREAM" --partition-key pk-explicit --explicit-hash-key "$H127" \
  --sequence-number-for-ordering "$FIRST_SEQ" --data "ordered" "${BLOB_ARGS[@]}"
expect_eq "$(j "d['ShardId']")" shardId-000000000001 "put-record with sequence-number-for-ordering: ShardId"
[[ "$(j "int(d['SequenceNumber']) > int('$FIRST_SEQ')")" == true ]] || fail "sequence number did not increase: $OUT after $FIRST_SEQ"
record_put pk-explicit "$(printf 'ordered' | base64 -w0)" "$OUT"
ok "put-record --explicit-hash-key routes to shards 1 and 0; --sequence-number-for-ordering increases"

# put-records with several partition keys (UTF-8 text data).
RECORDS='['
for i in 0 1 2 3 4 5; do
  ((i > 0)) && RECORDS+=','
  RECORDS+="{\"Data\":\"batch record $i, café ✓\",\"PartitionKey\":\"partition-$i\"}"
done
RECORDS+=']'
k put-records --stream-name "$STREAM" --records "$RECORDS" "${BLOB_ARGS[@]}"
expect_eq "$(j "d.get('FailedRecordCount', 0)")" 0 "put-records FailedRecordCount"
expect_eq "$(j "len(d['Records'])")" 6 "put-records result count"
PUT_RECORDS_OUT="$OUT"
for i in 0 1 2 3 4 5; do
  OUT="$PUT_RECORDS_OUT"
  rec="$(j "d['Records'][$i]")"
  want="$(OUT="$(cat "$TMP/shards.json")" j "shard_for(md5key('partition-$i'), d['Shards'])")"
  expect_eq "$(OUT="$rec" j "d['ShardId']")" "$want" "put-records entry $i ShardId"
  record_put "partition-$i" "$(printf 'batch record %s, café ✓' "$i" | base64 -w0)" "$rec"
done
[[ "$(j "len(set(r['ShardId'] for r in d['Records']))")" == 2 ]] || fail "6 partition keys should reach both shards: $PUT_RECORDS_OUT"
ok "put-records: 6 entries, none failed, each on the shard its MD5 names (both shards used)"

# Read every shard from TRIM_HORIZON and compare with what was written.
for shard in shardId-000000000000 shardId-000000000001; do
  read_shard "$shard" "$TMP/read-$shard.json" open
  verify_shard "$shard" "$TMP/read-$shard.json"
done
ok "get-shard-iterator TRIM_HORIZON + get-records: every record read back with its data and partition key"

k get-shard-iterator --stream-name "$STREAM" --shard-id shardId-000000000001 --shard-iterator-type TRIM_HORIZON
k get-records --shard-iterator "$(j "d['ShardIterator']")" --limit 1
expect_eq "$(j "len(d['Records'])")" 1 "get-records --limit 1 record count"
[[ "$(j "d.get('NextShardIterator') is not None")" == true ]] || fail "get-records --limit 1 gave no NextShardIterator"
ok "get-records --limit 1 returns one record and a NextShardIterator"

# Split shard 0 at 2^126: two children, the parent closes.
k split-shard --stream-name "$STREAM" --shard-to-split shardId-000000000000 --new-starting-hash-key "$H126"
wait_active
ok "split-shard shardId-000000000000 at 2^126, stream ACTIVE again"
list_shards
expect_eq "$(j "[(s['ShardId'], s.get('ParentShardId'), s['HashKeyRange']['StartingHashKey'], s['HashKeyRange']['EndingHashKey'], 'EndingSequenceNumber' in s['SequenceNumberRange']) for s in sorted(d['Shards'], key=lambda s: s['ShardId'])]")" \
  "[[\"shardId-000000000000\", null, \"0\", \"$H127M1\", true], [\"shardId-000000000001\", null, \"$H127\", \"$MAXH\", false], [\"shardId-000000000002\", \"shardId-000000000000\", \"0\", \"$H126M1\", false], [\"shardId-000000000003\", \"shardId-000000000000\", \"$H126\", \"$H127M1\", false]]" \
  "list-shards after split"
ok "list-shards: 4 shards, the parent closed, children 2 and 3 with ParentShardId and halves of its range"

read_shard shardId-000000000000 "$TMP/parent.json" closed
verify_shard shardId-000000000000 "$TMP/parent.json"
ok "closed parent read to its end: same records, NextShardIterator null"
if skipped childshards; then
  echo "# skipped: ChildShards check (SLUICE_CLIENT_SKIP)"
else
  OUT="$(cat "$TMP/parent.json.last")"
  expect_eq "$(j "sorted((c['ShardId'], c['ParentShards']) for c in d.get('ChildShards') or [])")" \
    '[["shardId-000000000002", ["shardId-000000000000"]], ["shardId-000000000003", ["shardId-000000000000"]]]' \
    "ChildShards at the end of the parent"
  ok "the parent's last get-records lists ChildShards 2 and 3"
fi

k put-record --stream-name "$STREAM" --partition-key after-split --explicit-hash-key 0 --data "after split" "${BLOB_ARGS[@]}"
expect_eq "$(j "d['ShardId']")" shardId-000000000002 "put-record at hash 0 after the split"
record_put after-split "$(printf 'after split' | base64 -w0)" "$OUT"
read_shard shardId-000000000002 "$TMP/child.json" open
verify_shard shardId-000000000002 "$TMP/child.json"
ok "a write at hash 0 lands in child shardId-000000000002 and reads back"

# Tags.
k add-tags-to-stream --stream-name "$STREAM" --tags team=sluice,env=test
k list-tags-for-stream --stream-name "$STREAM"
expect_eq "$(j "sorted((t['Key'], t.get('Value')) for t in d['Tags'])")" '[["env", "test"], ["team", "sluice"]]' "list-tags-for-stream"
expect_eq "$(j "d['HasMoreTags']")" false "HasMoreTags"
k remove-tags-from-stream --stream-name "$STREAM" --tag-keys env
k list-tags-for-stream --stream-name "$STREAM"
expect_eq "$(j "[(t['Key'], t.get('Value')) for t in d['Tags']]")" '[["team", "sluice"]]' "tags after remove"
ok "add-tags-to-stream / list-tags-for-stream / remove-tags-from-stream"

# Enhanced fan-out consumers.
if skipped consumers; then
  echo "# skipped: consumers (SLUICE_CLIENT_SKIP)"
else
  k register-stream-consumer --stream-arn "$STREAM_ARN" --consumer-name cli-consumer
  CONSUMER_ARN="$(j "d['Consumer']['ConsumerARN']")"
  [[ "$CONSUMER_ARN" == "$STREAM_ARN/consumer/cli-consumer:"* ]] || fail "unexpected ConsumerARN $CONSUMER_ARN"
  ok "register-stream-consumer -> $CONSUMER_ARN"
  status=""
  for _ in $(seq 1 120); do
    k describe-stream-consumer --consumer-arn "$CONSUMER_ARN"
    status="$(j "d['ConsumerDescription']['ConsumerStatus']")"
    [[ "$status" == ACTIVE ]] && break
    sleep 0.5
  done
  expect_eq "$status" ACTIVE "consumer status"
  expect_eq "$(j "d['ConsumerDescription']['StreamARN']")" "$STREAM_ARN" "ConsumerDescription.StreamARN"
  k describe-stream-consumer --stream-arn "$STREAM_ARN" --consumer-name cli-consumer
  expect_eq "$(j "d['ConsumerDescription']['ConsumerARN']")" "$CONSUMER_ARN" "describe by stream ARN + name"
  ok "describe-stream-consumer: ACTIVE, by ARN and by stream ARN + name"
  k list-stream-consumers --stream-arn "$STREAM_ARN"
  expect_eq "$(j "[(c['ConsumerName'], c['ConsumerARN']) for c in d['Consumers']]")" "[[\"cli-consumer\", \"$CONSUMER_ARN\"]]" "list-stream-consumers"
  ok "list-stream-consumers lists it"
  k_err ResourceInUseException register-stream-consumer --stream-arn "$STREAM_ARN" --consumer-name cli-consumer
  ok "registering the same consumer name again -> ResourceInUseException"
  k deregister-stream-consumer --consumer-arn "$CONSUMER_ARN"
  gone=0
  for _ in $(seq 1 120); do
    k list-stream-consumers --stream-arn "$STREAM_ARN"
    [[ "$(j "len(d['Consumers'])")" == 0 ]] && { gone=1; break; }
    sleep 0.5
  done
  [[ "$gone" == 1 ]] || fail "consumer still listed 60 s after deregister-stream-consumer: $OUT"
  k_err ResourceNotFoundException describe-stream-consumer --consumer-arn "$CONSUMER_ARN"
  ok "deregister-stream-consumer: gone from the list, describe -> ResourceNotFoundException"
fi

# Retention.
k increase-stream-retention-period --stream-name "$STREAM" --retention-period-hours 48
k describe-stream-summary --stream-name "$STREAM"
expect_eq "$(j "d['StreamDescriptionSummary']['RetentionPeriodHours']")" 48 "retention after increase"
k decrease-stream-retention-period --stream-name "$STREAM" --retention-period-hours 24
k describe-stream-summary --stream-name "$STREAM"
expect_eq "$(j "d['StreamDescriptionSummary']['RetentionPeriodHours']")" 24 "retention after decrease"
ok "increase-stream-retention-period 48 / decrease-stream-retention-period 24"
k_err InvalidArgumentException increase-stream-retention-period --stream-name "$STREAM" --retention-period-hours 12
ok "increase-stream-retention-period below the current value -> InvalidArgumentException"

# Delete.
k delete-stream --stream-name "$STREAM"
gone=0
for _ in $(seq 1 120); do
  if ! "$AWS" --endpoint-url "$EP" --output json kinesis describe-stream-summary --stream-name "$STREAM" >/dev/null 2>"$TMP/err"; then
    grep -q '(ResourceNotFoundException)' "$TMP/err" || fail "describe-stream-summary after delete: $(cat "$TMP/err")"
    gone=1
    break
  fi
  sleep 0.5
done
[[ "$gone" == 1 ]] || fail "stream still exists 60 s after delete-stream"
DONE=1
k list-streams
[[ "$(j "'$STREAM' in d['StreamNames']")" == false ]] || fail "list-streams still contains $STREAM"
ok "delete-stream: describe -> ResourceNotFoundException, gone from list-streams"

echo "awscli scenario: $CHECKS checks passed"
