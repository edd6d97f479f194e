// Direction C++ -> JS: for every corpus file, the C++ CLI (`legolasflux arrow from-json`) writes an
// Arrow file and an Arrow stream, uncompressed, LZ4-frame and zstd compressed; apache-arrow JS reads
// each one, and every schema, batch, node length, null count and value must equal what JS itself
// reads from the same corpus JSON, and what the corpus JSON means (json_values.mjs, a decoder that
// does not go through JS). Columns of types JS cannot hold are left out and listed. A generated
// bulk document (lib/bulk.mjs) makes sure compressed buffers are really decompressed by JS.
//
//   node cpp_to_js.mjs --cli build/tools/legolasflux/legolasflux --corpus tests/arrow/corpus --work /tmp/x
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, cli, loadCorpus, Report, stringifyJson } from './lib/common.mjs';
import { largeBufferDocument } from './lib/bulk.mjs';
import { keepSupportedColumns, readJsonWithJs, readIpcWithJs, decodeCalls } from './lib/peer.mjs';
import { columnValues, dataShape, describeSchema } from './lib/js_values.mjs';
import { JsonDecoder } from './lib/json_values.mjs';
import { diff } from './lib/compare.mjs';

const VARIANTS = [
    { format: 'file', compression: 'none' },
    { format: 'stream', compression: 'none' },
    { format: 'file', compression: 'lz4' },
    { format: 'stream', compression: 'lz4' },
    { format: 'file', compression: 'zstd' },
    { format: 'stream', compression: 'zstd' },
];

// Every difference between two JS readings ({schema, batches}) and the corpus's own meaning.
function compareReadings(expected, actual, meaning) {
    const out = [];
    diff(describeSchema(expected.schema), describeSchema(actual.schema), 'schema', out);
    if (expected.batches.length !== actual.batches.length) {
        out.push(`expected ${expected.batches.length} record batches, JS read ${actual.batches.length}`);
        return out;
    }
    expected.batches.forEach((eb, b) => {
        const ab = actual.batches[b];
        if (eb.numRows !== ab.numRows) out.push(`batch ${b}: expected ${eb.numRows} rows, got ${ab.numRows}`);
        expected.schema.fields.forEach((f, j) => {
            const at = `batch ${b} column ${JSON.stringify(f.name)}`;
            const ed = eb.data.children[j];
            const ad = ab.data.children[j];
            if (!ad) {
                out.push(`${at}: missing`);
                return;
            }
            diff(dataShape(ed), dataShape(ad), `${at} [length, nulls, children]`, out);
            const ev = columnValues(eb.getChildAt(j));
            const av = columnValues(ab.getChildAt(j));
            diff(ev, av, `${at} (vs JS's reading of the JSON)`, out);
            diff(meaning[b][j], av, `${at} (vs the JSON's meaning)`, out);
        });
    });
    return out;
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('cpp_to_js');
    // A buffer large enough for our writer's parallel shapes (LZ4 independent blocks, a sequence of
    // Zstandard frames): only this direction reads what our writer makes of it.
    const large = { name: 'generated-large-buffer.json', file: null, doc: largeBufferDocument(), bulk: true };
    const entries = loadCorpus(args.corpus, args.only);
    if (!args.only || large.name.includes(args.only)) entries.push(large);
    for (const entry of entries) {
        if (entry.error) {
            report.check(entry.name, () => [entry.error]);
            continue;
        }
        const { doc, skipped } = keepSupportedColumns(entry.doc);
        for (const s of skipped) report.skip(`${entry.name} column ${JSON.stringify(s.column)}`, s.reason);
        if (!doc.schema.fields.length) {
            report.skip(entry.name, 'no column JS can hold');
            continue;
        }
        // What the document means, once: through JS's JSON loader, and through our own decoder.
        let expected;
        let meaning;
        const prepared = [];
        report.check(`${entry.name}: JS and the corpus decoder agree on the JSON`, () => {
            expected = readJsonWithJs(doc);
            const decoder = new JsonDecoder(doc);
            meaning = doc.batches.map((b, bi) =>
                doc.schema.fields.map((f, j) => decoder.column(f, b.columns[j], `batch ${bi} ${f.name}`)));
            const out = [];
            expected.batches.forEach((eb, b) => expected.schema.fields.forEach((f, j) =>
                diff(meaning[b][j], columnValues(eb.getChildAt(j)), `batch ${b} column ${JSON.stringify(f.name)}`, out)));
            prepared.push(true);
            return out;
        });
        if (!prepared.length) continue;
        // The C++ side reads the corpus file itself, or the reduced document when columns were left
        // out, so what it writes holds exactly the columns compared.
        let json = entry.file;
        if (skipped.length || !json) {
            json = path.join(args.work, entry.name);
            fs.writeFileSync(json, stringifyJson(doc));
        }
        for (const v of VARIANTS) {
            const out = path.join(args.work, `${entry.name}.${v.compression}.${v.format === 'file' ? 'arrow' : 'arrows'}`);
            report.check(`${entry.name} [C++ ${v.format}, ${v.compression}] read by JS`, () => {
                const flags = ['--compression', v.compression, ...(v.format === 'stream' ? ['--stream'] : [])];
                cli(args.cli, ['arrow', 'from-json', json, out, ...flags]);
                const before = decodeCalls[v.compression];
                const actual = readIpcWithJs(fs.readFileSync(out), v.format);
                const problems = compareReadings(expected, actual, meaning);
                // The bulk document's buffers compress well: a writer that stored them all raw (or
                // a file JS read without its codec) would not be testing compression at all.
                if (entry.bulk && v.compression !== 'none' && decodeCalls[v.compression] === before) {
                    problems.push(`JS decompressed no ${v.compression} buffer: the C++ writer did not compress`);
                }
                return problems;
            });
        }
    }
    process.exitCode = report.finish();
}

main();
