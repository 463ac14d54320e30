// AWS SDK for JavaScript v3 (@aws-sdk/client-firehose) scenario against a Firehose-compatible endpoint (Sluice).
//
//   SLUICE_ENDPOINT=http://127.0.0.1:4567 node tests/clients/firehose_js.mjs
//
// Env: SLUICE_ENDPOINT (required), SLUICE_PREFIX (delivery stream name prefix; default random).
// Exits non-zero on the first mismatch; the last line on success is "firehose js scenario: N checks passed".
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  StartDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UpdateDestinationCommand,
} from "@aws-sdk/client-firehose";

const ENDPOINT = process.env.SLUICE_ENDPOINT;
if (!ENDPOINT) {
  console.error("set SLUICE_ENDPOINT");
  process.exit(2);
}
const PREFIX = process.env.SLUICE_PREFIX || `fhjs${Math.floor(Math.random() * 1e6)}`;
const ROLE = "arn:aws:iam::000000000000:role/firehose";
const BUCKET = "arn:aws:s3:::sluice-js";
const fh = new FirehoseClient({
  endpoint: ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "akid", secretAccessKey: "secret" },
  maxAttempts: 1,
});
let checks = 0;

function check(condition, what) {
  if (!condition) {
    console.error(`firehose js scenario FAILED: ${what}`);
    process.exit(1);
  }
  checks++;
}

async function errorName(command) {
  try {
    await fh.send(command);
  } catch (e) {
    return e.name;
  }
  return null;
}

const describe = async (name) => (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;

const s3 = `${PREFIX}-s3`;
const http = `${PREFIX}-http`;
const created = await fh.send(new CreateDeliveryStreamCommand({
  DeliveryStreamName: s3,
  DeliveryStreamType: "DirectPut",
  DirectPutSourceConfiguration: { ThroughputHintInMBs: 2 },
  ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, FileExtension: ".log", CustomTimeZone: "Asia/Tokyo" },
  Tags: [{ Key: "sdk", Value: "js" }],
}));
check(created.DeliveryStreamARN === `arn:aws:firehose:us-east-1:000000000000:deliverystream/${s3}`, "create answers the ARN");
await fh.send(new CreateDeliveryStreamCommand({
  DeliveryStreamName: http,
  HttpEndpointDestinationConfiguration: {
    EndpointConfiguration: { Url: "http://127.0.0.1:9/ingest", AccessKey: "hidden" },
    BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
    S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET },
  },
}));

let d = await describe(s3);
check(d.DeliveryStreamStatus === "ACTIVE" && d.VersionId === "1", "active at version 1");
check(d.CreateTimestamp instanceof Date, "CreateTimestamp is a Date");
check(d.Source?.DirectPutSourceDescription?.ThroughputHintInMBs === 2, "direct put source described");
const ext = d.Destinations[0].ExtendedS3DestinationDescription;
check(ext.FileExtension === ".log" && ext.CustomTimeZone === "Asia/Tokyo", "file extension and time zone echoed");
check(ext.BufferingHints.SizeInMBs === 5 && ext.BufferingHints.IntervalInSeconds === 300, "default buffering hints");
const h = (await describe(http)).Destinations[0].HttpEndpointDestinationDescription;
check(h.EndpointConfiguration.Url === "http://127.0.0.1:9/ingest" && h.EndpointConfiguration.AccessKey === undefined, "http endpoint without the key");
check(h.BufferingHints.IntervalInSeconds === 0, "zero buffering accepted");

const list = await fh.send(new ListDeliveryStreamsCommand({ ExclusiveStartDeliveryStreamName: PREFIX, Limit: 1 }));
check(list.DeliveryStreamNames.length === 1 && list.DeliveryStreamNames[0] === http && list.HasMoreDeliveryStreams === true, "list pages");

const put = await fh.send(new PutRecordCommand({ DeliveryStreamName: s3, Record: { Data: new TextEncoder().encode("js\n") } }));
check(typeof put.RecordId === "string" && put.RecordId.length > 0 && put.Encrypted === false, "put record");
const batch = await fh.send(new PutRecordBatchCommand({
  DeliveryStreamName: s3,
  Records: Array.from({ length: 20 }, (_, i) => ({ Data: new TextEncoder().encode(`b${i}\n`) })),
}));
check(batch.FailedPutCount === 0 && new Set(batch.RequestResponses.map((r) => r.RecordId)).size === 20, "batch ids");

await fh.send(new UpdateDestinationCommand({
  DeliveryStreamName: s3,
  CurrentDeliveryStreamVersionId: "1",
  DestinationId: "destinationId-000000000001",
  ExtendedS3DestinationUpdate: { Prefix: "js/" },
}));
d = await describe(s3);
check(d.VersionId === "2" && d.Destinations[0].ExtendedS3DestinationDescription.Prefix === "js/", "updated");
check(await errorName(new UpdateDestinationCommand({
  DeliveryStreamName: s3,
  CurrentDeliveryStreamVersionId: "1",
  DestinationId: "destinationId-000000000001",
  ExtendedS3DestinationUpdate: { Prefix: "x/" },
})) === "ConcurrentModificationException", "stale version refused");

await fh.send(new TagDeliveryStreamCommand({ DeliveryStreamName: s3, Tags: [{ Key: "a", Value: "1" }] }));
const tags = await fh.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: s3 }));
check(tags.Tags.map((t) => `${t.Key}=${t.Value}`).join(",") === "a=1,sdk=js" && tags.HasMoreTags === false, "tags");

await fh.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: s3, DeliveryStreamEncryptionConfigurationInput: { KeyType: "AWS_OWNED_CMK" } }));
check(["ENABLING", "ENABLED"].includes((await describe(s3)).DeliveryStreamEncryptionConfiguration.Status), "encryption starting");

check(await errorName(new PutRecordCommand({ DeliveryStreamName: `${PREFIX}-missing`, Record: { Data: new Uint8Array([1]) } })) === "ResourceNotFoundException", "missing");
check(await errorName(new CreateDeliveryStreamCommand({ DeliveryStreamName: s3, ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET } })) === "ResourceInUseException", "in use");

await fh.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: s3 }));
await fh.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: http }));
check(await errorName(new DescribeDeliveryStreamCommand({ DeliveryStreamName: s3 })) === "ResourceNotFoundException", "deleted");

console.log(`firehose js scenario: ${checks} checks passed`);
