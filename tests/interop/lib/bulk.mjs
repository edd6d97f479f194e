// A generated integration JSON document large and repetitive enough that LZ4 and zstd actually
// shrink its buffers: the corpus files are so small that a writer stores most of their buffers
// uncompressed (length prefix -1), which would leave decompression barely exercised.

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

function column(name, count, extra) {
    return { name, count, ...extra };
}

function validityOf(values) {
    return values.map((v) => (v === null ? 0 : 1));
}

function offsetsOf(lengths) {
    const out = [0];
    for (const n of lengths) out.push(out[out.length - 1] + n);
    return out;
}

function utf8Len(s) {
    return new TextEncoder().encode(s).length;
}

function batch(rows, start) {
    const idx = Array.from({ length: rows }, (_, i) => start + i);
    const ints = idx.map((i) => (i % 7 === 3 ? null : BigInt(i % 1000) * 1000000007n - 5n));
    const strs = idx.map((i) => (i % 11 === 5 ? null : `${WORDS[i % WORDS.length]}-${i % 13}`));
    const floats = idx.map((i) => (i % 9 === 1 ? null : (i % 50) * 0.25 - 3));
    const listLens = idx.map((i) => i % 4);
    const listValues = idx.flatMap((i) => Array.from({ length: i % 4 }, (_, k) => (i + k) % 100));
    const dictIdx = idx.map((i) => (i % 17 === 0 ? null : i % WORDS.length));
    const ts = idx.map((i) => 1700000000000000000n + BigInt(i) * 1000n);
    const bools = idx.map((i) => (i % 5 === 0 ? null : i % 3 === 0));
    const strData = strs.map((s) => s ?? '');
    return {
        count: rows,
        columns: [
            column('i64', rows, { VALIDITY: validityOf(ints), DATA: ints.map((v) => String(v ?? 0n)) }),
            column('s', rows, { VALIDITY: validityOf(strs), OFFSET: offsetsOf(strData.map(utf8Len)), DATA: strData }),
            column('f64', rows, { VALIDITY: validityOf(floats), DATA: floats.map((v) => v ?? 0) }),
            column('l', rows, {
                VALIDITY: listLens.map(() => 1),
                OFFSET: offsetsOf(listLens),
                children: [column('item', listValues.length, { VALIDITY: listValues.map(() => 1), DATA: listValues })],
            }),
            column('st', rows, {
                VALIDITY: idx.map((i) => (i % 19 === 0 ? 0 : 1)),
                children: [
                    column('x', rows, { VALIDITY: idx.map(() => 1), DATA: idx.map((i) => i % 256 - 128) }),
                    column('b', rows, { VALIDITY: validityOf(bools), DATA: bools.map((v) => v ?? false) }),
                ],
            }),
            column('dict', rows, { VALIDITY: validityOf(dictIdx), DATA: dictIdx.map((v) => v ?? 0) }),
            column('ts', rows, { VALIDITY: ts.map(() => 1), DATA: ts.map(String) }),
        ],
    };
}

export function bulkDocument(rowsPerBatch = 3000, batches = 2) {
    const f = (name, type, children = [], extra = {}) => ({ name, nullable: true, type, children, ...extra });
    return {
        schema: {
            fields: [
                f('i64', { name: 'int', bitWidth: 64, isSigned: true }),
                f('s', { name: 'utf8' }),
                f('f64', { name: 'floatingpoint', precision: 'DOUBLE' }),
                f('l', { name: 'list' }, [f('item', { name: 'int', bitWidth: 32, isSigned: true })]),
                f('st', { name: 'struct' }, [f('x', { name: 'int', bitWidth: 8, isSigned: true }), f('b', { name: 'bool' })]),
                f('dict', { name: 'utf8' }, [], { dictionary: { id: 0, indexType: { name: 'int', bitWidth: 16, isSigned: true }, isOrdered: false } }),
                f('ts', { name: 'timestamp', unit: 'NANOSECOND', timezone: 'Europe/Paris' }),
            ],
        },
        dictionaries: [{
            id: 0,
            data: {
                count: WORDS.length,
                columns: [column('DICT0', WORDS.length, { VALIDITY: WORDS.map(() => 1), OFFSET: offsetsOf(WORDS.map(utf8Len)), DATA: WORDS })],
            },
        }],
        batches: Array.from({ length: batches }, (_, b) => batch(rowsPerBatch, b * rowsPerBatch)),
    };
}

// One int32 column of 2.2 million values (8.8 MB, over the 8 MiB from which our writer splits a
// buffer into independent LZ4 blocks or Zstandard frames for parallel decoding): JS must read those
// shapes as one buffer too.
export function largeBufferDocument(rows = 2200000) {
    const values = Array.from({ length: rows }, (_, i) => (i % 977) - 488);
    return {
        schema: { fields: [{ name: 'v', nullable: false, type: { name: 'int', bitWidth: 32, isSigned: true }, children: [] }] },
        batches: [{ count: rows, columns: [column('v', rows, { VALIDITY: values.map(() => 1), DATA: values })] }],
    };
}
