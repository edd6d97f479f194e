// apache-arrow JS as a test peer: its codecs, the types it cannot represent, and corrections for
// the places where its integration-JSON loader (not its IPC reader or writer) mis-reads a document,
// so that what JS holds in memory is exactly what the document means.
import * as arrow from 'apache-arrow';
import lz4 from 'lz4js';
import * as fzstd from 'fzstd';
import { roundToFloat16 } from './json_values.mjs';

// JS reads compressed bodies only through codecs the user registers. lz4js (LZ4 frame, both ways)
// and fzstd (zstd, decompression only) are independent pure-JS implementations.
// decodeCalls counts buffers JS decompressed, so a test can tell compression was really exercised.
export const decodeCalls = { lz4: 0, zstd: 0 };
arrow.compressionRegistry.set(arrow.CompressionType.LZ4_FRAME, {
    encode: (data) => Uint8Array.from(lz4.compress(data)),
    decode: (data) => (decodeCalls.lz4++, Uint8Array.from(lz4.decompress(data))),
});
// Copies, because JS views a decompressed buffer as BigInt64Array/Float64Array in place, which needs
// an 8-aligned byteOffset, and fzstd may return a view into a larger buffer.
arrow.compressionRegistry.set(arrow.CompressionType.ZSTD, {
    decode: (data) => (decodeCalls.zstd++, fzstd.decompress(data).slice()),
});

export { arrow };

// Types apache-arrow 21.2.0 has no class for (ipc/metadata/json.ts and the flatbuffer reader throw
// "Unrecognized type"); a column holding one anywhere is left out, and the report says so.
export const UNSUPPORTED_TYPES = new Map([
    ['listview', 'apache-arrow JS 21.2.0 has no ListView type'],
    ['largelistview', 'apache-arrow JS 21.2.0 has no LargeListView type'],
    ['runendencoded', 'apache-arrow JS 21.2.0 has no RunEndEncoded type'],
]);

// Why JS cannot hold this field (or something inside it), or null when it can.
export function unsupportedReason(field) {
    const why = UNSUPPORTED_TYPES.get(field.type?.name);
    if (why) return why;
    for (const child of field.children || []) {
        const w = unsupportedReason(child);
        if (w) return w;
    }
    return null;
}

function dictionaryIds(field, ids = new Set()) {
    if (field.dictionary) ids.add(field.dictionary.id);
    (field.children || []).forEach((c) => dictionaryIds(c, ids));
    return ids;
}

// The document without the columns JS cannot hold (and without the dictionaries only they used).
// Returns { doc, skipped: [{ column, reason }] }.
export function keepSupportedColumns(doc) {
    const fields = doc.schema.fields || [];
    const keep = [];
    const skipped = [];
    fields.forEach((f, j) => {
        const why = unsupportedReason(f);
        if (why) skipped.push({ column: f.name, reason: why });
        else keep.push(j);
    });
    if (!skipped.length) return { doc, skipped };
    const used = new Set();
    keep.forEach((j) => dictionaryIds(fields[j], used));
    return {
        skipped,
        doc: {
            ...doc,
            schema: { ...doc.schema, fields: keep.map((j) => fields[j]) },
            batches: (doc.batches || []).map((b) => ({ ...b, columns: keep.map((j) => b.columns[j]) })),
            dictionaries: (doc.dictionaries || []).filter((d) => used.has(d.id)),
        },
    };
}

// --- corrections for JS's JSON loader ---------------------------------------------------------
// JSONVectorLoader (visitor/vectorloader.ts) takes one JSON array per buffer in order, and reads a
// validity buffer for every type that has one, so a column that leaves out VALIDITY (allowed: it
// means "no nulls") shifts every later buffer. We spell such validity out as all ones.
// JSONVectorLoader.readData (visitor/vectorloader.ts) stores a Float16 column's JSON numbers with
// `+x` into a Uint16Array (so 1.5 becomes the bit pattern 1); we give it the IEEE half bit patterns.
// It parses every Decimal value as one 128-bit integer whatever the bitWidth, with a parser
// (util/int.ts, Int128.fromString) that gets some large values wrong (the low half of decimal.json's
// d256 minimum, for one); we give it a buffer of the right size, then overwrite its words with the
// exact ones (patchDecimals). JS's IPC reader and writer handle both types right.
// (JS's own util.float64ToUint16 is no help: it turns values below 2^-14 into garbage such as
// -Infinity; float16Bits is exact for every half and rounds to nearest, ties to even.)

// The IEEE 754 half-precision bit pattern of x (rounded to the nearest half, ties to even).
export function float16Bits(x) {
    const h = roundToFloat16(x);
    const sign = h < 0 || Object.is(h, -0) ? 0x8000 : 0;
    const a = Math.abs(h);
    if (Number.isNaN(h)) return 0x7e00;
    if (a === Infinity) return sign | 0x7c00;
    if (a === 0) return sign;
    if (a < 2 ** -14) return sign | (a / 2 ** -24);  // subnormal: a multiple of 2^-24
    const e = Math.floor(Math.log2(a));
    return sign | ((e + 15) << 10) | (a / 2 ** e * 1024 - 1024);
}

const MASK32 = (1n << 32n) - 1n;

// The 32-bit words (little-endian, two's complement) of v in `bits` bits.
function words(v, bits) {
    const u = BigInt.asUintN(bits, v);
    return Array.from({ length: bits / 32 }, (_, k) => (u >> BigInt(32 * k)) & MASK32);
}

function fixColumn(field, column) {
    if (!column) return column;
    let out = column;
    const t = field.type || {};
    if (column.VALIDITY === undefined && t.name !== 'null' && t.name !== 'union' && Number.isInteger(column.count)) {
        out = { ...out, VALIDITY: new Array(column.count).fill(1) };
    }
    if (!field.dictionary && Array.isArray(column.DATA)) {
        if (t.name === 'floatingpoint' && t.precision === 'HALF') {
            out = { ...out, DATA: column.DATA.map((x) => float16Bits(Number(x))) };
        } else if (t.name === 'floatingpoint') {
            out = { ...out, DATA: column.DATA.map((x) => (typeof x === 'bigint' ? Number(x) : x)) };
        } else if (t.name === 'decimal' && (t.bitWidth ?? 128) !== 128) {
            // Zeros: patchDecimals writes the words; this only sizes the buffer.
            out = { ...out, DATA: new Array(Math.ceil(column.DATA.length * t.bitWidth / 128)).fill('0') };
        }
    }
    if (Array.isArray(column.children)) {
        out = { ...out, children: column.children.map((c, j) => fixColumn((field.children || [])[j] || {}, c)) };
    }
    return out;
}

// The document as JS's JSON loader must be given it to hold exactly the values the document means.
export function forJsJsonLoader(doc) {
    const fields = doc.schema.fields || [];
    const byId = new Map();
    const visit = (f) => {
        if (f.dictionary) byId.set(f.dictionary.id, { ...f, dictionary: undefined });
        (f.children || []).forEach(visit);
    };
    fields.forEach(visit);
    return {
        ...doc,
        batches: (doc.batches || []).map((b) => ({ ...b, columns: b.columns.map((c, j) => fixColumn(fields[j], c)) })),
        dictionaries: (doc.dictionaries || []).map((d) => ({
            ...d,
            data: { ...d.data, columns: d.data.columns.map((c) => fixColumn(byId.get(d.id) || {}, c)) },
        })),
    };
}

// Writes the exact words of every decimal slot of `column` over those JS's loader parsed.
// Dictionary values are not patched (the corpus has no decimal dictionary); one would show up as a
// failed "JS and the corpus decoder agree" case, never pass unseen.
function patchDecimals(data, field, column) {
    if (!column || field.dictionary) return;
    const t = field.type;
    if (t.name === 'decimal') {
        const w = column.DATA.flatMap((x) => words(BigInt(x), t.bitWidth ?? 128));
        if (data.values.length < w.length) throw new Error(`decimal column ${field.name}: JS holds ${data.values.length} words, needs ${w.length}`);
        data.values.set(w.map(Number));
    }
    (field.children || []).forEach((f, k) => patchDecimals(data.children[k], f, (column.children || [])[k]));
}

// JS's readers yield one empty placeholder batch (recordbatch.ts, _InternalEmptyPlaceholderRecordBatch)
// for a file or stream that has none; it is not a batch of the data.
function realBatches(batches) {
    return batches.filter((b) => b.constructor.name !== '_InternalEmptyPlaceholderRecordBatch');
}

// Reads an integration JSON document with JS: { schema, batches }.
export function readJsonWithJs(doc) {
    const reader = arrow.RecordBatchReader.from(forJsJsonLoader(doc)).open();
    const schema = reader.schema;
    const batches = realBatches(reader.readAll());
    (doc.batches || []).forEach((b, i) => {
        if (!batches[i]) return;
        doc.schema.fields.forEach((f, j) => patchDecimals(batches[i].data.children[j], f, b.columns[j]));
    });
    return { schema, batches };
}

// Reads an Arrow file or stream with JS; `format` ('file' or 'stream') is what the bytes must be.
export function readIpcWithJs(bytes, format) {
    const reader = arrow.RecordBatchReader.from(bytes).open();
    const schema = reader.schema;
    const isFile = reader.isFile();
    if (isFile !== (format === 'file')) {
        throw new Error(`JS took the ${format} for ${isFile ? 'a file' : 'a stream'}`);
    }
    return { schema, batches: realBatches(reader.readAll()) };
}

// Writes batches with JS as an Arrow file or stream, optionally compressed (a CompressionType).
export function writeIpcWithJs(batches, schema, format, compressionType = null) {
    const Writer = format === 'file' ? arrow.RecordBatchFileWriter : arrow.RecordBatchStreamWriter;
    const writer = new Writer(compressionType === null ? undefined : { compressionType });
    writer.reset(undefined, schema);
    for (const b of batches) writer.write(b);
    writer.finish();
    return writer.toUint8Array(true);
}
