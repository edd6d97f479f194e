// Decodes Arrow integration JSON into canonical values, independently of any Arrow library, so two
// integration JSON documents (the corpus file and what the C++ code prints for a file JS wrote) can
// be compared by meaning rather than by text.
//
// Canonical values (shared with js_values.mjs):
//   null                      a null slot
//   boolean                   Bool
//   bigint                    every integer-valued type: Int, Date, Time, Timestamp, Duration,
//                             Interval[YEAR_MONTH], Decimal (the unscaled integer), dictionary index
//   number                    Float16/32/64, rounded to the column's precision; compared with Object.is
//   string                    Utf8, LargeUtf8, Utf8View
//   'hex:<UPPERCASE HEX>'     Binary, LargeBinary, FixedSizeBinary, BinaryView
//   [bigint, bigint]          Interval[DAY_TIME] (days, milliseconds)
//   [bigint, bigint, bigint]  Interval[MONTH_DAY_NANO] (months, days, nanoseconds)
//   [...]                     List, LargeList, FixedSizeList, ListView, LargeListView, Map (a list
//                             of [key, value] entries), Struct (children by position)
//   {union: id, value}        Union: the slot's type id and the child's value
//   {index, value}            dictionary-encoded slot: the index and the dictionary value it names
// Run-end encoded arrays decode to their logical (expanded) values.

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export class JsonFormatError extends Error {}

function fail(path, message) {
    throw new JsonFormatError(`${path}: ${message}`);
}

// Float16 rounding: the nearest half-precision value, ties to even, as a double.
export function roundToFloat16(x) {
    if (!Number.isFinite(x) || x === 0) return x;
    const sign = x < 0 ? -1 : 1;
    const a = Math.abs(x);
    if (a >= 65520) return sign * Infinity;  // beyond the largest half (65504) plus half an ulp
    // Subnormal halves are multiples of 2^-24; normal ones have 11 significant bits.
    const exp = Math.max(Math.floor(Math.log2(a)), -14);
    const ulp = 2 ** (exp - 10);
    let q = a / ulp;
    const f = Math.floor(q);
    const r = q - f;
    q = r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
    return sign * q * ulp;
}

export function roundFloat(precision, x) {
    switch (precision) {
        case 'HALF': return roundToFloat16(x);
        case 'SINGLE': return Math.fround(x);
        case 'DOUBLE': return x;
    }
    throw new JsonFormatError(`unknown floating point precision ${precision}`);
}

function toBigInt(v, path) {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) fail(path, `integer ${v} is not exact in JSON; expected a string`);
        return BigInt(v);
    }
    if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v);
    fail(path, `expected an integer, got ${JSON.stringify(v)}`);
}

function toNumber(v, path) {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);  // an integral float written without a '.'
    // Some writers spell non-finite floats as strings.
    if (v === 'NaN') return NaN;
    if (v === 'Infinity' || v === 'inf') return Infinity;
    if (v === '-Infinity' || v === '-inf') return -Infinity;
    fail(path, `expected a number, got ${JSON.stringify(v)}`);
}

function hexToBytes(hex, path) {
    if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
        fail(path, `expected a hex string, got ${JSON.stringify(hex)}`);
    }
    return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function bytesToHex(bytes) {
    return 'hex:' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

function utf8Decode(bytes, path) {
    try {
        return textDecoder.decode(bytes);
    } catch {
        fail(path, 'invalid UTF-8');
    }
}

function need(column, key, path) {
    const v = column[key];
    if (!Array.isArray(v)) fail(path, `missing ${key} array`);
    return v;
}

// A stateful decoder for one document: it knows the document's dictionaries (by id).
export class JsonDecoder {
    // `doc` is the parsed integration JSON; dictionaries are decoded lazily, by id.
    constructor(doc) {
        this.doc = doc;
        this.dictionaryFields = new Map();  // id -> the schema field whose values the dictionary holds
        const visit = (field) => {
            if (field.dictionary) this.dictionaryFields.set(field.dictionary.id, field);
            (field.children || []).forEach(visit);
        };
        (doc.schema?.fields || []).forEach(visit);
        this.dictionaryValues = new Map();
    }

    // The values of dictionary `id`: its batches in order, a delta appending, any other replacing.
    dictionary(id, path) {
        if (this.dictionaryValues.has(id)) return this.dictionaryValues.get(id);
        const field = this.dictionaryFields.get(id);
        if (!field) fail(path, `no field uses dictionary ${id}`);
        const valueField = { ...field, dictionary: undefined };
        let values = null;
        for (const [n, batch] of (this.doc.dictionaries || []).entries()) {
            if (batch.id !== id) continue;
            const columns = batch.data?.columns;
            if (!Array.isArray(columns) || columns.length !== 1) fail(`dictionaries[${n}]`, 'expected one column');
            const decoded = this.column(valueField, columns[0], `dictionaries[${n}](id ${id})`);
            values = batch.isDelta && values ? values.concat(decoded) : decoded;
        }
        if (!values) fail(path, `dictionary ${id} has no dictionary batch`);
        this.dictionaryValues.set(id, values);
        return values;
    }

    // Every slot of `column` (the JSON column for schema field `field`), as canonical values.
    column(field, column, path) {
        const n = column.count;
        if (!Number.isInteger(n) || n < 0) fail(path, `bad count ${JSON.stringify(column.count)}`);
        return Array.from({ length: n }, (_, i) => this.value(field, column, i, path));
    }

    value(field, column, i, path) {
        const at = `${path}[${i}]`;
        const type = field.type;
        const name = type.name;
        if (name === 'null') return null;
        if (name !== 'union' && name !== 'runendencoded' && Array.isArray(column.VALIDITY)) {
            const bit = column.VALIDITY[i];
            if (bit !== 0 && bit !== 1) fail(at, `VALIDITY entry ${JSON.stringify(bit)}`);
            if (bit === 0) return null;
        }
        if (field.dictionary) {
            const index = toBigInt(need(column, 'DATA', at)[i], at);
            const values = this.dictionary(field.dictionary.id, at);
            if (index < 0n || index >= BigInt(values.length)) fail(at, `dictionary index ${index} out of range`);
            return { index, value: values[Number(index)] };
        }
        const data = () => {
            const d = need(column, 'DATA', at);
            if (i >= d.length) fail(at, 'DATA too short');
            return d[i];
        };
        const children = () => {
            const c = column.children;
            const fields = field.children || [];
            if (!Array.isArray(c) || c.length !== fields.length) fail(at, 'children do not match the field');
            return c;
        };
        switch (name) {
            case 'bool': {
                const v = data();
                if (typeof v !== 'boolean' && v !== 0 && v !== 1) fail(at, `bool ${JSON.stringify(v)}`);
                return Boolean(v);
            }
            case 'int': case 'date': case 'time': case 'timestamp': case 'duration': case 'decimal':
                return toBigInt(data(), at);
            case 'floatingpoint':
                return roundFloat(type.precision, toNumber(data(), at));
            case 'interval': {
                const v = data();
                if (type.unit === 'YEAR_MONTH') return toBigInt(v, at);
                if (type.unit === 'DAY_TIME') return [toBigInt(v.days, at), toBigInt(v.milliseconds, at)];
                if (type.unit === 'MONTH_DAY_NANO') {
                    return [toBigInt(v.months, at), toBigInt(v.days, at), toBigInt(v.nanoseconds, at)];
                }
                fail(at, `interval unit ${type.unit}`);
                break;
            }
            case 'binary': case 'largebinary': case 'fixedsizebinary': {
                const bytes = hexToBytes(data(), at);
                if (name !== 'fixedsizebinary') this.checkOffsets(column, i, bytes.length, at);
                if (name === 'fixedsizebinary' && bytes.length !== type.byteWidth) fail(at, `${bytes.length} bytes, byteWidth ${type.byteWidth}`);
                return bytesToHex(bytes);
            }
            case 'utf8': case 'largeutf8': {
                const v = data();
                if (typeof v !== 'string') fail(at, `string ${JSON.stringify(v)}`);
                this.checkOffsets(column, i, new TextEncoder().encode(v).length, at);
                return v;
            }
            case 'utf8view': case 'binaryview':
                return this.view(name, column, i, at);
            case 'list': case 'largelist': case 'map': {
                const off = need(column, 'OFFSET', at);
                return this.range(field, children()[0], toBigInt(off[i], at), toBigInt(off[i + 1], at), at);
            }
            case 'listview': case 'largelistview': {
                const start = toBigInt(need(column, 'OFFSET', at)[i], at);
                const size = toBigInt(need(column, 'SIZE', at)[i], at);
                return this.range(field, children()[0], start, start + size, at);
            }
            case 'fixedsizelist': {
                const k = BigInt(type.listSize);
                return this.range(field, children()[0], BigInt(i) * k, BigInt(i + 1) * k, at);
            }
            case 'struct': case 'struct_':
                return children().map((c, j) => this.value(field.children[j], c, i, `${at}.${field.children[j].name}`));
            case 'union': {
                const id = Number(toBigInt(need(column, 'TYPE_ID', at)[i], at));
                const ids = type.typeIds || field.children.map((_, j) => j);
                const j = ids.indexOf(id);
                if (j < 0) fail(at, `type id ${id} is not one of ${ids}`);
                const k = type.mode.toUpperCase() === 'DENSE' ? Number(toBigInt(need(column, 'OFFSET', at)[i], at)) : i;
                const child = children()[j];
                if (k < 0 || k >= child.count) fail(at, `union child offset ${k} out of range`);
                return { union: id, value: this.value(field.children[j], child, k, `${at}.${field.children[j].name}`) };
            }
            case 'runendencoded': {
                const [runEnds, values] = children();
                const ends = need(runEnds, 'DATA', at).map((e) => toBigInt(e, at));
                const j = ends.findIndex((e) => e > BigInt(i));
                if (j < 0) fail(at, 'slot beyond the last run end');
                return this.value(field.children[1], values, j, `${at}.values`);
            }
        }
        fail(at, `unknown type ${JSON.stringify(name)}`);
    }

    // DATA holds each slot's bytes; OFFSET must agree with their lengths.
    checkOffsets(column, i, size, at) {
        const off = need(column, 'OFFSET', at);
        const length = toBigInt(off[i + 1], at) - toBigInt(off[i], at);
        if (length !== BigInt(size)) fail(at, `OFFSET says ${length} bytes, DATA holds ${size}`);
    }

    range(field, childColumn, begin, end, at) {
        if (begin < 0n || end < begin || end > BigInt(childColumn.count)) fail(at, `child range [${begin}, ${end}) out of bounds`);
        const out = [];
        for (let k = Number(begin); k < Number(end); k++) out.push(this.value(field.children[0], childColumn, k, `${at}.${field.children[0].name}`));
        return out;
    }

    view(name, column, i, at) {
        const v = need(column, 'VIEWS', at)[i];
        const size = v?.SIZE;
        if (!Number.isInteger(size) || size < 0) fail(at, `view SIZE ${JSON.stringify(size)}`);
        let bytes;
        if (size <= 12) {
            if (v.INLINED === undefined) fail(at, 'short view without INLINED');
            bytes = name === 'utf8view' ? new TextEncoder().encode(v.INLINED) : hexToBytes(v.INLINED, at);
        } else {
            const buffers = need(column, 'VARIADIC_DATA_BUFFERS', at);
            const buffer = hexToBytes(buffers[v.BUFFER_INDEX] ?? fail(at, `no variadic buffer ${v.BUFFER_INDEX}`), at);
            if (v.OFFSET < 0 || v.OFFSET + size > buffer.length) fail(at, 'view beyond its buffer');
            bytes = buffer.subarray(v.OFFSET, v.OFFSET + size);
            const prefix = hexToBytes(v.PREFIX_HEX, at);
            if (prefix.length !== 4 || prefix.some((b, k) => b !== bytes[k])) fail(at, `PREFIX_HEX ${v.PREFIX_HEX} is not the value's first 4 bytes`);
        }
        if (bytes.length !== size) fail(at, `view holds ${bytes.length} bytes, SIZE says ${size}`);
        return name === 'utf8view' ? utf8Decode(bytes, at) : bytesToHex(bytes);
    }
}

// --- schemas --------------------------------------------------------------------------------

function canonicalMetadata(metadata) {
    return (metadata || []).map(({ key, value }) => [key, value]);
}

// A type's parameters with the format's defaults filled in, so absent and default compare equal.
export function canonicalType(type, childCount) {
    const t = { name: type.name === 'struct_' ? 'struct' : type.name };
    switch (t.name) {
        case 'int': t.bitWidth = type.bitWidth; t.isSigned = Boolean(type.isSigned); break;
        case 'floatingpoint': t.precision = type.precision; break;
        case 'decimal': t.precision = type.precision; t.scale = type.scale ?? 0; t.bitWidth = type.bitWidth ?? 128; break;
        case 'date': t.unit = type.unit; break;
        case 'time': t.unit = type.unit; t.bitWidth = type.bitWidth; break;
        case 'timestamp': t.unit = type.unit; t.timezone = type.timezone || null; break;
        case 'duration': case 'interval': t.unit = type.unit; break;
        case 'fixedsizebinary': t.byteWidth = type.byteWidth; break;
        case 'fixedsizelist': t.listSize = type.listSize; break;
        case 'map': t.keysSorted = Boolean(type.keysSorted); break;
        case 'union':
            t.mode = String(type.mode).toUpperCase();
            t.typeIds = type.typeIds ? [...type.typeIds] : Array.from({ length: childCount }, (_, j) => j);
            break;
    }
    return t;
}

export function canonicalField(field) {
    const children = field.children || [];
    return {
        name: field.name,
        nullable: Boolean(field.nullable),
        type: canonicalType(field.type, children.length),
        dictionary: field.dictionary ? {
            id: field.dictionary.id,
            indexType: canonicalType(field.dictionary.indexType || { name: 'int', bitWidth: 32, isSigned: true }),
            isOrdered: Boolean(field.dictionary.isOrdered),
        } : null,
        metadata: canonicalMetadata(field.metadata),
        children: children.map(canonicalField),
    };
}

export function canonicalSchema(schema) {
    return { fields: (schema.fields || []).map(canonicalField), metadata: canonicalMetadata(schema.metadata) };
}

// The slot and null counts of every column node, as a tree: [count, nulls, [children...]].
export function columnShape(field, column) {
    const nulls = Array.isArray(column.VALIDITY) ? column.VALIDITY.filter((b) => b === 0).length : 0;
    return [column.count, nulls, (column.children || []).map((c, j) => columnShape((field.children || [])[j] || {}, c))];
}
