// SubscribeToShard with the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis) over HTTP/2 + TLS
// (NodeHttp2Handler, ALPN h2), trusting Sluice's generated certificate.
//
//   SLUICE_ENDPOINT=http://127.0.0.1:4567 SLUICE_TLS_ENDPOINT=https://127.0.0.1:4568 \
//   SLUICE_CA_BUNDLE=./data/tls/sluice-selfsigned.crt node tests/clients/subscribe_js.mjs
//
// Env: SLUICE_ENDPOINT (puts and control calls), SLUICE_TLS_ENDPOINT (subscriptions), SLUICE_CA_BUNDLE (PEM to
// trust; passed to Node as NODE_EXTRA_CA_CERTS, which Node reads only at startup, so the script re-runs itself
// with it), SLUICE_STREAM (stream name; default random).
// Checks: subscribe from TRIM_HORIZON and LATEST, records put by another client while subscribed arrive in order with
// PutRecord's sequence numbers, ContinuationSequenceNumber, AFTER_SEQUENCE_NUMBER, ChildShards after a split.
// Exits non-zero on the first mismatch; the last line on success is "subscribe js: N checks passed".
import { spawnSync } from "node:child_process";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamConsumerCommand,
  KinesisClient,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

const CA = process.env.SLUICE_CA_BUNDLE;
if (CA && process.env.NODE_EXTRA_CA_CERTS !== CA) {
  const child = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: CA } });
  process.exit(child.status ?? 1);
}

const ENDPOINT = process.env.SLUICE_ENDPOINT;
const TLS_ENDPOINT = process.env.SLUICE_TLS_ENDPOINT;
if (!ENDPOINT || !TLS_ENDPOINT) {
  console.error("SLUICE_ENDPOINT and SLUICE_TLS_ENDPOINT are required");
  process.exit(2);
}

const STREAM = process.env.SLUICE_STREAM || `sub-js-${Math.random().toString(36).slice(2, 10)}`;
const common = { region: "us-east-1", credentials: { accessKeyId: "akid", secretAccessKey: "secret" }, maxAttempts: 1 };
const plain = new KinesisClient({ ...common, endpoint: ENDPOINT });
const tls = new KinesisClient({ ...common, endpoint: TLS_ENDPOINT, requestHandler: new NodeHttp2Handler({ sessionTimeout: 60_000 }) });

let checks = 0;
function check(condition, what) {
  if (!condition) throw new Error(what);
  checks++;
}

const text = (bytes) => Buffer.from(bytes).toString("utf8");

async function put(data) {
  const reply = await plain.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: "pk", Data: Buffer.from(data) }));
  return reply.SequenceNumber;
}

async function activeConsumer(streamArn, name) {
  const registered = await tls.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }));
  const arn = registered.Consumer.ConsumerARN;
  for (let i = 0; i < 100; i++) {
    const d = await tls.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }));
    if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") return arn;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`consumer ${name} never became ACTIVE`);
}

/** Subscribes and hands each SubscribeToShardEvent to onEvent until it returns true or the stream ends (20 s at most). */
async function subscribe(consumerArn, startingPosition, onEvent) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  const seen = [];
  try {
    const reply = await tls.send(
      new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: "shardId-000000000000", StartingPosition: startingPosition }),
      { abortSignal: abort.signal },
    );
    for await (const event of reply.EventStream) {
      if (!event.SubscribeToShardEvent) {
        seen.push(Object.keys(event).join(","));
        continue;
      }
      if (await onEvent(event.SubscribeToShardEvent)) return { done: true, seen };
    }
    return { done: false, ended: true, seen };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

async function main() {
  await plain.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  await waitUntilStreamExists({ client: plain, maxWaitTime: 30 }, { StreamName: STREAM });
  const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
  const [c1, c2, c3] = [await activeConsumer(streamArn, "c1"), await activeConsumer(streamArn, "c2"), await activeConsumer(streamArn, "c3")];
  check(c1.includes("/consumer/c1:"), "RegisterStreamConsumer over TLS returns the consumer ARN");

  // TRIM_HORIZON: three records put before, two more put while subscribed, all in order.
  const expected = [await put("r0"), await put("r1"), await put("r2")];
  const got = [];
  let continuation;
  const trim = await subscribe(c1, { Type: "TRIM_HORIZON" }, async (e) => {
    for (const r of e.Records) got.push(r);
    continuation = e.ContinuationSequenceNumber;
    if (got.length === 3 && expected.length === 3) expected.push(await put("r3"), await put("r4"));
    return got.length >= 5;
  });
  check(trim.done, `TRIM_HORIZON subscription delivered ${got.length} of 5 records`);
  check(JSON.stringify(got.map((r) => r.SequenceNumber)) === JSON.stringify(expected), "sequence numbers equal PutRecord's, in order");
  check(got.map((r) => text(r.Data)).join() === "r0,r1,r2,r3,r4", "data arrives in order");
  check(got.every((r) => r.PartitionKey === "pk" && r.ApproximateArrivalTimestamp instanceof Date), "partition keys and arrival timestamps");
  check(continuation === expected[4], "ContinuationSequenceNumber is the last record's sequence number");

  // LATEST: nothing old, then a record put while subscribed.
  let latestPut;
  const latest = [];
  const lat = await subscribe(c2, { Type: "LATEST" }, async (e) => {
    check(typeof e.ContinuationSequenceNumber === "string", "every event carries a ContinuationSequenceNumber");
    for (const r of e.Records) latest.push(r);
    if (!latestPut) latestPut = await put("latest");
    return latest.length >= 1;
  });
  check(lat.done && latest.length === 1 && latest[0].SequenceNumber === latestPut && text(latest[0].Data) === "latest", "LATEST delivers only the record put while subscribed");

  // AFTER_SEQUENCE_NUMBER, then a split: the last event names the children, has no continuation, and the stream ends.
  let children;
  let sawRecord = false;
  const split = await subscribe(c3, { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: expected[4] }, async (e) => {
    if (e.Records.length > 0) {
      check(e.Records[0].SequenceNumber === latestPut, "AFTER_SEQUENCE_NUMBER starts after the given record");
      if (!sawRecord) {
        sawRecord = true;
        await plain.send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: "shardId-000000000000", NewStartingHashKey: "170141183460469231731687303715884105728" }));
      }
    }
    if (e.ChildShards && e.ChildShards.length > 0) {
      children = e;
    }
    return false;
  });
  check(split.ended, "the subscription ends at the shard's end");
  check(children && children.ChildShards.map((c) => c.ShardId).join() === "shardId-000000000001,shardId-000000000002", "ChildShards name both children");
  check(children.ContinuationSequenceNumber === undefined, "no continuation at the shard's end");
  check(children.ChildShards.every((c) => c.ParentShards.join() === "shardId-000000000000"), "children name their parent");

  await plain.send(new DeleteStreamCommand({ StreamName: STREAM, EnforceConsumerDeletion: true }));
  console.log(`subscribe js: ${checks} checks passed`);
}

main()
  .then(() => {
    plain.destroy();
    tls.destroy();
    process.exit(0);
  })
  .catch((e) => {
    console.error(`subscribe js FAILED: ${e?.stack || e}`);
    process.exit(1);
  });
