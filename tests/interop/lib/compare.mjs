// Exact structural comparison of canonical values, reporting where the first differences are.
// Numbers compare with Object.is (so -0 differs from 0 and NaN equals NaN); nothing is rounded here.

function show(v) {
    if (typeof v === 'bigint') return `${v}n`;
    if (Object.is(v, -0)) return '-0';
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    const s = JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
    return s.length > 160 ? s.slice(0, 157) + '...' : s;
}

// Appends to `out` (up to `limit` entries) a line for each difference between `a` (expected) and
// `b` (actual) found under `path`.
export function diff(a, b, path = '', out = [], limit = 10) {
    if (out.length >= limit) return out;
    const note = (why) => out.length < limit && out.push(`${path || '(root)'}: ${why}`);
    if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
        note(`expected ${show(a)}, got ${show(b)}`);
    } else if (Array.isArray(a)) {
        if (a.length !== b.length) note(`expected ${a.length} elements, got ${b.length}`);
        for (let k = 0; k < Math.min(a.length, b.length); k++) diff(a[k], b[k], `${path}[${k}]`, out, limit);
    } else if (a !== null && typeof a === 'object') {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
        for (const k of keys) {
            if (!(k in a) || !(k in b)) note(`key ${k}: expected ${show(a[k])}, got ${show(b[k])}`);
            else diff(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
        }
    } else if (!Object.is(a, b)) {
        note(`expected ${show(a)}, got ${show(b)}`);
    }
    return out;
}
