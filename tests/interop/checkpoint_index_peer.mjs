// A run directory's index, checkpoints.arrow, read by apache-arrow JS, which knows nothing of our
// code: the example program `checkpoints` trains and saves a run; JS must find a Legolas table of
// legolas-flux.checkpoint-index@1 whose columns have their documented Arrow types (committed_at a
// nanosecond UTC timestamp, the rows' metric columns with the rows' own types) and whose values are
// those `legolasflux checkpoints --json` reports, file sizes included.
//
//   node checkpoint_index_peer.mjs --example build/examples/checkpoints \
//        --cli build/tools/legolasflux/legolasflux --work /tmp/index-peer
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
            throw new Error(`usage: --example CHECKPOINTS --cli LEGOLASFLUX --work DIR (bad: ${argv[k]})`);
        }
        args[key] = argv[k + 1];
    }
    for (const k of ['example', 'cli', 'work']) if (!args[k]) throw new Error(`--${k} is required`);
    fs.rmSync(args.work, { recursive: true, force: true });
    fs.mkdirSync(args.work, { recursive: true });
    return args;
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('checkpoint index: apache-arrow JS reads checkpoints.arrow');
    const run = path.join(args.work, 'run');
    execFileSync(args.example, ['--dir', run, '--steps', '100', '--fresh'], { stdio: 'ignore' });
    const listed = JSON.parse(cli(args.cli, ['checkpoints', run, '--json']));
    const table = arrow.tableFromIPC(fs.readFileSync(path.join(run, 'checkpoints.arrow')));

    report.check('the schema: a Legolas table of legolas-flux.checkpoint-index@1', () => {
        const out = [];
        const qualified = table.schema.metadata.get('legolas_schema_qualified');
        if (qualified !== 'legolas-flux.checkpoint-index@1') out.push(`legolas_schema_qualified is ${qualified}`);
        const want = {
            step: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64 && t.isSigned,
            file: arrow.DataType.isUtf8,
            schema: arrow.DataType.isUtf8,
            committed_at: (t) => arrow.DataType.isTimestamp(t) && t.unit === arrow.TimeUnit.NANOSECOND && t.timezone === 'UTC',
            bytes: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64,
            checksum: arrow.DataType.isUtf8,
            kept_by: (t) => arrow.DataType.isList(t) && arrow.DataType.isUtf8(t.children[0].type),
            architecture_version: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64,
            epoch: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64,
            loss: (t) => arrow.DataType.isFloat(t) && t.precision === arrow.Precision.SINGLE,
        };
        const names = table.schema.fields.map((f) => f.name);
        if (JSON.stringify(names) !== JSON.stringify(Object.keys(want))) out.push(`columns ${names.join(', ')}`);
        for (const f of table.schema.fields) if (want[f.name] && !want[f.name](f.type)) out.push(`${f.name}: ${f.type}`);
        return out;
    });

    report.check('the rows: what `legolasflux checkpoints --json` lists, and the files as they are', () => {
        const out = [];
        if (table.numRows !== listed.checkpoints.length) out.push(`${table.numRows} rows, the CLI lists ${listed.checkpoints.length}`);
        if (table.numRows < 2) out.push('expected several kept steps');
        for (let i = 0; i < table.numRows; ++i) {
            const row = table.get(i);
            const c = listed.checkpoints[i] || {};
            const where = `row ${i}`;
            if (Number(row.step) !== c.step) out.push(`${where}: step ${row.step} vs ${c.step}`);
            if (row.file !== c.file) out.push(`${where}: file ${row.file} vs ${c.file}`);
            if (row.schema !== 'example.regression@1>legolas-flux.model@1') out.push(`${where}: schema ${row.schema}`);
            const size = fs.statSync(path.join(run, row.file)).size;
            if (Number(row.bytes) !== size || c.bytes !== size) out.push(`${where}: bytes ${row.bytes}, CLI ${c.bytes}, file ${size}`);
            if (row.checksum !== c.checksum || !/^[0-9a-f]{16}$/.test(row.checksum)) out.push(`${where}: checksum ${row.checksum} vs ${c.checksum}`);
            const keptBy = [...row.kept_by];
            if (JSON.stringify(keptBy) !== JSON.stringify(c.kept_by)) out.push(`${where}: kept_by ${keptBy} vs ${c.kept_by}`);
            if (Math.fround(row.loss) !== Math.fround(c.metrics?.loss)) out.push(`${where}: loss ${row.loss} vs ${c.metrics?.loss}`);
            if (Number(row.epoch) !== c.metrics?.epoch) out.push(`${where}: epoch ${row.epoch} vs ${c.metrics?.epoch}`);
            // committed_at: nanoseconds since the epoch; the CLI prints them as UTC text.
            const ns = BigInt(table.getChild('committed_at').data[0].values[i]);
            const text = new Date(Number(ns / 1000000n)).toISOString().slice(0, 19);
            if (!c.committed_at?.startsWith(text)) out.push(`${where}: committed_at ${text} vs ${c.committed_at}`);
        }
        const latest = Number(table.get(table.numRows - 1).step);
        if (latest !== listed.latest || latest !== 100) out.push(`latest ${latest}, CLI ${listed.latest}`);
        return out;
    });
    process.exit(report.finish());
}

main();
