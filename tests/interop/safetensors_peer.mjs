// safetensors files written by the C++ side, read by Hugging Face's own JS parser:
// parseSafetensorsMetadata of @huggingface/hub (npm, pinned in package-lock.json), the code the
// Hugging Face Hub uses to list a model's tensors. It reads the header only (names, dtypes, shapes,
// data_offsets, __metadata__, and a parameter count per dtype), so the tensors' bytes are then cut
// out of the file at the offsets *it* reports and compared with what went in. hub.js has no
// safetensors writer, so there is no JS → C++ direction here (the C++ reader is tested against
// files Python's torch writes, through the converters, in tests/cli).
//
// For every dtype we write, the test builds an input file (a small writer below: test scaffolding,
// not a peer), has the CLI convert it to a LegolasFlux .arrow row and back to .safetensors — so the
// file the peer reads is written by our writer from a model row — and checks it with the peer.
// BF16 comes back as F32 (documented in docs/cli.md: read exactly as Float32, written as F32).
//
// hub.js fetches files from a Hub repository over HTTP; it takes a `fetch` function, and the one
// given here serves the work directory's files (with HTTP range requests, as the Hub does) and
// refuses every other request, so nothing leaves the machine.
//
//   node safetensors_peer.mjs --cli build/tools/legolasflux/legolasflux --work /tmp/st-peer
import fs from 'node:fs';
import path from 'node:path';
import { parseSafetensorsMetadata } from '@huggingface/hub';
import { cli, Report } from './lib/common.mjs';

const HUB = 'http://hub.invalid';
const REPO = 'legolasflux/interop';

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

// A Hub that serves `dir`: GET with or without "Range: bytes=a-b", 404 EntryNotFound otherwise.
function localHub(dir) {
    return async (url, init = {}) => {
        const u = new URL(url);
        if (u.origin !== HUB) throw new Error(`unexpected request for ${url}`);
        const prefix = `/${REPO}/resolve/main/`;
        const file = u.pathname.startsWith(prefix) ? path.join(dir, decodeURIComponent(u.pathname.slice(prefix.length))) : null;
        if (!file || !fs.existsSync(file)) {
            return new Response(null, { status: 404, headers: { 'X-Error-Code': 'EntryNotFound' } });
        }
        const bytes = fs.readFileSync(file);
        const headers = { ETag: `"${bytes.length}-${fs.statSync(file).mtimeMs}"`, 'Content-Type': 'application/octet-stream' };
        const range = new Headers(init.headers).get('Range');
        if (!range) return new Response(bytes, { status: 200, headers });
        const m = /^bytes=(\d+)-(\d*)$/.exec(range);
        const start = Number(m[1]);
        const end = Math.min(m[2] === '' ? bytes.length - 1 : Number(m[2]), bytes.length - 1);
        headers['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`;
        return new Response(bytes.subarray(start, end + 1), { status: 206, headers });
    };
}

async function parseWithHub(dir, name) {
    return parseSafetensorsMetadata({ repo: REPO, path: name, hubUrl: HUB, fetch: localHub(dir), computeParametersCount: true });
}

// --- the inputs ---------------------------------------------------------------------------

const SIZES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

// Deterministic bytes for `count` elements of `dtype`, extremes included (raw bit patterns for the
// floats: NaN, -0 and infinities travel as they are).
function valuesOf(dtype, count, seed) {
    const size = SIZES[dtype];
    const out = Buffer.alloc(count * size);
    let x = Math.imul(seed, 2654435761) >>> 0;
    for (let i = 0; i < out.length; ++i) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        out[i] = x >>> 24;
    }
    if (dtype === 'BOOL') for (let i = 0; i < count; ++i) out[i] &= 1;
    if (dtype === 'F32' && count >= 3) {
        out.writeFloatLE(NaN, 0);
        out.writeFloatLE(-0, 4);
        out.writeFloatLE(-Infinity, 8);
    }
    if (dtype === 'I64' && count >= 2) {
        out.writeBigInt64LE(-(2n ** 63n), 0);
        out.writeBigInt64LE(2n ** 63n - 1n, 8);
    }
    return out;
}

// A safetensors file: header JSON padded with spaces to a multiple of 8, then the data in order.
function safetensorsBytes(tensors, metadata) {
    const header = { __metadata__: metadata };
    let offset = 0;
    for (const t of tensors) {
        header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
        offset += t.bytes.length;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (8 + Buffer.byteLength(json)) % 8) % 8);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    return Buffer.concat([size, Buffer.from(json), ...tensors.map((t) => t.bytes)]);
}

function inputTensors(dtype) {
    const shapes = [['layer.0.weight', [2, 3]], ['layer.0.bias', [3]], ['scale', []], ['blocks.\u00fc', [2, 1, 2]], ['empty', [0, 4]]];
    return shapes.map(([name, shape], k) => {
        const count = shape.reduce((a, b) => a * b, 1);
        return { name, dtype, shape, count, bytes: valuesOf(dtype, count, k + 1) };
    });
}

// What our writer must produce for an input tensor: BF16 widened to F32 (the upper half of a float32).
function expectedOutput(t) {
    if (t.dtype !== 'BF16') return { dtype: t.dtype, bytes: t.bytes };
    const out = Buffer.alloc(t.count * 4);
    for (let i = 0; i < t.count; ++i) out.writeUInt16LE(t.bytes.readUInt16LE(2 * i), 4 * i + 2);
    return { dtype: 'F32', bytes: out };
}

// --- the checks ---------------------------------------------------------------------------

function compareWithHub(parsed, file, tensors, metadata) {
    const out = [];
    if (parsed.sharded) return ['hub.js read the file as sharded'];
    const header = parsed.header;
    const names = Object.keys(header).filter((k) => k !== '__metadata__').sort();
    const wanted = tensors.map((t) => t.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(wanted)) out.push(`tensors ${JSON.stringify(names)}, expected ${JSON.stringify(wanted)}`);
    const bytes = fs.readFileSync(file);
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    const counts = {};
    for (const t of tensors) {
        const info = header[t.name];
        if (!info) continue;
        const want = expectedOutput(t);
        // hub.js leaves scalars (shape []) out of its parameter counts.
        if (t.shape.length) counts[want.dtype] = (counts[want.dtype] ?? 0) + t.count;
        if (info.dtype !== want.dtype) out.push(`${t.name}: dtype ${info.dtype}, expected ${want.dtype}`);
        if (JSON.stringify(info.shape) !== JSON.stringify(t.shape)) out.push(`${t.name}: shape ${JSON.stringify(info.shape)}, expected ${JSON.stringify(t.shape)}`);
        const [begin, end] = info.data_offsets;
        const got = bytes.subarray(dataStart + begin, dataStart + end);
        if (!got.equals(want.bytes)) out.push(`${t.name}: bytes at data_offsets [${begin}, ${end}] are ${got.toString('hex')}, expected ${want.bytes.toString('hex')}`);
    }
    const meta = header.__metadata__ ?? {};
    for (const [k, v] of Object.entries(metadata)) if (meta[k] !== v) out.push(`__metadata__.${k} is ${JSON.stringify(meta[k])}, expected ${JSON.stringify(v)}`);
    if (meta.legolas_schema_qualified !== 'legolas-flux.model@1') out.push(`__metadata__.legolas_schema_qualified is ${JSON.stringify(meta.legolas_schema_qualified)}`);
    if (JSON.stringify(parsed.parameterCount) !== JSON.stringify(counts)) out.push(`parameter count per dtype ${JSON.stringify(parsed.parameterCount)}, expected ${JSON.stringify(counts)}`);
    return out;
}

async function problemsOf(fn) {
    try {
        return (await fn()) || [];
    } catch (e) {
        return [String(e.message || e)];
    }
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('safetensors_peer');
    report.skip('hub.js writes, C++ reads', 'hub.js has no safetensors writer');
    report.note('BF16', 'our reader widens BF16 to Float32 exactly, so the file written back holds F32 (docs/cli.md)');
    const metadata = { format: 'pt', origin: 'interop test' };
    let sample = null;
    for (const dtype of Object.keys(SIZES)) {
        const tensors = inputTensors(dtype);
        const input = path.join(args.work, `in_${dtype}.safetensors`);
        const row = path.join(args.work, `${dtype}.arrow`);
        const name = `out_${dtype}.safetensors`;
        fs.writeFileSync(input, safetensorsBytes(tensors, metadata));
        const problems = await problemsOf(async () => {
            cli(args.cli, ['convert', input, row]);
            cli(args.cli, ['convert', row, path.join(args.work, name)]);
            return compareWithHub(await parseWithHub(args.work, name), path.join(args.work, name), tensors, metadata);
        });
        report.check(`${dtype}: C++ writes (via a model row), hub.js reads the same tensors`, () => problems);
        if (!problems.length) sample = name;
    }
    // The peer does parse: a file whose header is not JSON any more is refused by it.
    const refused = await problemsOf(async () => {
        if (!sample) return ['no file to break (every case failed)'];
        const bytes = fs.readFileSync(path.join(args.work, sample));
        bytes[8] = 'X'.charCodeAt(0);
        fs.writeFileSync(path.join(args.work, 'broken.safetensors'), bytes);
        try {
            await parseWithHub(args.work, 'broken.safetensors');
        } catch (e) {
            return /not valid JSON/.test(e.message) ? [] : [`refused, but for another reason: ${e.message}`];
        }
        return ['hub.js accepted a header that is not JSON'];
    });
    report.check('hub.js refuses a file whose header is broken', () => refused);
    process.exitCode = report.finish();
}

main().catch((e) => {
    console.log(`safetensors_peer: ${e.stack || e}`);
    process.exitCode = 1;
});
