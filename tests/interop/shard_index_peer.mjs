// A sharded checkpoint read by apache-arrow JS, which knows nothing of our code: the example
// program `sharded` saves a model with 3 rank processes; JS must find in index.arrow a Legolas
// table of legolas-flux.shard-index@1 with its documented Arrow types, and for every chunk, in the
// shard file the row names (itself a Legolas table, legolas-flux.shard@1), the chunk's values at the
// row's byte range, as the array the row names; and the chunks of each tensor must add up to it.
//
//   node shard_index_peer.mjs --example build/examples/sharded \
//        --cli build/tools/legolasflux/legolasflux --work /tmp/shard-peer
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as arrow from 'apache-arrow';
import { cli, Report } from './lib/common.mjs';

function parseArgs(argv) {
    const args = {};
    for (let k = 0; k < argv.length; k += 2) {
        const key = argv[k].replace(/^--/, '');
        if (!['example', 'cli', 'work'].includes(key) || argv[k + 1] === undefined) {
            throw new Error(`usage: --example SHARDED --cli LEGOLASFLUX --work DIR (bad: ${argv[k]})`);
        }
        args[key] = argv[k + 1];
    }
    for (const k of ['example', 'cli', 'work']) if (!args[k]) throw new Error(`--${k} is required`);
    fs.rmSync(args.work, { recursive: true, force: true });
    fs.mkdirSync(args.work, { recursive: true });
    return args;
}

const int64 = (t) => arrow.DataType.isInt(t) && t.bitWidth === 64 && t.isSigned;
const int64List = (t) => arrow.DataType.isList(t) && int64(t.children[0].type);

function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('shard index: apache-arrow JS reads a sharded checkpoint');
    const run = path.join(args.work, 'run');
    execFileSync(args.example, ['save', '--dir', run, '--world-size', '3', '--step', '7'], { stdio: 'ignore' });
    const step = path.join(run, 'step-0000000007.sharded');
    const index = arrow.tableFromIPC(fs.readFileSync(path.join(step, 'index.arrow')));
    const inspected = JSON.parse(cli(args.cli, ['inspect', step, '--json']));

    report.check('the index: a Legolas table of legolas-flux.shard-index@1 with the documented columns', () => {
        const out = [];
        const qualified = index.schema.metadata.get('legolas_schema_qualified');
        if (qualified !== 'legolas-flux.shard-index@1') out.push(`legolas_schema_qualified is ${qualified}`);
        const want = {
            tensor: arrow.DataType.isUtf8,
            element_type: arrow.DataType.isUtf8,
            global_shape: int64List,
            chunk_offset: int64List,
            chunk_shape: int64List,
            replicated: arrow.DataType.isBool,
            rank: int64,
            file: arrow.DataType.isUtf8,
            array_index: int64,
            byte_offset: int64,
            byte_length: int64,
            checksum: arrow.DataType.isUtf8,
        };
        const names = index.schema.fields.map((f) => f.name);
        if (JSON.stringify(names) !== JSON.stringify(Object.keys(want))) out.push(`columns ${names.join(', ')}`);
        for (const f of index.schema.fields) if (want[f.name] && !want[f.name](f.type)) out.push(`${f.name}: ${f.type}`);
        return out;
    });

    report.check('every chunk: its values at its byte range are the array it names in its shard file', () => {
        const out = [];
        const shards = new Map();
        for (let i = 0; i < index.numRows; ++i) {
            const row = index.get(i);
            const where = `row ${i} (${row.tensor})`;
            if (!shards.has(row.file)) {
                const bytes = fs.readFileSync(path.join(step, row.file));
                const table = arrow.tableFromIPC(bytes);
                const q = table.schema.metadata.get('legolas_schema_qualified');
                if (q !== 'legolas-flux.shard@1>legolas-flux.model@1') out.push(`${row.file}: schema ${q}`);
                shards.set(row.file, { bytes, table });
            }
            const { bytes, table } = shards.get(row.file);
            const arrays = table.get(0).weights.weights;
            const a = arrays.get(Number(row.array_index));
            const vec = a.vec.toArray();
            const size = [...a.size].map(Number);
            const shape = [...row.chunk_shape].map(Number).reverse();
            if (JSON.stringify(size) !== JSON.stringify(shape)) out.push(`${where}: size ${size} vs chunk shape reversed ${shape}`);
            const names = [...table.get(0).weight_names];
            if (names[Number(row.array_index)] !== row.tensor) out.push(`${where}: weight_names says ${names[Number(row.array_index)]}`);
            const start = Number(row.byte_offset), length = Number(row.byte_length);
            const range = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + length));
            if (range.length !== vec.length || range.some((v, k) => !Object.is(v, vec[k]))) out.push(`${where}: the byte range is not the array's values`);
            if (!/^[0-9a-f]{16}$/.test(row.checksum)) out.push(`${where}: checksum ${row.checksum}`);
        }
        if (shards.size !== 3) out.push(`${shards.size} shard files, expected 3`);
        return out;
    });

    report.check("each tensor's chunks add up to it, as `legolasflux inspect --json` lists them", () => {
        const out = [];
        const counts = new Map();
        for (let i = 0; i < index.numRows; ++i) {
            const row = index.get(i);
            const n = [...row.chunk_shape].reduce((p, d) => p * Number(d), 1);
            const c = counts.get(row.tensor) || { elements: 0, chunks: 0, total: [...row.global_shape].reduce((p, d) => p * Number(d), 1) };
            c.elements += n;
            c.chunks += 1;
            counts.set(row.tensor, c);
        }
        for (const [name, c] of counts) if (c.elements !== c.total) out.push(`${name}: chunks hold ${c.elements} of ${c.total}`);
        for (const t of inspected.tensors) if (counts.get(t.name)?.chunks !== t.chunks) out.push(`${t.name}: CLI lists ${t.chunks} chunks`);
        if (counts.size !== inspected.tensors.length || counts.size !== 10) out.push(`${counts.size} tensors`);
        return out;
    });
    process.exit(report.finish());
}

main();
