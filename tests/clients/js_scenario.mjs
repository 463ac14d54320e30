// AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis) scenario against a Kinesis-compatible
// endpoint (Sluice).
//
//   (cd tests/clients && npm ci) && SLUICE_ENDPOINT=http://127.0.0.1:4567 node tests/clients/js_scenario.mjs
//
// Env: SLUICE_ENDPOINT (required), SLUICE_STREAM (stream name; default random), SLUICE_CLIENT_SKIP
// (comma list of sections to skip, meant only for emulators that lack them: consumers, childshards,
// http2).
// The Kinesis client of SDK v3 talks HTTP/2 by default (NodeHttp2Handler; on an http:// endpoint
// that is cleartext h2 with prior knowledge), so that is what runs by default. Skipping "http2"
// runs the whole scenario over HTTP/1.1 (NodeHttpHandler) instead; either way one extra check
// makes a few calls over HTTP/1.1, the handler many applications configure themselves.
// Exits non-zero on the first mismatch; the last line on success is "js scenario: N checks passed".
import { createHash, randomBytes } from "node:crypto";
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamConsumersCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  RemoveTagsFromStreamCommand,
  SplitShardCommand,
  waitUntilStreamExists,
  waitUntilStreamNotExists,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const ENDPOINT = process.env.SLUICE_ENDPOINT;
if (!ENDPOINT) {
  console.error("js scenario: set SLUICE_ENDPOINT, e.g. http://127.0.0.1:4567");
  process.exit(2);
}
const STREAM = process.env.SLUICE_STREAM || `sluice-js-${Date.now()}-${randomBytes(3).toString("hex")}`;
const SKIP = new Set((process.env.SLUICE_CLIENT_SKIP || "").split(",").map((s) => s.trim()).filter(Boolean));

// Static dummy credentials and a fixed region; nothing from user config files or instance metadata.
Object.assign(process.env, {
  AWS_CONFIG_FILE: "/nonexistent/sluice-aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/sluice-aws-credentials",
  AWS_EC2_METADATA_DISABLED: "true",
});
delete process.env.AWS_PROFILE;

const newClient = (http1) => new KinesisClient({
  endpoint: ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "akid", secretAccessKey: "secret" },
  maxAttempts: 1, // no retries: a server error must show
  ...(http1 ? { requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 60000 }) } : {}),
});
const HTTP1_ONLY = SKIP.has("http2");
const client = newClient(HTTP1_ONLY);

const MAX_HASH = 2n ** 128n - 1n;
const H127 = 2n ** 127n;
const H126 = 2n ** 126n;

let checks = 0;
let streamDeleted = false;

class ScenarioFailure extends Error {}
const fail = (message) => {
  throw new ScenarioFailure(message);
};
const ok = (message) => console.log(`ok ${++checks} - ${message}`);
const expect = (condition, message) => condition || fail(message);
const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString("hex") : x));
const expectEq = (actual, expected, what) => {
  if (show(actual) !== show(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
};
const skipped = (section) => {
  if (!SKIP.has(section)) return false;
  console.log(`# skipped: ${section} (SLUICE_CLIENT_SKIP)`);
  return true;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (command) => client.send(command);

async function expectError(name, command) {
  try {
    const response = await send(command);
    fail(`${command.constructor.name} succeeded, expected ${name}: ${show(response)}`);
  } catch (e) {
    if (e instanceof ScenarioFailure) throw e;
    if (e.$metadata?.httpStatusCode === undefined) throw e; // transport failure, not an AWS error
    expectEq(e.name, name, `${command.constructor.name} error name`);
    expectEq(e.$metadata?.httpStatusCode, 400, `${command.constructor.name} HTTP status`);
    expectEq(e.$fault, "client", `${command.constructor.name} $fault`);
  }
}

const md5HashKey = (pk) => BigInt("0x" + createHash("md5").update(pk, "utf8").digest("hex"));
const range = (shard) => [BigInt(shard.HashKeyRange.StartingHashKey), BigInt(shard.HashKeyRange.EndingHashKey)];
const isOpen = (shard) => !shard.SequenceNumberRange.EndingSequenceNumber;
function openShardFor(hashKey, shards) {
  const found = shards.filter((s) => isOpen(s) && range(s)[0] <= hashKey && hashKey <= range(s)[1]).map((s) => s.ShardId);
  expect(found.length === 1, `exactly one open shard must hold hash key ${hashKey}: ${show(found)}`);
  return found[0];
}

async function listShards() {
  let response = await send(new ListShardsCommand({ StreamName: STREAM }));
  const shards = [...response.Shards];
  while (response.NextToken) {
    response = await send(new ListShardsCommand({ NextToken: response.NextToken }));
    shards.push(...response.Shards);
  }
  return shards;
}

async function waitActive() {
  await waitUntilStreamExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { StreamName: STREAM });
  const { StreamDescriptionSummary: summary } = await send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  expectEq(summary.StreamStatus, "ACTIVE", "StreamStatus after waitUntilStreamExists");
  return summary;
}

// Binary data with bytes that are not valid UTF-8.
const payload = (i) => Uint8Array.from([i & 0xff, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, ...Buffer.from(`js-${i}`), ...randomBytes(16)]);

// Records written: shardId -> [{seq, pk, data}]
const expected = new Map();
function remember(shardId, seq, pk, data) {
  expect(/^\d+$/.test(seq), `SequenceNumber must be a decimal string: ${seq}`);
  if (!expected.has(shardId)) expected.set(shardId, []);
  expected.get(shardId).push({ seq, pk, data });
}
async function put(pk, data, explicitHashKey) {
  const response = await send(new PutRecordCommand({
    StreamName: STREAM, PartitionKey: pk, Data: data,
    ...(explicitHashKey !== undefined ? { ExplicitHashKey: explicitHashKey.toString() } : {}),
  }));
  remember(response.ShardId, response.SequenceNumber, pk, data);
  return response;
}

async function iterator(shardId, type = "TRIM_HORIZON") {
  const r = await send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: type }));
  return r.ShardIterator;
}

// Reads a shard from TRIM_HORIZON to its tip (open) or to the null NextShardIterator (closed).
async function readShard(shardId, closed) {
  let it = await iterator(shardId);
  const records = [];
  for (let i = 0; i < 50; i++) {
    const response = await send(new GetRecordsCommand({ ShardIterator: it }));
    records.push(...response.Records);
    if (closed) {
      if (response.NextShardIterator == null) return { records, last: response };
    } else {
      expect(response.NextShardIterator, `open shard ${shardId} returned no NextShardIterator`);
      if (response.Records.length === 0 && (response.MillisBehindLatest ?? 0) === 0) return { records, last: response };
    }
    it = response.NextShardIterator;
  }
  fail(`reading ${shardId} did not reach its end in 50 GetRecords calls`);
}

function verifyShard(shardId, records) {
  const got = records.map((r) => ({ seq: r.SequenceNumber, pk: r.PartitionKey, data: Buffer.from(r.Data).toString("hex") }));
  const want = [...(expected.get(shardId) || [])]
    .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))
    .map((e) => ({ seq: e.seq, pk: e.pk, data: Buffer.from(e.data).toString("hex") }));
  expectEq(got, want, `records read back from ${shardId}`);
  for (const r of records) {
    expect(r.Data instanceof Uint8Array, `Data must come back as bytes (${shardId})`);
    const age = Math.abs(r.ApproximateArrivalTimestamp.getTime() - Date.now());
    expect(age < 600_000, `ApproximateArrivalTimestamp ${r.ApproximateArrivalTimestamp.toISOString()} is not near now`);
  }
}

async function scenario() {
  await expectError("ResourceNotFoundException", new DescribeStreamSummaryCommand({ StreamName: `${STREAM}-missing` }));
  ok("DescribeStreamSummary of a missing stream -> ResourceNotFoundException");
  await expectError("ValidationException", new CreateStreamCommand({ StreamName: "bad name!", ShardCount: 1 }));
  ok("CreateStream with an invalid name -> ValidationException");

  await send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  const summary = await waitActive();
  expectEq(summary.OpenShardCount, 2, "OpenShardCount");
  const streamArn = summary.StreamARN;
  expect(streamArn.endsWith(`:stream/${STREAM}`), `unexpected StreamARN ${streamArn}`);
  ok("CreateStream with 2 shards; waitUntilStreamExists sees ACTIVE with 2 open shards");
  await expectError("ResourceInUseException", new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  ok("CreateStream of an existing stream -> ResourceInUseException");
  const { StreamNames } = await send(new ListStreamsCommand({}));
  expect(StreamNames.includes(STREAM), `ListStreams does not list ${STREAM}`);
  ok("ListStreams lists the stream");

  let shards = await listShards();
  expectEq(shards.map((s) => [s.ShardId, range(s)]),
    [["shardId-000000000000", [0n, H127 - 1n]], ["shardId-000000000001", [H127, MAX_HASH]]], "ListShards");
  ok("ListShards: 2 shards split at 2^127");

  // Writes across both shards.
  for (const [i, pk] of ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"].entries()) {
    const r = await put(pk, payload(i));
    expectEq(r.ShardId, openShardFor(md5HashKey(pk), shards), `PutRecord ShardId for ${pk}`);
  }
  ok("PutRecord binary data: each partition key on the shard its MD5 names");

  const entries = [
    ...Array.from({ length: 6 }, (_, i) => ({ PartitionKey: `batch-${i}`, Data: payload(100 + i) })),
    ...[0n, H127 - 1n, H127, MAX_HASH].map((h, i) => ({ PartitionKey: `explicit-${i}`, Data: payload(200 + i), ExplicitHashKey: h.toString() })),
  ];
  const batch = await send(new PutRecordsCommand({ StreamName: STREAM, Records: entries }));
  expectEq(batch.FailedRecordCount ?? 0, 0, "PutRecords FailedRecordCount");
  expectEq(batch.Records.length, entries.length, "PutRecords result count");
  entries.forEach((entry, i) => {
    const hashKey = entry.ExplicitHashKey ? BigInt(entry.ExplicitHashKey) : md5HashKey(entry.PartitionKey);
    expectEq(batch.Records[i].ShardId, openShardFor(hashKey, shards), `PutRecords ShardId for ${entry.PartitionKey}`);
    remember(batch.Records[i].ShardId, batch.Records[i].SequenceNumber, entry.PartitionKey, entry.Data);
  });
  ok("PutRecords: 10 entries with partition keys and ExplicitHashKeys, none failed, right shards");

  await expectError("InvalidArgumentException",
    new PutRecordCommand({ StreamName: STREAM, PartitionKey: "k", Data: Uint8Array.of(1), ExplicitHashKey: (2n ** 128n).toString() }));
  ok("PutRecord with ExplicitHashKey 2^128 -> InvalidArgumentException");

  for (const shardId of ["shardId-000000000000", "shardId-000000000001"]) {
    verifyShard(shardId, (await readShard(shardId, false)).records);
  }
  ok("GetShardIterator TRIM_HORIZON + GetRecords on both shards: bytes, keys and order match");

  // Split shard 1, write on, then read the way a consumer does: parent to its end, then its children.
  const splitAt = H127 + H126;
  await send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: "shardId-000000000001", NewStartingHashKey: splitAt.toString() }));
  await waitActive();
  shards = await listShards();
  expectEq(shards.map((s) => [s.ShardId, s.ParentShardId ?? null, range(s), isOpen(s)]).sort(), [
    ["shardId-000000000000", null, [0n, H127 - 1n], true],
    ["shardId-000000000001", null, [H127, MAX_HASH], false],
    ["shardId-000000000002", "shardId-000000000001", [H127, splitAt - 1n], true],
    ["shardId-000000000003", "shardId-000000000001", [splitAt, MAX_HASH], true],
  ], "ListShards after SplitShard");
  ok("SplitShard shardId-000000000001 at 2^127+2^126: parent closed, children 2 and 3");

  expectEq((await put("after-split-low", payload(300), H127)).ShardId, "shardId-000000000002", "write at 2^127 after the split");
  expectEq((await put("after-split-high", payload(301), MAX_HASH)).ShardId, "shardId-000000000003", "write at 2^128-1 after the split");
  for (const pk of ["golf", "hotel", "india", "juliett"]) {
    const r = await put(pk, payload(400 + pk.length));
    expectEq(r.ShardId, openShardFor(md5HashKey(pk), shards), `PutRecord ShardId for ${pk} after the split`);
  }
  ok("writes after the split go to the children by hash");

  const parent = await readShard("shardId-000000000001", true);
  verifyShard("shardId-000000000001", parent.records);
  let children;
  if (skipped("childshards")) {
    children = shards.filter((s) => s.ParentShardId === "shardId-000000000001").map((s) => s.ShardId).sort();
  } else {
    expectEq((parent.last.ChildShards || []).map((c) => [c.ShardId, c.ParentShards, range(c)]).sort(), [
      ["shardId-000000000002", ["shardId-000000000001"], [H127, splitAt - 1n]],
      ["shardId-000000000003", ["shardId-000000000001"], [splitAt, MAX_HASH]],
    ], "ChildShards at the end of the parent");
    children = parent.last.ChildShards.map((c) => c.ShardId).sort();
  }
  ok(`parent read to its end (NextShardIterator null)${SKIP.has("childshards") ? "" : ", ChildShards name both children"}`);
  for (const child of children) verifyShard(child, (await readShard(child, false)).records);
  verifyShard("shardId-000000000000", (await readShard("shardId-000000000000", false)).records);
  ok("read on into the child shards: every record written after the split is there, byte for byte");

  // Tags.
  await send(new AddTagsToStreamCommand({ StreamName: STREAM, Tags: { owner: "js", purpose: "scenario" } }));
  let tags = await send(new ListTagsForStreamCommand({ StreamName: STREAM }));
  expectEq(tags.Tags.map((t) => [t.Key, t.Value]), [["owner", "js"], ["purpose", "scenario"]], "ListTagsForStream");
  await send(new RemoveTagsFromStreamCommand({ StreamName: STREAM, TagKeys: ["owner"] }));
  tags = await send(new ListTagsForStreamCommand({ StreamName: STREAM }));
  expectEq(tags.Tags.map((t) => [t.Key, t.Value]), [["purpose", "scenario"]], "tags after RemoveTagsFromStream");
  ok("AddTagsToStream / ListTagsForStream / RemoveTagsFromStream");

  // Enhanced fan-out consumers.
  if (!skipped("consumers")) {
    const { Consumer } = await send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: "js-consumer" }));
    expect(Consumer.ConsumerARN.startsWith(`${streamArn}/consumer/js-consumer:`), `ConsumerARN ${Consumer.ConsumerARN}`);
    let description;
    for (let i = 0; i < 120; i++) {
      ({ ConsumerDescription: description } = await send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN })));
      if (description.ConsumerStatus === "ACTIVE") break;
      await sleep(500);
    }
    expectEq([description.ConsumerStatus, description.ConsumerName, description.StreamARN], ["ACTIVE", "js-consumer", streamArn], "DescribeStreamConsumer");
    const { Consumers } = await send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
    expectEq(Consumers.map((c) => [c.ConsumerName, c.ConsumerARN]), [["js-consumer", Consumer.ConsumerARN]], "ListStreamConsumers");
    await expectError("ResourceInUseException", new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: "js-consumer" }));
    ok("RegisterStreamConsumer -> ACTIVE, DescribeStreamConsumer, ListStreamConsumers; duplicate -> ResourceInUseException");
    await send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    for (let i = 0; i < 120; i++) {
      if ((await send(new ListStreamConsumersCommand({ StreamARN: streamArn }))).Consumers.length === 0) break;
      await sleep(500);
    }
    await expectError("ResourceNotFoundException", new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    ok("DeregisterStreamConsumer: gone, DescribeStreamConsumer -> ResourceNotFoundException");
  }

  // The same stream through an HTTP/1.1 client.
  const http1 = newClient(true);
  try {
    const { StreamDescriptionSummary: s1 } = await http1.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    expectEq([s1.StreamName, s1.StreamStatus, s1.OpenShardCount], [STREAM, "ACTIVE", 3], "DescribeStreamSummary over HTTP/1.1");
    const sent = payload(900);
    const r = await http1.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: "http1", Data: sent, ExplicitHashKey: "0" }));
    expectEq(r.ShardId, "shardId-000000000000", "PutRecord over HTTP/1.1 at hash 0");
    const { ShardIterator } = await http1.send(new GetShardIteratorCommand({
      StreamName: STREAM, ShardId: r.ShardId, ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: r.SequenceNumber,
    }));
    const { Records } = await http1.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    expectEq(Records.map((x) => [x.SequenceNumber, x.PartitionKey, x.Data]), [[r.SequenceNumber, "http1", sent]], "GetRecords over HTTP/1.1");
  } catch (e) {
    if (e instanceof ScenarioFailure || e.$metadata?.httpStatusCode !== undefined) throw e;
    fail(`the HTTP/1.1 client (NodeHttpHandler) got no HTTP response: ${e.name}: ${e.message}${e.code ? ` [${e.code}]` : ""}`);
  } finally {
    http1.destroy();
  }
  ok(`HTTP/1.1 client (NodeHttpHandler) on the same endpoint; main client over ${HTTP1_ONLY ? "HTTP/1.1" : "HTTP/2"}`);

  await send(new DeleteStreamCommand({ StreamName: STREAM }));
  await waitUntilStreamNotExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { StreamName: STREAM });
  streamDeleted = true;
  await expectError("ResourceNotFoundException", new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  ok("DeleteStream; waitUntilStreamNotExists; describe -> ResourceNotFoundException");
}

console.log(`# @aws-sdk/client-kinesis against ${ENDPOINT}, stream ${STREAM}`);
try {
  await scenario();
  console.log(`js scenario: ${checks} checks passed`);
} catch (e) {
  console.error(e instanceof ScenarioFailure ? e.stack : e);
  let hint = "";
  if (!(e instanceof ScenarioFailure) && e.$metadata?.httpStatusCode === undefined) {
    hint = HTTP1_ONLY
      ? " (no HTTP response at all)"
      : " (no HTTP response: this client speaks cleartext HTTP/2 with prior knowledge, the SDK's default for Kinesis;"
        + " the endpoint must accept it)";
  }
  console.error(`js scenario FAILED: ${e.name}: ${e.message}${e.code ? ` [${e.code}]` : ""}${hint}`);
  process.exitCode = 1;
} finally {
  if (!streamDeleted) {
    await send(new DeleteStreamCommand({ StreamName: STREAM, EnforceConsumerDeletion: true })).catch(() => {});
  }
  client.destroy();
}
