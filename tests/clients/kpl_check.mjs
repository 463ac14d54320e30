// KPL aggregation cross-check for Sluice.Streams.Client.Tests, driven over stdin/stdout with JSON:
//   node kpl_check.mjs aggregate    < [{partitionKey, explicitHashKey?, data(base64)}]  -> {partitionKey, explicitHashKey, data}
//   node kpl_check.mjs deaggregate  < {partitionKey, data(base64)}                      -> {error, records: [...]}
// aws-kinesis-agg is the library Lambda producers and consumers use for the KPL format.
import agg from 'aws-kinesis-agg';

const mode = process.argv[2];
let input = '';
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);

if (mode === 'aggregate') {
  const aggregator = new agg.RecordAggregator();
  for (const r of request) {
    const record = { partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') };
    if (r.explicitHashKey) record.explicitHashKey = r.explicitHashKey;
    if (aggregator.addUserRecord(record)) throw new Error('records do not fit one aggregate');
  }
  const built = aggregator.build();
  process.stdout.write(JSON.stringify({
    partitionKey: built.partitionKey,
    explicitHashKey: built.ExplicitHashKey ?? null,
    data: built.data.toString('base64'),
  }));
} else if (mode === 'deaggregate') {
  agg.deaggregateSync({ partitionKey: request.partitionKey, data: request.data, sequenceNumber: '1' }, true, (err, records) => {
    process.stdout.write(JSON.stringify({
      error: err ? String(err.message ?? err) : null,
      records: (records ?? []).map(r => ({
        partitionKey: r.partitionKey,
        explicitHashKey: r.explicitPartitionKey ?? null,
        subSequenceNumber: r.subSequenceNumber ?? 0,
        data: r.data,
      })),
    }));
  });
} else {
  throw new Error('mode must be aggregate or deaggregate');
}
