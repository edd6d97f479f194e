// Direction JS -> C++: for every corpus file, apache-arrow JS reads the JSON and writes an Arrow file
// (RecordBatchFileWriter) and an Arrow stream (RecordBatchStreamWriter); the C++ CLI must accept
// each (`legolasflux arrow validate`) and print it as integration JSON (`legolasflux arrow json`)
// that means exactly what the corpus file means: same schema, same batches, same node lengths and
// null counts, same values (json_values.mjs decodes both documents the same way). Columns of types
// JS cannot hold are left out and listed.
//
// Compressed files written by JS are not valid Arrow IPC: its writer (ipc/writer.ts,
// _compressBodyBuffers) puts the *compressed* length in each buffer's 8-byte prefix, where the format
// (Message.fbs, BodyCompressionMethod.BUFFER) requires the uncompressed length. So the only compressed
// case checks that the C++ reader refuses such a file with an error naming the buffer, rather than
// reading garbage. (JS has no zstd encoder of its own either.)
//
//   node js_to_cpp.mjs --cli build/tools/legolasflux/legolasflux --corpus tests/arrow/corpus --work /tmp/x
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, cli, loadCorpus, Report, parseJson } from './lib/common.mjs';
import { arrow, keepSupportedColumns, readJsonWithJs, writeIpcWithJs } from './lib/peer.mjs';
import { JsonDecoder, canonicalSchema, columnShape } from './lib/json_values.mjs';
import { diff } from './lib/compare.mjs';

// apache-arrow JS keeps key-value metadata in a Map (schema.ts), so of duplicate keys it keeps one,
// at the first one's place with the last one's value; what it writes can only hold that.
function jsMetadata(pairs) {
    return [...new Map(pairs)];
}

function hasDuplicateKeys(pairs) {
    return new Set(pairs.map(([k]) => k)).size !== pairs.length;
}

// The canonical field as JS holds it; `notes` collects each way that differs from the document.
// Metadata: as jsMetadata. Maps: JS names a map's children "entries", "key" and "value" whatever
// they were called (Map_ constructor, type.ts); the format allows any names.
function asJsHoldsIt(field, notes) {
    if (hasDuplicateKeys(field.metadata)) notes.add('duplicate metadata keys kept once (JS holds metadata in a Map)');
    const children = field.children.map((c) => asJsHoldsIt(c, notes));
    if (field.type.name === 'map' && children[0]) {
        const names = [children[0].name, ...children[0].children.map((c) => c.name)].join('/');
        if (names !== 'entries/key/value') notes.add(`map children ${names} renamed entries/key/value (JS's Map_ type does that)`);
        children[0] = { ...children[0], name: 'entries', children: children[0].children.map((c, k) => ({ ...c, name: ['key', 'value'][k] ?? c.name })) };
    }
    return { ...field, metadata: jsMetadata(field.metadata), children };
}

// Every difference in meaning between the expected document and the one the C++ CLI printed.
function compareDocuments(expected, actual, notes) {
    const out = [];
    const expectedSchema = canonicalSchema(expected.schema);
    if (hasDuplicateKeys(expectedSchema.metadata)) notes.add('duplicate schema metadata keys kept once (JS holds metadata in a Map)');
    expectedSchema.metadata = jsMetadata(expectedSchema.metadata);
    expectedSchema.fields = expectedSchema.fields.map((f) => asJsHoldsIt(f, notes));
    diff(expectedSchema, canonicalSchema(actual.schema || {}), 'schema', out);
    if (out.length) return out;
    const eb = expected.batches || [];
    const ab = actual.batches || [];
    if (eb.length !== ab.length) return [`expected ${eb.length} record batches, C++ printed ${ab.length}`];
    const ed = new JsonDecoder(expected);
    const ad = new JsonDecoder(actual);
    const fields = expected.schema.fields;
    eb.forEach((e, b) => {
        const a = ab[b];
        if (e.count !== a.count) out.push(`batch ${b}: expected ${e.count} rows, got ${a.count}`);
        if ((a.columns || []).length !== fields.length) {
            out.push(`batch ${b}: expected ${fields.length} columns, got ${(a.columns || []).length}`);
            return;
        }
        fields.forEach((f, j) => {
            const at = `batch ${b} column ${JSON.stringify(f.name)}`;
            diff(columnShape(f, e.columns[j]), columnShape(f, a.columns[j]), `${at} [count, nulls, children]`, out);
            const af = actual.schema.fields[j];
            diff(ed.column(f, e.columns[j], at), ad.column(af, a.columns[j], at), at, out);
        });
    });
    return out;
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const report = new Report('js_to_cpp');
    for (const entry of loadCorpus(args.corpus, args.only)) {
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
        const notes = new Set();
        for (const format of ['file', 'stream']) {
            const out = path.join(args.work, `${entry.name}.js.${format === 'file' ? 'arrow' : 'arrows'}`);
            report.check(`${entry.name} [JS ${format}] read by C++`, () => {
                const { schema, batches } = readJsonWithJs(doc);
                fs.writeFileSync(out, writeIpcWithJs(batches, schema, format));
                cli(args.cli, ['arrow', 'validate', '--quiet', out]);
                const printed = cli(args.cli, ['arrow', 'json', out]);
                let actual;
                try {
                    actual = parseJson(printed);
                } catch (e) {
                    return [`legolasflux arrow json printed invalid JSON: ${e.message}`];
                }
                return compareDocuments(doc, actual, notes);
            });
        }
        for (const n of notes) report.note(entry.name, n);
        if (entry.bulk) {
            const out = path.join(args.work, `${entry.name}.js.lz4.arrow`);
            report.check(`${entry.name} [JS file, lz4, compressed length in the prefix] refused by C++`, () => {
                const { schema, batches } = readJsonWithJs(doc);
                fs.writeFileSync(out, writeIpcWithJs(batches, schema, 'file', arrow.CompressionType.LZ4_FRAME));
                try {
                    cli(args.cli, ['arrow', 'validate', '--quiet', out]);
                } catch (e) {
                    return /buffer/.test(e.message) ? [] : [`refused, but without naming the buffer: ${e.message}`];
                }
                return ['C++ accepted a file whose compressed buffers declare the wrong uncompressed length'];
            });
        }
    }
    process.exitCode = report.finish();
}

main();
