// A @grpc/grpc-js server of tests/Sluice.Grpc.Tests/Protos/echo.proto for the interop tests.
// Usage: node echo_server.mjs <echo.proto>. Listens on 127.0.0.1 (any free port), prints "PORT <n>", serves until killed.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
const echo = grpc.loadPackageDefinition(definition).sluice.test.echo;

function seenHeaders(call) {
  const map = call.metadata.getMap();
  return Object.keys(map).map((k) => `${k}=${Buffer.isBuffer(map[k]) ? map[k].toString('base64') : map[k]}`);
}

function failure(request) {
  const trailers = new grpc.Metadata();
  trailers.set('echo-detail', 'from grpc-js');
  trailers.set('echo-detail-bin', Buffer.from([0, 1, 2, 255]));
  return { code: request.fail_code, details: request.fail_message, metadata: trailers };
}

function sleep(ms, call) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    call.on('cancelled', () => { clearTimeout(timer); resolve(); });
  });
}

const server = new grpc.Server();
server.addService(echo.Echo.service, {
  async Say(call, callback) {
    const request = call.request;
    if (request.delay_ms > 0) await sleep(request.delay_ms, call);
    if (call.cancelled) return;
    if (request.fail_code) return callback(failure(request));
    callback(null, { text: request.text, payload: request.payload, index: 0, headers: seenHeaders(call) });
  },
  async Repeat(call) {
    const request = call.request;
    for (let i = 0; i < request.count && !call.cancelled; i++) {
      if (i > 0 && request.delay_ms > 0) await sleep(request.delay_ms, call);
      if (call.cancelled) return;
      call.write({ text: request.text, payload: request.payload, index: i });
    }
    if (request.fail_code) return call.emit('error', failure(request));
    call.end();
  },
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  console.log(`PORT ${port}`);
});
