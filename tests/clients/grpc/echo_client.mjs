// A @grpc/grpc-js client of tests/Sluice.Grpc.Tests/Protos/echo.proto for the interop tests.
// Usage: node echo_client.mjs <echo.proto> <host:port> <scenario>. Prints one JSON line with what it saw.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, address, scenario] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
const echo = grpc.loadPackageDefinition(definition).sluice.test.echo;
const options = scenario === 'gzip' ? { 'grpc.default_compression_algorithm': 2 } : {};
const client = new echo.Echo(address, grpc.credentials.createInsecure(), options);

const print = (result) => { console.log(JSON.stringify(result)); client.close(); };
const errorOf = (e) => ({
  code: e.code,
  details: e.details,
  detail: e.metadata?.get('echo-detail')[0] ?? null,
  detailBin: e.metadata?.get('echo-detail-bin')[0]?.toString('hex') ?? null,
});
const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function unary(request, callOptions = {}) {
  const metadata = new grpc.Metadata();
  metadata.set('x-caller', 'grpc-js');
  metadata.set('x-token-bin', Buffer.from([9, 8, 7]));
  return new Promise((resolve) => client.Say(request, metadata, callOptions, (e, reply) => resolve(e ? { error: errorOf(e) } : { reply })));
}

function stream(request) {
  return new Promise((resolve) => {
    const indices = [];
    const call = client.Repeat(request);
    call.on('data', (reply) => indices.push(reply.index));
    call.on('error', (e) => resolve({ indices, error: errorOf(e) }));
    call.on('status', (s) => { if (s.code === 0) resolve({ indices, status: s.code }); });
  });
}

const scenarios = {
  async unary() {
    const { reply, error } = await unary({ text: 'héllo wörld', payload });
    return { error, text: reply?.text, payload: reply?.payload.toString('hex'), headers: reply?.headers };
  },
  async gzip() {
    const big = Buffer.alloc(200000, 'a');
    const { reply, error } = await unary({ text: 'zip', payload: big });
    const streamed = await stream({ text: 'zip', payload: big, count: 20 });
    return {
      error,
      text: reply?.text,
      payloadLength: reply?.payload.length,
      same: reply ? Buffer.compare(reply.payload, big) === 0 : false,
      streamed: streamed.indices.length,
      streamStatus: streamed.status ?? streamed.error,
    };
  },
  stream: () => stream({ text: 'many', count: 500 }),
  streamError: () => stream({ text: 'fails', count: 3, fail_code: 9, fail_message: 'stream ended: ошибка ü 日本 100%' }),
  async error() {
    return unary({ text: 'fail', fail_code: 5, fail_message: 'not found: ошибка ü 日本 100%' });
  },
  async deadline() {
    // Connect first, so the deadline covers the call and not the connection set-up.
    await unary({ text: 'warm-up' });
    return unary({ text: 'slow', delay_ms: 10000 }, { deadline: Date.now() + 1000 });
  },
  async unimplemented() {
    const result = await new Promise((resolve) => client.makeUnaryRequest(
      '/sluice.test.echo.Echo/Missing', (x) => x, (x) => x, Buffer.alloc(0), (e) => resolve(e ? errorOf(e) : { code: 0 })));
    return { error: result };
  },
  async cancel() {
    // Reads the first reply of an endless stream, then cancels; the server's handler must see it.
    return new Promise((resolve) => {
      const call = client.Repeat({ text: 'wait-for-cancel', count: 1000000, delay_ms: 50 });
      let first = null;
      call.on('data', (reply) => { if (first === null) { first = reply.index; call.cancel(); } });
      call.on('error', (e) => resolve({ first, error: errorOf(e) }));
    });
  },
};

const run = scenarios[scenario];
if (!run) {
  console.error(`unknown scenario ${scenario}; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
print(await run());
