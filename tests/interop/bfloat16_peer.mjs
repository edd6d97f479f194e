// Native bfloat16 model files read by apache-arrow JS, which knows nothing of our extension: a BF16
// safetensors file converted with `legolasflux convert --bfloat16 native` must be, to JS, a
// Weights column whose `vec` items are Uint16 (the bfloat16 bit patterns, as they were) on a field
// whose metadata names the extension legolasflux.bfloat16; converted without the flag, Float32
// items holding the same numbers and no such metadata. Then the other way: the native file as JS
// writes it again (its own writer, child field metadata and all) reads back in C++ as BFloat16,
// and converts back to a BF16 safetensors file of the original bytes.
//
//   node bfloat16_peer.mjs --cli build/tools/legolasflux/legolasflux --work /tmp/bf16-peer
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { cli, Report } from './lib/common.mjs';

const EXTENSION = 'legolasflux.bfloat16';

function parseArgs(argv) {
    const args = {};
    for (let k = 0; k < argv.length; k += 2) {
        const key = argv[k].replace(/^--/, '');
        if (!['cli', 'work'].includes(key) || argv[k + 1] === undefined) {
            throw new Error(`usage: --cli LEGOLASFLUX --work DIR (bad: ${argv[k]})`);
        }
        args[key] = argv[k + 1];
    }
    for (const k of ['cli', 'work']) if (!args[k]) throw new Error(`--${k} is required`);
    if (!fs.existsSync(args.cli)) throw new Error(`the C++ CLI ${args.cli} does not exist (build the legolasflux target)`);
    fs.rmSync(args.work, { recursive: true, force: true });
    fs.mkdirSync(args.work, { recursive: true });
    return args;
}

// A safetensors file of BF16 tensors (header padded with spaces to a multiple of 8, data in order).
function safetensorsBytes(tensors) {
    const header = {};
    let offset = 0;
    for (const t of tensors) {
        header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + 2 * t.bits.length] };
        offset += 2 * t.bits.length;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (8 + Buffer.byteLength(json)) % 8) % 8);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    return Buffer.concat([size, Buffer.from(json), ...tensors.map((t) => Buffer.from(Uint16Array.from(t.bits).buffer))]);
}

// bfloat16 bits as the number they mean: the upper half of a float32.
function bfloat16Value(bits) {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, bits << 16 >>> 0);
    return view.getFloat32(0);
}

const TENSORS = [
    // 1, 1.5, -2, the largest finite, the smallest subnormal, -0, -infinity, 1/3 rounded
    { name: 'a.weight', shape: [2, 4], bits: [0x3f80, 0x3fc0, 0xc000, 0x7f7f, 0x0001, 0x8000, 0xff80, 0x3eab] },
    { name: 'b.bias', shape: [3], bits: [0x4049, 0xbdcd, 0x0080] },
];

// The `vec` items of the Weights column `weights`: the field and the values of every array, in order.
function vecOf(table) {
    const column = table.schema.fields.find((f) => f.name === 'weights');
    if (!column) throw new Error('no weights column');
    const list = column.type.children[0];
    const flat = list.type.children[0];
    const vec = flat.type.children.find((f) => f.name === 'vec');
    const item = vec.type.children[0];
    const arrays = table.getChild('weights').get(0).weights.toArray().map((fa) => Array.from(fa.vec.toArray()));
    return { item, arrays };
}

function expectNative(file) {
    const out = [];
    const table = arrow.tableFromIPC(fs.readFileSync(file));
    const { item, arrays } = vecOf(table);
    if (!arrow.DataType.isInt(item.type) || item.type.bitWidth !== 16 || item.type.isSigned) out.push(`vec items are ${item.type}, expected Uint16`);
    if (item.metadata.get('ARROW:extension:name') !== EXTENSION) out.push(`vec item metadata ${JSON.stringify([...item.metadata])}, expected the extension name ${EXTENSION}`);
    if (item.metadata.get('ARROW:extension:metadata') !== '') out.push('ARROW:extension:metadata should be present and empty');
    // The arrays are in the row's order: the file's tensor order, which convert keeps in weight_names.
    const names = Array.from(table.getChild('weight_names').get(0).toArray());
    TENSORS.forEach((t) => {
        const got = arrays[names.indexOf(t.name)];
        if (JSON.stringify(got) !== JSON.stringify(t.bits)) out.push(`${t.name}: bits ${JSON.stringify(got)}, expected ${JSON.stringify(t.bits)}`);
    });
    return out;
}

function expectWidened(file) {
    const out = [];
    const table = arrow.tableFromIPC(fs.readFileSync(file));
    const { item, arrays } = vecOf(table);
    if (!arrow.DataType.isFloat(item.type) || item.type.precision !== arrow.Precision.SINGLE) out.push(`vec items are ${item.type}, expected Float32`);
    if (item.metadata.size) out.push(`vec item metadata ${JSON.stringify([...item.metadata])}, expected none`);
    const names = Array.from(table.getChild('weight_names').get(0).toArray());
    TENSORS.forEach((t) => {
        const got = arrays[names.indexOf(t.name)];
        const want = t.bits.map(bfloat16Value);
        if (!got || got.length !== want.length || got.some((v, i) => !Object.is(v, want[i]))) out.push(`${t.name}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    });
    return out;
}

// The native file written again by JS, without our checksums (JS's bytes are not ours).
function rewriteWithJs(from, to) {
    const table = arrow.tableFromIPC(fs.readFileSync(from));
    const metadata = new Map([...table.schema.metadata].filter(([k]) => k !== 'legolasflux.checksums'));
    const schema = new arrow.Schema(table.schema.fields, metadata);
    const batches = table.batches.map((b) => new arrow.RecordBatch(schema, b.data));
    fs.writeFileSync(to, arrow.tableToIPC(new arrow.Table(schema, batches), 'file'));
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('bfloat16_peer');
    const input = path.join(args.work, 'in.safetensors');
    fs.writeFileSync(input, safetensorsBytes(TENSORS));
    const native = path.join(args.work, 'native.arrow');
    const widened = path.join(args.work, 'widened.arrow');

    report.check('C++ writes --bfloat16 native: JS reads Uint16 items marked legolasflux.bfloat16', () => {
        cli(args.cli, ['convert', input, native, '--bfloat16', 'native']);
        return expectNative(native);
    });
    report.check('C++ writes the default: JS reads Float32 items holding the same numbers', () => {
        cli(args.cli, ['convert', input, widened]);
        return expectWidened(widened);
    });
    report.check('JS writes the native file again: C++ reads BFloat16 and gives back the BF16 bytes', () => {
        const rewritten = path.join(args.work, 'rewritten.arrow');
        rewriteWithJs(native, rewritten);
        const out = [];
        const again = expectNative(rewritten);
        if (again.length) return again.map((p) => `JS's own file: ${p}`);
        const inspected = JSON.parse(cli(args.cli, ['inspect', '--json', rewritten]));
        if (inspected.weights?.element_type !== 'BFloat16') out.push(`C++ reads element type ${inspected.weights?.element_type}`);
        const back = path.join(args.work, 'back.safetensors');
        cli(args.cli, ['convert', rewritten, back, '--bfloat16', 'native']);
        const bytes = fs.readFileSync(back);
        const headerSize = Number(bytes.readBigUInt64LE(0));
        const header = JSON.parse(bytes.subarray(8, 8 + headerSize).toString());
        for (const t of TENSORS) {
            const info = header[t.name];
            if (!info || info.dtype !== 'BF16') {
                out.push(`${t.name}: ${JSON.stringify(info)}, expected BF16`);
                continue;
            }
            const data = bytes.subarray(8 + headerSize + info.data_offsets[0], 8 + headerSize + info.data_offsets[1]);
            const want = Buffer.from(Uint16Array.from(t.bits).buffer);
            if (!data.equals(want)) out.push(`${t.name}: bytes ${data.toString('hex')}, expected ${want.toString('hex')}`);
        }
        return out;
    });
    process.exit(report.finish());
}

main();
