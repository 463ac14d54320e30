// CBOR cross-check for CborProtocolTests, over stdin/stdout with JSON:
//   node cbor_check.mjs encode            -> [{hex, value}] for sample values encoded by the npm cbor package
//   node cbor_check.mjs decode < [hex...]  -> [value] as the npm cbor package decodes each item
// Values are written in one neutral form both sides produce: byte strings {"$bytes": hex}, tags {"$tag", "value"},
// non-text-keyed maps {"$map": [[k, v]...]}, {"$undefined": true}, {"$simple": n}, non-finite/-0 floats {"$float"}.
import cbor from 'cbor';

function write(v) {
  if (v === undefined) return '{"$undefined":true}';
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '{"$float":"NaN"}';
    if (!Number.isFinite(v)) return `{"$float":"${v > 0 ? 'Infinity' : '-Infinity'}"}`;
    if (Object.is(v, -0)) return '{"$float":"-0"}';
    return JSON.stringify(v);
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `{"$bytes":"${Buffer.from(v).toString('hex')}"}`;
  if (v instanceof Date) return `{"$tag":1,"value":${JSON.stringify(v.getTime() / 1000)}}`;
  if (v instanceof cbor.Tagged) return `{"$tag":${v.tag},"value":${write(v.value)}}`;
  if (v instanceof cbor.Simple) return `{"$simple":${v.value}}`;
  if (Array.isArray(v)) return '[' + v.map(write).join(',') + ']';
  if (v instanceof Map) return '{"$map":[' + [...v].map(([k, x]) => '[' + write(k) + ',' + write(x) + ']').join(',') + ']}';
  return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ':' + write(x)).join(',') + '}';
}

const samples = [
  0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER,
  -1, -24, -25, -256, -257, -65537, -4294967297, Number.MIN_SAFE_INTEGER,
  1.5, -4.1, 0.1, 65504, 100000.5, 1e300, 5.960464477539063e-8, 3.4028234663852886e+38, NaN, Infinity, -Infinity, -0,
  '', 'a', 'IETF', '"\\', 'ü', '水', '𐅑', 'x'.repeat(300),
  Buffer.alloc(0), Buffer.from([1, 2, 3, 4]), Buffer.alloc(70000, 0xab),
  true, false, null, undefined, new cbor.Simple(16), new cbor.Simple(255),
  new cbor.Tagged(100, 'tagged'), new cbor.Tagged(1000, [1, { a: 2 }]),
  [], [1, [2, 3], [4, 5]], Array.from({ length: 25 }, (_, i) => i + 1),
  {}, { a: 1, b: [2, 3] }, { StreamName: 'orders', Data: Buffer.from('hello'), Limit: 10, Nested: { Deep: [true, null] } },
  new Map([[1, 2], [3, 4]]),
];

const mode = process.argv[2];
if (mode === 'encode') {
  const rows = samples.map(v => `{"hex":"${cbor.encodeOne(v, { highWaterMark: 1 << 22 }).toString('hex')}","value":${write(v)}}`);
  process.stdout.write('[' + rows.join(',') + ']');
} else if (mode === 'decode') {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const values = JSON.parse(input).map(hex => write(cbor.decodeFirstSync(Buffer.from(hex, 'hex'))));
  process.stdout.write('[' + values.join(',') + ']');
} else {
  throw new Error('mode must be encode or decode');
}
