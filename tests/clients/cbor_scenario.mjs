// Kinesis over CBOR (application/x-amz-cbor-1.1), the way the AWS Java SDKs and the KCL talk by default: every
// request body is a CBOR map encoded by the npm cbor package, blobs as byte strings, timestamps as tag 1 + epoch
// milliseconds. Run by CborProtocolTests with SLUICE_ENDPOINT and SLUICE_STREAM set; exits non-zero on a mismatch.
import assert from 'node:assert/strict';
import cbor from 'cbor';

const endpoint = process.env.SLUICE_ENDPOINT ?? 'http://127.0.0.1:4567';
const stream = process.env.SLUICE_STREAM ?? 'cbor-scenario';
const contentType = 'application/x-amz-cbor-1.1';
// encodeOne is given a large highWaterMark: with the default (16 KiB) the cbor package silently cuts longer output.

async function call(operation, body, expectedStatus = 200) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Amz-Target': `Kinesis_20131202.${operation}`,
      'X-Amz-Date': amzDate,
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${amzDate.slice(0, 8)}/us-east-1/kinesis/aws4_request, ` +
        `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
    },
    body: cbor.encodeOne(body, { highWaterMark: 1 << 22 }),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, expectedStatus, `${operation}: status ${response.status}, body ${bytes.toString('hex')}`);
  assert.equal(response.headers.get('content-type'), contentType, `${operation}: content type`);
  return bytes.length === 0 ? {} : cbor.decodeFirstSync(bytes);
}

async function expectError(operation, body, type, messagePart) {
  const error = await call(operation, body, 400);
  assert.equal(error.__type, type, `${operation}: ${JSON.stringify(error)}`);
  if (messagePart) assert.match(error.message, messagePart);
  return error;
}

// Stream lifecycle and descriptions.
await call('CreateStream', { StreamName: stream, ShardCount: 2 });
let described;
for (let i = 0; i < 100; i++) {
  described = (await call('DescribeStream', { StreamName: stream })).StreamDescription;
  if (described.StreamStatus === 'ACTIVE') break;
  await new Promise(r => setTimeout(r, 100));
}
assert.equal(described.StreamStatus, 'ACTIVE');
assert.equal(described.Shards.length, 2);
assert.ok(described.StreamCreationTimestamp instanceof Date, 'StreamCreationTimestamp is a tag-1 timestamp');
assert.ok(Math.abs(described.StreamCreationTimestamp.getTime() / 1000 - Date.now()) < 600_000,
  `StreamCreationTimestamp counts milliseconds: ${described.StreamCreationTimestamp.getTime()}`);
assert.equal(typeof described.RetentionPeriodHours, 'number');

const summary = (await call('DescribeStreamSummary', { StreamName: stream })).StreamDescriptionSummary;
assert.equal(summary.OpenShardCount, 2);
const streams = await call('ListStreams', {});
assert.ok(streams.StreamNames.includes(stream));
assert.ok(streams.StreamSummaries.some(s => s.StreamName === stream));
const shards = (await call('ListShards', { StreamName: stream })).Shards;
assert.deepEqual(shards.map(s => s.ShardId), ['shardId-000000000000', 'shardId-000000000001']);
assert.equal(typeof shards[0].HashKeyRange.StartingHashKey, 'string');

// Writes with byte-string data, then reads them back as byte strings.
const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7f]);
const put = await call('PutRecord', { StreamName: stream, PartitionKey: 'p', Data: binary, ExplicitHashKey: '0' });
assert.equal(put.ShardId, 'shardId-000000000000');
assert.match(put.SequenceNumber, /^\d+$/);
const batch = await call('PutRecords', {
  StreamName: stream,
  Records: [
    { PartitionKey: 'a', Data: Buffer.from('first'), ExplicitHashKey: '1' },
    { PartitionKey: 'b', Data: Buffer.alloc(0), ExplicitHashKey: '2' },
    { PartitionKey: 'c', Data: Buffer.alloc(50_000, 0x61), ExplicitHashKey: '3' },
  ],
});
assert.equal(batch.FailedRecordCount, 0);
assert.equal(batch.Records.length, 3);

const iterator = (await call('GetShardIterator', { StreamName: stream, ShardId: shards[0].ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
const got = await call('GetRecords', { ShardIterator: iterator, Limit: 10 });
assert.equal(got.Records.length, 4);
assert.ok(Buffer.isBuffer(got.Records[0].Data), 'Data arrives as a byte string');
assert.deepEqual(got.Records[0].Data, binary);
assert.deepEqual(got.Records[1].Data, Buffer.from('first'));
assert.deepEqual(got.Records[2].Data, Buffer.alloc(0));
assert.deepEqual(got.Records[3].Data, Buffer.alloc(50_000, 0x61));
assert.equal(got.Records[0].SequenceNumber, put.SequenceNumber);
const arrival = got.Records[0].ApproximateArrivalTimestamp;
assert.ok(arrival instanceof Date, 'ApproximateArrivalTimestamp is a tag-1 timestamp');
assert.ok(Math.abs(arrival.getTime() / 1000 - Date.now()) < 600_000, `arrival counts milliseconds: ${arrival.getTime()}`);
assert.equal(typeof got.MillisBehindLatest, 'number');
assert.equal(typeof got.NextShardIterator, 'string');

// AT_TIMESTAMP with a tag-1 timestamp in milliseconds, as the Java SDK writes it; then one as a plain integer.
const arrivalMs = Math.round(arrival.getTime() / 1000);
const atTimestamp = (await call('GetShardIterator', {
  StreamName: stream, ShardId: shards[0].ShardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new cbor.Tagged(1, arrivalMs),
})).ShardIterator;
const fromTimestamp = await call('GetRecords', { ShardIterator: atTimestamp });
assert.equal(fromTimestamp.Records[0].SequenceNumber, put.SequenceNumber);
const plain = (await call('GetShardIterator', {
  StreamName: stream, ShardId: shards[0].ShardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: arrivalMs,
})).ShardIterator;
assert.equal((await call('GetRecords', { ShardIterator: plain })).Records[0].SequenceNumber, put.SequenceNumber);
// A future timestamp is refused, and the message shows it was read as milliseconds to the unit.
const future = Date.now() + 3_600_000;
await expectError('GetShardIterator', {
  StreamName: stream, ShardId: shards[0].ShardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new cbor.Tagged(1, future),
}, 'InvalidArgumentException', new RegExp(`timestampInMillis: ${future},`));

// Tags and consumers.
await call('AddTagsToStream', { StreamName: stream, Tags: { team: 'data', env: 'test' } });
const tags = await call('ListTagsForStream', { StreamName: stream });
assert.deepEqual(tags.Tags.map(t => `${t.Key}=${t.Value}`).sort(), ['env=test', 'team=data']);
const consumer = (await call('RegisterStreamConsumer', { StreamARN: described.StreamARN, ConsumerName: 'cbor-app' })).Consumer;
assert.equal(consumer.ConsumerName, 'cbor-app');
assert.ok(consumer.ConsumerCreationTimestamp instanceof Date);
const consumers = await call('ListStreamConsumers', { StreamARN: described.StreamARN });
assert.deepEqual(consumers.Consumers.map(c => c.ConsumerName), ['cbor-app']);

// Errors come back as CBOR maps with __type and message.
await expectError('DescribeStream', { StreamName: stream + '-missing' }, 'ResourceNotFoundException', /not found/);
await expectError('CreateStream', { StreamName: stream, ShardCount: 0 }, 'ValidationException', /shardCount/);
await expectError('PutRecord', { StreamName: stream, PartitionKey: '', Data: Buffer.from('x') }, 'ValidationException', /partitionKey/);
await expectError('PutRecord', { StreamName: stream, PartitionKey: 'p', Data: 'not a byte string!' }, 'SerializationException');

await call('DeleteStream', { StreamName: stream, EnforceConsumerDeletion: true });
console.log('cbor scenario ok');
