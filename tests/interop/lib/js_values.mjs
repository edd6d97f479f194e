// Canonical values (see json_values.mjs for the forms) of what apache-arrow JS holds in memory after
// reading a file, a stream or a JSON document. Values come from JS's own getters where those are
// exact; integer-valued 64-bit types (timestamps, durations, date64) come from the values buffer,
// because JS's getters convert them to lossy milliseconds.
import { DataType, Vector, Type, IntervalUnit, UnionMode } from 'apache-arrow';

const vectors = new WeakMap();
function get(data, i) {
    let v = vectors.get(data);
    if (!v) vectors.set(data, (v = new Vector([data])));
    return v.get(i);
}

function hex(bytes) {
    return 'hex:' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

// A decimal's unscaled integer: `words` little-endian 32-bit words in two's complement.
function decimalValue(words) {
    let v = 0n;
    for (let k = words.length - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[k] >>> 0);
    const bits = BigInt(32 * words.length);
    return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

// Whether slot i of `data` is valid. Unions and nulls have no validity of their own.
function isValid(data, i) {
    if (DataType.isNull(data.type) || DataType.isUnion(data.type)) return true;
    return data.getValid(i);
}

// The canonical value of slot i (0 <= i < data.length) of `data`.
export function valueAt(data, i) {
    const type = data.type;
    if (DataType.isNull(type)) return null;
    if (!isValid(data, i)) return null;
    switch (type.typeId) {
        case Type.Dictionary: {
            const index = BigInt(data.values[i]);
            const dict = data.dictionary;
            if (!dict) throw new Error('dictionary-encoded data without its dictionary');
            const n = Number(index);
            if (n < 0 || n >= dict.length) throw new Error(`dictionary index ${n} out of range ${dict.length}`);
            // The dictionary may be several chunks (deltas); find the one holding slot n.
            let k = n;
            for (const chunk of dict.data) {
                if (k < chunk.length) return { index, value: valueAt(chunk, k) };
                k -= chunk.length;
            }
            throw new Error('unreachable');
        }
        case Type.Bool: return get(data, i);
        case Type.Int: return BigInt(data.values[i]);
        case Type.Float: return get(data, i);
        case Type.Decimal: return decimalValue(data.values.subarray(data.stride * i, data.stride * (i + 1)));
        case Type.Date: case Type.Time: case Type.Timestamp: case Type.Duration:
            return BigInt(data.values[i]);
        case Type.Interval: {
            const w = data.values;
            if (type.unit === IntervalUnit.YEAR_MONTH) return BigInt(w[i]);
            if (type.unit === IntervalUnit.DAY_TIME) return [BigInt(w[2 * i]), BigInt(w[2 * i + 1])];
            // MONTH_DAY_NANO: int32 months, int32 days, int64 nanoseconds, as four int32 words.
            const nanos = (BigInt(w[4 * i + 3]) << 32n) | BigInt(w[4 * i + 2] >>> 0);
            return [BigInt(w[4 * i]), BigInt(w[4 * i + 1]), nanos];
        }
        case Type.Utf8: case Type.LargeUtf8: case Type.Utf8View:
            return get(data, i);
        case Type.Binary: case Type.LargeBinary: case Type.FixedSizeBinary: case Type.BinaryView:
            return hex(get(data, i));
        case Type.List: case Type.LargeList: case Type.Map: {
            const begin = Number(data.valueOffsets[i]);
            const end = Number(data.valueOffsets[i + 1]);
            return rangeOf(data.children[0], begin, end);
        }
        case Type.FixedSizeList:
            return rangeOf(data.children[0], i * type.listSize, (i + 1) * type.listSize);
        case Type.Struct:
            return data.children.map((child) => valueAt(child, i));
        case Type.Union: {
            const id = data.typeIds[i];
            const child = data.children[type.typeIdToChildIndex[id]];
            if (!child) throw new Error(`union type id ${id} names no child`);
            const k = type.mode === UnionMode.Dense ? Number(data.valueOffsets[i]) : i;
            return { union: id, value: valueAt(child, k) };
        }
    }
    throw new Error(`no canonical form for JS type ${type}`);
}

function rangeOf(child, begin, end) {
    if (begin < 0 || end < begin || end > child.length) throw new Error(`child range [${begin}, ${end}) outside ${child.length} slots`);
    const out = [];
    for (let k = begin; k < end; k++) out.push(valueAt(child, k));
    return out;
}

// Every slot of a column (a Vector, possibly of several chunks).
export function columnValues(vector) {
    const out = [];
    for (const data of vector.data) for (let i = 0; i < data.length; i++) out.push(valueAt(data, i));
    return out;
}

// The slot and null counts of every node, as a tree: [length, nullCount, [children...]].
export function dataShape(data) {
    return [data.length, DataType.isNull(data.type) ? 0 : data.nullCount, data.children.map(dataShape)];
}

// --- schemas --------------------------------------------------------------------------------

const typeParams = ['isSigned', 'bitWidth', 'precision', 'scale', 'unit', 'timezone', 'byteWidth', 'listSize', 'keysSorted', 'mode'];

export function describeType(type) {
    const t = { typeId: type.typeId, text: String(type) };
    for (const p of typeParams) if (type[p] !== undefined && type[p] !== null) t[p] = type[p];
    if (DataType.isUnion(type)) t.typeIds = Array.from(type.typeIds);
    if (DataType.isDictionary(type)) {
        t.id = type.id;
        t.isOrdered = type.isOrdered;
        t.indices = describeType(type.indices);
        t.dictionary = describeType(type.dictionary);
    }
    t.children = (type.children || []).map(describeField);
    return t;
}

// A field whose flatbuffer has no name reads as null in JS; the format's default is "" (Schema.fbs).
export function describeField(field) {
    return {
        name: field.name ?? '',
        nullable: field.nullable,
        metadata: [...(field.metadata || new Map())],
        type: describeType(field.type),
    };
}

export function describeSchema(schema) {
    return { fields: schema.fields.map(describeField), metadata: [...(schema.metadata || new Map())] };
}
