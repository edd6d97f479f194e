// apache-arrow JS reads the model file of tests/large (a row past 2^31 - 1 values, `vec` as
// LargeList) and checks what the C++ test wrote: the arrays' lengths and sizes and a spread of
// values. Prints "ok …" and exits 0, or says what differs and exits 1.
//   node tests/interop/large_row.mjs FILE
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';

const path = process.argv[2];
const fd = openSync(path, 'r');
const size = fstatSync(fd).size;
// readFileSync stops at 2 GiB; a Buffer may be larger.
const bytes = Buffer.allocUnsafe(size);
for (let done = 0; done < size;) done += readSync(fd, bytes, done, Math.min(size - done, 1 << 30), done);
closeSync(fd);

const table = tableFromIPC(bytes);
const fail = (what) => { console.log(`differs: ${what}`); process.exit(1); };
const big = 2 ** 31 + 4096;
const arrays = table.getChild('weights').get(0).weights;
if (arrays.length !== 2) fail(`${arrays.length} arrays`);
const first = arrays.get(0), second = arrays.get(1);
const vec = first.vec;
if (vec.length !== big) fail(`first array has ${vec.length} values`);
if (JSON.stringify(Array.from(first.size, Number)) !== JSON.stringify([1024, big / 1024])) fail(`size ${first.size}`);
const expect = (i, seed) => Number((BigInt(i) * 131n + BigInt(seed)) % 251n);
for (const i of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, big - 1, 123456789, 2000000011]) {
  if (vec.get(i) !== expect(i, 7)) fail(`value ${i}: ${vec.get(i)} instead of ${expect(i, 7)}`);
}
const small = Array.from(second.vec);
for (let i = 0; i < 15; ++i) if (small[i] !== expect(i, 1)) fail(`small value ${i}`);
console.log(`ok: ${table.numRows} row, ${vec.length} + ${small.length} values, vec is ${table.schema.fields[0].type.children[0].type.children[0].type.children[0].type}`);
