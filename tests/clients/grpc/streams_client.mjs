// A @grpc/grpc-js peer of sluice.streams.v1.Streams: puts records, follows the shard with Subscribe until it has them,
// takes the group's leases, and prints what it saw as one JSON line.
// usage: node streams_client.mjs <proto root> <host:port> <stream name>
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoRoot, address, streamName] = process.argv.slice(2);
const definition = protoLoader.loadSync('sluice/streams/v1/streams.proto', {
  includeDirs: [protoRoot], longs: String, enums: String, defaults: true,
});
const { Streams } = grpc.loadPackageDefinition(definition).sluice.streams.v1;
const client = new Streams(address, grpc.credentials.createInsecure());
const unary = (name, request) => new Promise((resolve, reject) =>
  client[name](request, { deadline: Date.now() + 20000 }, (err, response) => (err ? reject(err) : resolve(response))));

const records = ['one', 'two', 'three'].map((text) => ({ partitionKey: 'k', data: Buffer.from(text) }));
const put = await unary('putRecords', { streamName, records });

const received = await new Promise((resolve, reject) => {
  const got = [];
  const call = client.subscribe({
    streamName, shardId: put.records[0].shardId, position: { type: 'TRIM_HORIZON' }, heartbeatMs: 200,
  }, { deadline: Date.now() + 20000 });
  call.on('data', (event) => {
    for (const r of event.records) got.push({ sequenceNumber: r.sequenceNumber, data: r.data.toString() });
    if (got.length >= records.length) {
      call.cancel();
      resolve(got);
    }
  });
  call.on('error', (err) => { if (err.code !== grpc.status.CANCELLED) reject(err); });
});

const taken = await unary('takeLeases', { streamName, consumerGroup: 'js', workerId: 'node-1' });
let missing;
try {
  await unary('listShards', { streamName: 'no-such-stream' });
} catch (err) {
  missing = { code: err.code, details: err.details };
}

console.log(JSON.stringify({
  put: put.records.map((r) => r.sequenceNumber),
  received,
  leases: taken.leases.map((l) => ({ shardId: l.shardId, owner: l.owner })),
  missing,
}));
client.close();
