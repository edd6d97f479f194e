#!/usr/bin/env python3
"""Writes the integration-JSON corpus (tests/arrow/corpus/*.json).

Each file is in the canonical form legolasflux::arrow::write_json produces, so that
read_json -> write_json gives the file back value for value:
  * object keys sorted, two-space indent;
  * fields carry "name", "nullable", "type", "children" (always), "dictionary" and "metadata"
    only when present; schema "metadata" only when non-empty;
  * columns carry "name", "count", "VALIDITY" for every type with a validity bitmap (all types
    but null, union and run-end encoded), their buffers, and "children" for nested types only;
  * 64-bit integers (int64, uint64, date64, time64, timestamp, duration, large offsets) and
    decimals are strings; booleans are true/false; binary is uppercase hex;
  * floats hold values whose shortest decimal in their own precision is the value written;
  * offsets start at 0 and a list's child has exactly as many values as its last offset;
  * "dictionaries" is sorted by id; a dictionary's column is named "DICT<id>".

Python standard library only. Run: python3 tests/arrow/corpus/generate.py
"""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# --- types -------------------------------------------------------------------------------------


def t_int(bits, signed=True):
    return {"name": "int", "bitWidth": bits, "isSigned": signed}


def t_float(precision):
    return {"name": "floatingpoint", "precision": precision}


def t_simple(name):
    return {"name": name}


def t_decimal(precision, scale, bits):
    return {"name": "decimal", "precision": precision, "scale": scale, "bitWidth": bits}


def t_time(unit):
    return {"name": "time", "unit": unit, "bitWidth": 32 if unit in ("SECOND", "MILLISECOND") else 64}


def t_timestamp(unit, tz=None):
    t = {"name": "timestamp", "unit": unit}
    if tz is not None:
        t["timezone"] = tz
    return t


def t_union(mode, type_ids):
    return {"name": "union", "mode": mode, "typeIds": list(type_ids)}


def field(name, type_, nullable=True, children=(), dictionary=None, metadata=None):
    f = {"name": name, "nullable": nullable, "type": type_, "children": list(children)}
    if dictionary is not None:
        f["dictionary"] = dictionary
    if metadata:
        f["metadata"] = [{"key": k, "value": v} for k, v in metadata]
    return f


def dict_encoding(id_, index_type, ordered=False):
    return {"id": id_, "indexType": index_type, "isOrdered": ordered}


# --- columns -----------------------------------------------------------------------------------
# `values` lists use None for a null slot; the slot's DATA then holds `fill`.


def validity(values):
    return [0 if v is None else 1 for v in values]


def c_prim(name, values, encode=lambda v: v, fill=0):
    return {"name": name, "count": len(values), "VALIDITY": validity(values),
            "DATA": [encode(fill if v is None else v) for v in values]}


def c_int(name, values, bits=32):
    return c_prim(name, values, str if bits == 64 else int)


def c_bool(name, values):
    return c_prim(name, values, bool, fill=False)


def shortest(value, precision):
    """The shortest decimal that reads back as the same float of `precision`, as write_json
    writes it (float16 and float32 are stored narrower than the double JSON carries)."""
    if precision == "DOUBLE":
        return float(value)
    fmt = "<e" if precision == "HALF" else "<f"
    bits = struct.pack(fmt, value)
    for digits in range(1, 18):
        candidate = float("%.*g" % (digits, struct.unpack(fmt, bits)[0]))
        try:
            if struct.pack(fmt, candidate) == bits:
                return candidate
        except OverflowError:  # rounded past the largest finite value
            pass
    raise ValueError(value)


def c_float(name, values, precision="DOUBLE"):
    return c_prim(name, values, lambda v: shortest(v, precision), fill=0.0)


def c_decimal(name, values):
    return c_prim(name, values, str)


def c_null(name, count):
    return {"name": name, "count": count}


def hexs(b):
    return b.hex().upper()


def c_strings(name, values, binary=False, large=False):
    offsets, data, pos = [0], [], 0
    for v in values:
        v = v if v is not None else (b"" if binary else "")
        pos += len(v) if binary else len(v.encode("utf-8"))
        offsets.append(str(pos) if large else pos)
        data.append(hexs(v) if binary else v)
    return {"name": name, "count": len(values), "VALIDITY": validity(values),
            "OFFSET": ["0"] + offsets[1:] if large else offsets, "DATA": data}


def c_fixed_binary(name, values, width):
    return c_prim(name, values, hexs, fill=bytes(width))


def c_views(name, values, binary=False, buffer_size=32):
    """Inline views up to 12 bytes; longer values packed into data buffers of about
    `buffer_size` bytes, a new buffer starting when the current one would overflow."""
    views, buffers = [], []
    for v in values:
        raw = b"" if v is None else (v if binary else v.encode("utf-8"))
        if len(raw) <= 12:
            views.append({"SIZE": len(raw), "INLINED": hexs(raw) if binary else raw.decode("utf-8")})
            continue
        if not buffers or len(buffers[-1]) + len(raw) > buffer_size:
            buffers.append(b"")
        views.append({"SIZE": len(raw), "PREFIX_HEX": hexs(raw[:4]),
                      "BUFFER_INDEX": len(buffers) - 1, "OFFSET": len(buffers[-1])})
        buffers[-1] += raw
    return {"name": name, "count": len(values), "VALIDITY": validity(values), "VIEWS": views,
            "VARIADIC_DATA_BUFFERS": [hexs(b) for b in buffers]}


def c_list(name, lengths, child, large=False):
    """`lengths` per slot, None for a null list (which then has length 0)."""
    offsets, pos = [0], 0
    for n in lengths:
        pos += n or 0
        offsets.append(pos)
    assert child["count"] == pos, (name, child["count"], pos)
    return {"name": name, "count": len(lengths), "VALIDITY": validity(lengths),
            "OFFSET": [str(o) for o in offsets] if large else offsets, "children": [child]}


def c_list_view(name, offsets, sizes, valid, child, large=False):
    enc = str if large else int
    return {"name": name, "count": len(offsets), "VALIDITY": valid,
            "OFFSET": [enc(o) for o in offsets], "SIZE": [enc(s) for s in sizes], "children": [child]}


def c_fixed_list(name, valid, child):
    return {"name": name, "count": len(valid), "VALIDITY": valid, "children": [child]}


def c_struct(name, valid, children):
    return {"name": name, "count": len(valid), "VALIDITY": valid, "children": children}


def c_sparse_union(name, type_ids, children):
    return {"name": name, "count": len(type_ids), "TYPE_ID": type_ids, "children": children}


def c_dense_union(name, type_ids, offsets, children):
    return {"name": name, "count": len(type_ids), "TYPE_ID": type_ids, "OFFSET": offsets,
            "children": children}


def c_ree(name, count, run_ends, bits, values):
    return {"name": name, "count": count,
            "children": [c_int("run_ends", run_ends, bits), values]}


def c_dict_indices(name, indices, bits=32):
    return c_int(name, indices, bits)


def batch(columns):
    counts = {c["count"] for c in columns}
    assert len(counts) <= 1, counts
    return {"count": counts.pop() if counts else 0, "columns": columns}


def dictionary(id_, column):
    column = dict(column, name="DICT%d" % id_)
    return {"id": id_, "data": {"count": column["count"], "columns": [column]}}


def document(fields, batches, dictionaries=(), metadata=None):
    schema = {"fields": fields}
    if metadata:
        schema["metadata"] = [{"key": k, "value": v} for k, v in metadata]
    doc = {"schema": schema, "batches": batches}
    if dictionaries:
        doc["dictionaries"] = sorted(dictionaries, key=lambda d: d["id"])
    return doc


# --- the corpus --------------------------------------------------------------------------------

I64_MIN, I64_MAX = -2**63, 2**63 - 1


def primitive():
    ints = [(8, True), (16, True), (32, True), (64, True), (8, False), (16, False), (32, False), (64, False)]
    fields, b0, b1 = [], [], []
    for bits, signed in ints:
        name = ("int%d" if signed else "uint%d") % bits
        lo, hi = (-2**(bits - 1), 2**(bits - 1) - 1) if signed else (0, 2**bits - 1)
        fields.append(field(name, t_int(bits, signed)))
        fields.append(field(name + "_nn", t_int(bits, signed), nullable=False))
        b0.append(c_int(name, [lo, None, hi, 0, -1 if signed else 1], bits))
        b0.append(c_int(name + "_nn", [hi, lo, 7, 0, 1], bits))
        b1.append(c_int(name, [None, None, 42], bits))
        b1.append(c_int(name + "_nn", [lo, 3, hi], bits))
    fields += [field("bool", t_simple("bool")), field("bool_nn", t_simple("bool"), nullable=False),
               field("float16", t_float("HALF")), field("float32", t_float("SINGLE")),
               field("float64", t_float("DOUBLE")), field("float64_nn", t_float("DOUBLE"), nullable=False)]
    b0 += [c_bool("bool", [True, None, False, True, False]),
           c_bool("bool_nn", [False, True, True, False, True]),
           c_float("float16", [1.5, None, -0.25, 65504.0, 0.1], "HALF"),
           c_float("float32", [3.25, -1e-3, None, 3.4028235e+38, 0.1], "SINGLE"),
           c_float("float64", [2.5, None, -1e300, 5e-324, 0.1]),
           c_float("float64_nn", [0.0, -0.5, 1.0, 123456.789, -2.0])]
    b1 += [c_bool("bool", [None, True, False]),
           c_bool("bool_nn", [True, True, True]),
           c_float("float16", [6.1035156e-05, 5.96e-08, None], "HALF"),
           c_float("float32", [1.17549435e-38, 1e-45, 7.0], "SINGLE"),
           c_float("float64", [None, None, 1.7976931348623157e+308]),
           c_float("float64_nn", [1.5, 2.5, 3.5])]
    return document(fields, [batch(b0), batch(b1)])


def null():
    fields = [field("n0", t_simple("null")), field("i", t_int(32)), field("n1", t_simple("null"))]
    return document(fields, [batch([c_null("n0", 3), c_int("i", [1, None, 3]), c_null("n1", 3)]),
                             batch([c_null("n0", 0), c_int("i", []), c_null("n1", 0)])])


def strings():
    fields = [field("utf8", t_simple("utf8")), field("utf8_nn", t_simple("utf8"), nullable=False),
              field("binary", t_simple("binary")), field("binary_nn", t_simple("binary"), nullable=False)]
    b0 = [c_strings("utf8", ["hello", None, "", "héllo wörld", "日本語 ✓"]),
          c_strings("utf8_nn", ["a", "bc", "def", "", "ghij"]),
          c_strings("binary", [b"\x00\x01\xff", b"", None, b"\xde\xad\xbe\xef", b"x"], binary=True),
          c_strings("binary_nn", [b"", b"\x00", b"\x00\x00", b"\x7f\x80", b"longer binary value"], binary=True)]
    b1 = [c_strings("utf8", [None, None]),
          c_strings("utf8_nn", ["only", "two"]),
          c_strings("binary", [None, b"\x01"], binary=True),
          c_strings("binary_nn", [b"\x02", b"\x03\x04"], binary=True)]
    return document(fields, [batch(b0), batch(b1)])


def large_strings():
    fields = [field("large_utf8", t_simple("largeutf8")), field("large_binary", t_simple("largebinary")),
              field("large_utf8_nn", t_simple("largeutf8"), nullable=False)]
    b0 = [c_strings("large_utf8", ["one", None, "three", ""], large=True),
          c_strings("large_binary", [b"\x01\x02", b"", None, b"\xff" * 20], binary=True, large=True),
          c_strings("large_utf8_nn", ["ü", "ß", "€", "𝄞"], large=True)]
    b1 = [c_strings("large_utf8", [], large=True),
          c_strings("large_binary", [], binary=True, large=True),
          c_strings("large_utf8_nn", [], large=True)]
    return document(fields, [batch(b0), batch(b1)])


def fixed_size_binary():
    fields = [field("fsb1", {"name": "fixedsizebinary", "byteWidth": 1}),
              field("fsb4", {"name": "fixedsizebinary", "byteWidth": 4}),
              field("fsb16", {"name": "fixedsizebinary", "byteWidth": 16}, nullable=False)]
    b0 = [c_fixed_binary("fsb1", [b"\x00", None, b"\xff"], 1),
          c_fixed_binary("fsb4", [b"abcd", b"\x00\x00\x00\x01", None], 4),
          c_fixed_binary("fsb16", [bytes(range(16)), bytes(16), b"\xee" * 16], 16)]
    return document(fields, [batch(b0)])


def decimal():
    specs = [("d32", 9, 2, 32, [123456789, -999999999, None, 0, -1]),
             ("d64", 18, 4, 64, [999999999999999999, None, -123456789012345678, 1, 0]),
             ("d128", 38, 10, 128, [10**38 - 1, -(10**38 - 1), None, 170141183460469231731687303715884105727, -2**127]),
             ("d256", 76, 20, 256, [10**76 - 1, None, -(10**76 - 1), 2**255 - 1, -2**255]),
             ("d128_neg_scale", 5, -3, 128, [12345, -1, None, 0, 99999])]
    fields = [field(n, t_decimal(p, s, b)) for n, p, s, b, _ in specs]
    fields.append(field("d128_nn", t_decimal(20, 0, 128), nullable=False))
    cols = [c_decimal(n, vals) for n, _, _, _, vals in specs]
    cols.append(c_decimal("d128_nn", [1, 2, 3, -4, 10**20 - 1]))
    return document(fields, [batch(cols)])


def temporal():
    fields = [field("date32", {"name": "date", "unit": "DAY"}),
              field("date64", {"name": "date", "unit": "MILLISECOND"}),
              field("time32_s", t_time("SECOND")), field("time32_ms", t_time("MILLISECOND")),
              field("time64_us", t_time("MICROSECOND")), field("time64_ns", t_time("NANOSECOND"), nullable=False)]
    cols = [c_int("date32", [0, 19000, None, -719162, 2932896]),
            c_int("date64", [0, 1641600000000, None, -62135596800000, 253402214400000], 64),
            c_int("time32_s", [0, 86399, None, 3600, 1]),
            c_int("time32_ms", [0, 86399999, 1, None, 43200000]),
            c_int("time64_us", [None, 86399999999, 0, 1, 12345678], 64),
            c_int("time64_ns", [0, 86399999999999, 1, 500, 1000000000], 64)]
    return document(fields, [batch(cols)])


def timestamp():
    units = ["SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND"]
    fields, cols = [], []
    for u in units:
        for tz in (None, "UTC", "America/New_York", "+05:30"):
            if tz == "+05:30" and u != "MICROSECOND":
                continue
            name = "ts_%s%s" % (u.lower(), "" if tz is None else "_" + tz.replace("/", "_").replace("+", "p").replace(":", ""))
            fields.append(field(name, t_timestamp(u, tz), nullable=tz != "UTC"))
            vals = [0, 1700000000 * {"SECOND": 1, "MILLISECOND": 10**3, "MICROSECOND": 10**6, "NANOSECOND": 10**9}[u],
                    None if tz != "UTC" else 1, -1, I64_MAX if u == "NANOSECOND" else 253402214399]
            cols.append(c_int(name, vals, 64))
    return document(fields, [batch(cols)])


def duration_interval():
    fields = [field("dur_" + u.lower(), {"name": "duration", "unit": u})
              for u in ("SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND")]
    cols = [c_int("dur_second", [0, 60, None, -86400], 64),
            c_int("dur_millisecond", [1, None, I64_MIN, I64_MAX], 64),
            c_int("dur_microsecond", [None, None, 5, -5], 64),
            c_int("dur_nanosecond", [1000000000, 0, 1, None], 64)]
    fields += [field("iv_ym", {"name": "interval", "unit": "YEAR_MONTH"}),
               field("iv_dt", {"name": "interval", "unit": "DAY_TIME"}),
               field("iv_mdn", {"name": "interval", "unit": "MONTH_DAY_NANO"}, nullable=False)]
    cols += [c_int("iv_ym", [12, -1, None, 2147483647]),
             c_prim("iv_dt", [{"days": 1, "milliseconds": 500}, None,
                              {"days": -2147483648, "milliseconds": 2147483647}, {"days": 0, "milliseconds": -1}],
                    fill={"days": 0, "milliseconds": 0}),
             c_prim("iv_mdn", [{"months": 1, "days": 2, "nanoseconds": 3},
                               {"months": -1, "days": -30, "nanoseconds": I64_MIN},
                               {"months": 2147483647, "days": 0, "nanoseconds": I64_MAX},
                               {"months": 0, "days": 0, "nanoseconds": 0}])]
    return document(fields, [batch(cols)])


def lists():
    item32 = field("item", t_int(32))
    fields = [field("list", t_simple("list"), children=[item32]),
              field("large_list", t_simple("largelist"), children=[field("item", t_simple("utf8"))]),
              field("fixed_list", {"name": "fixedsizelist", "listSize": 3}, children=[field("item", t_float("SINGLE"), nullable=False)]),
              field("list_nn", t_simple("list"), nullable=False, children=[field("", t_int(64), nullable=False)])]
    b0 = [c_list("list", [2, None, 0, 3], c_int("item", [1, None, 3, 4, 5])),
          c_list("large_list", [1, 2, None, 0], c_strings("item", ["a", None, "ccc"]), large=True),
          c_fixed_list("fixed_list", [1, 0, 1, 1], c_float("item", [1.0, 2.0, 3.0, 0.0, 0.0, 0.0, -1.5, 2.5, 1e10, 0.5, 0.25, 0.125], "SINGLE")),
          c_list("list_nn", [0, 1, 2, 0], c_int("", [10, 20, 30], 64))]
    b1 = [c_list("list", [], c_int("item", [])),
          c_list("large_list", [], c_strings("item", []), large=True),
          c_fixed_list("fixed_list", [], c_float("item", [], "SINGLE")),
          c_list("list_nn", [], c_int("", [], 64))]
    b2 = [c_list("list", [None], c_int("item", [])),
          c_list("large_list", [3], c_strings("item", ["x", "y", "z"]), large=True),
          c_fixed_list("fixed_list", [0], c_float("item", [0.0, 0.0, 0.0], "SINGLE")),
          c_list("list_nn", [4], c_int("", [1, 2, 3, 4], 64))]
    return document(fields, [batch(b0), batch(b1), batch(b2)])


def structs():
    inner = [field("x", t_int(16)), field("y", t_simple("utf8"), nullable=False)]
    fields = [field("point", t_simple("struct"), children=[field("a", t_int(32)), field("b", t_float("DOUBLE"))]),
              field("outer", t_simple("struct"), nullable=False,
                    children=[field("inner", t_simple("struct"), children=inner), field("flag", t_simple("bool"))]),
              field("empty", t_simple("struct"))]
    b0 = [c_struct("point", [1, 0, 1], [c_int("a", [1, 0, None]), c_float("b", [0.5, 0.0, 2.0])]),
          c_struct("outer", [1, 1, 1], [
              c_struct("inner", [1, 0, 1], [c_int("x", [1, None, -3], 16), c_strings("y", ["p", "", "r"])]),
              c_bool("flag", [True, None, False])]),
          c_struct("empty", [1, 0, 1], [])]
    return document(fields, [batch(b0)])


def maps():
    entries = field("entries", t_simple("struct"), nullable=False,
                    children=[field("key", t_simple("utf8"), nullable=False), field("value", t_int(32))])
    sorted_entries = field("entries", t_simple("struct"), nullable=False,
                           children=[field("key", t_int(64), nullable=False), field("value", t_simple("largeutf8"))])
    fields = [field("map", {"name": "map", "keysSorted": False}, children=[entries]),
              field("sorted_map", {"name": "map", "keysSorted": True}, nullable=False, children=[sorted_entries])]
    b0 = [c_list("map", [2, None, 0, 1], c_struct("entries", [1, 1, 1], [
              c_strings("key", ["a", "b", "c"]), c_int("value", [1, None, 3])])),
          c_list("sorted_map", [1, 1, 2, 0], c_struct("entries", [1, 1, 1, 1], [
              c_int("key", [1, 2, 3, 4], 64), c_strings("value", ["one", None, "three", "four"], large=True)]))]
    return document(fields, [batch(b0)])


def unions():
    sparse_children = [field("i", t_int(32)), field("s", t_simple("utf8")), field("f", t_float("DOUBLE"))]
    dense_children = [field("i", t_int(8)), field("s", t_simple("utf8")), field("l", t_simple("list"), children=[field("item", t_int(16))])]
    fields = [field("sparse", t_union("SPARSE", [0, 1, 2]), children=sparse_children),
              field("dense", t_union("DENSE", [5, 2, 7]), children=dense_children),
              field("sparse_ids", t_union("SPARSE", [3, 10]), children=[field("b", t_simple("bool")), field("n", t_simple("null"))])]
    b0 = [c_sparse_union("sparse", [0, 1, 2, 0, 1], [
              c_int("i", [1, 0, 0, None, 0]),
              c_strings("s", ["", "two", "", "", None]),
              c_float("f", [0.0, 0.0, 3.5, 0.0, 0.0])]),
          c_dense_union("dense", [5, 2, 2, 7, 5], [0, 0, 1, 0, 1], [
              c_int("i", [-1, None], 8),
              c_strings("s", ["x", "yy"]),
              c_list("l", [2], c_int("item", [7, 8], 16))]),
          c_sparse_union("sparse_ids", [3, 10, 10, 3, 3], [c_bool("b", [True, False, False, None, False]), c_null("n", 5)])]
    b1 = [c_sparse_union("sparse", [], [c_int("i", []), c_strings("s", []), c_float("f", [])]),
          c_dense_union("dense", [], [], [c_int("i", [], 8), c_strings("s", []), c_list("l", [], c_int("item", [], 16))]),
          c_sparse_union("sparse_ids", [], [c_bool("b", []), c_null("n", 0)])]
    return document(fields, [batch(b0), batch(b1)])


def dictionaries():
    words = field("words", t_simple("utf8"), dictionary=dict_encoding(0, t_int(32)))
    # Two fields, one dictionary: id 1 with int8 indices, the second field ordered the same way.
    color_a = field("color_a", t_simple("utf8"), dictionary=dict_encoding(1, t_int(8)))
    color_b = field("color_b", t_simple("utf8"), nullable=False, dictionary=dict_encoding(1, t_int(8)))
    numbers = field("numbers", t_int(64), dictionary=dict_encoding(2, t_int(16, False), ordered=True))
    listed = field("tags", t_simple("list"), children=[
        field("item", t_simple("largeutf8"), dictionary=dict_encoding(3, t_int(64)))])
    fields = [words, color_a, color_b, numbers, listed]
    b0 = [c_dict_indices("words", [0, 1, None, 2, 0], 32),
          c_dict_indices("color_a", [0, None, 1, 2, 2], 8),
          c_dict_indices("color_b", [2, 1, 0, 0, 1], 8),
          c_dict_indices("numbers", [3, 2, 1, 0, None], 16),
          c_list("tags", [1, 2, None, 0, 1], c_dict_indices("item", [0, 1, 1, None], 64))]
    b1 = [c_dict_indices("words", [2, 2], 32),
          c_dict_indices("color_a", [None, None], 8),
          c_dict_indices("color_b", [1, 1], 8),
          c_dict_indices("numbers", [0, 3], 16),
          c_list("tags", [0, 1], c_dict_indices("item", [0], 64))]
    dicts = [dictionary(0, c_strings("", ["apple", "banana", "cherry"])),
             dictionary(1, c_strings("", ["red", "green", "blue"])),
             dictionary(2, c_int("", [10, -20, 30, None], 64)),
             dictionary(3, c_strings("", ["alpha", "beta"], large=True))]
    return document(fields, [batch(b0), batch(b1)], dicts)


def dictionary_nested():
    # Dictionary values that are themselves nested: a dictionary of lists of strings.
    values = field("v", t_simple("list"), children=[field("item", t_simple("utf8"))],
                   dictionary=dict_encoding(7, t_int(32, False)))
    struct_of_dict = field("s", t_simple("struct"), children=[
        field("code", t_simple("binary"), dictionary=dict_encoding(8, t_int(16)))])
    fields = [values, struct_of_dict]
    b0 = [c_dict_indices("v", [1, 0, None, 1], 32),
          c_struct("s", [1, 1, 0, 1], [c_dict_indices("code", [0, 1, 0, None], 16)])]
    dicts = [dictionary(7, c_list("", [2, None], c_strings("item", ["a", "b"]))),
             dictionary(8, c_strings("", [b"\x01", b"\x02\x03"], binary=True))]
    return document(fields, [batch(b0)], dicts)


def views():
    fields = [field("utf8_view", t_simple("utf8view")), field("binary_view", t_simple("binaryview")),
              field("utf8_view_nn", t_simple("utf8view"), nullable=False)]
    b0 = [c_views("utf8_view", ["short", None, "exactly12chr", "this one is out of line", "",
                                "another long string value", "ünïcödé and longer than twelve", "tiny"]),
          c_views("binary_view", [b"\x00" * 13, b"\x01\x02", None, bytes(range(40)), b"", b"\xff" * 12,
                                  b"0123456789abcdef", b"x"], binary=True),
          c_views("utf8_view_nn", ["a" * 30, "b" * 30, "c", "d" * 13, "e" * 14, "f", "", "g" * 12])]
    b1 = [c_views("utf8_view", []), c_views("binary_view", [], binary=True), c_views("utf8_view_nn", [])]
    return document(fields, [batch(b0), batch(b1)])


def list_views():
    fields = [field("list_view", t_simple("listview"), children=[field("item", t_int(32))]),
              field("large_list_view", t_simple("largelistview"), nullable=False,
                    children=[field("item", t_simple("utf8"))])]
    # Views out of order, overlapping and sharing values; a null view with a non-zero size.
    b0 = [c_list_view("list_view", [4, 0, 2, 0, 1], [2, 3, 0, 0, 4], [1, 1, 0, 1, 1],
                      c_int("item", [0, 1, None, 3, 4, 5])),
          c_list_view("large_list_view", [0, 1, 3, 0, 2], [3, 1, 0, 1, 2], [1, 1, 1, 1, 1],
                      c_strings("item", ["p", None, "r", "s"]), large=True)]
    b1 = [c_list_view("list_view", [], [], [], c_int("item", [])),
          c_list_view("large_list_view", [], [], [], c_strings("item", []), large=True)]
    return document(fields, [batch(b0), batch(b1)])


def run_end_encoded():
    def ree_field(name, bits, values_field, nullable=True):
        return field(name, t_simple("runendencoded"), nullable=nullable,
                     children=[field("run_ends", t_int(bits), nullable=False), values_field])
    fields = [ree_field("ree16", 16, field("values", t_simple("utf8"))),
              ree_field("ree32", 32, field("values", t_float("SINGLE"))),
              ree_field("ree64", 64, field("values", t_int(8)), nullable=False)]
    b0 = [c_ree("ree16", 7, [2, 3, 6, 7], 16, c_strings("values", ["aa", None, "b", ""])),
          c_ree("ree32", 7, [7], 32, c_float("values", [1.5], "SINGLE")),
          c_ree("ree64", 7, [1, 2, 3, 4, 5, 6, 7], 64, c_int("values", [1, 2, None, 4, 5, 6, 7], 8))]
    b1 = [c_ree("ree16", 0, [], 16, c_strings("values", [])),
          c_ree("ree32", 0, [], 32, c_float("values", [])),
          c_ree("ree64", 0, [], 64, c_int("values", [], 8))]
    return document(fields, [batch(b0), batch(b1)])


def nested_deep():
    # list<struct<list<struct<int32>>>>: depth 4 below the column.
    leaf = field("v", t_int(32))
    inner_struct = field("item", t_simple("struct"), children=[leaf])
    inner_list = field("xs", t_simple("list"), children=[inner_struct])
    outer_struct = field("item", t_simple("struct"), children=[inner_list, field("tag", t_simple("utf8"))])
    deep = field("deep", t_simple("list"), children=[outer_struct])
    # struct<large_list<map<utf8, fixed_size_list<float64>[2]>>> and a union holding a list of structs.
    pair = field("value", {"name": "fixedsizelist", "listSize": 2}, children=[field("item", t_float("DOUBLE"))])
    entries = field("entries", t_simple("struct"), nullable=False,
                    children=[field("key", t_simple("utf8"), nullable=False), pair])
    mixed = field("mixed", t_simple("struct"), children=[
        field("maps", t_simple("largelist"), children=[field("item", {"name": "map", "keysSorted": False}, children=[entries])])])
    fields = [deep, mixed]

    leaf_col = c_int("v", [1, 2, None, 4, 5])
    inner_structs = c_struct("item", [1, 1, 1, 0, 1], [leaf_col])
    inner_lists = c_list("xs", [2, 0, None, 3], inner_structs)
    outer = c_struct("item", [1, 1, 0, 1], [inner_lists, c_strings("tag", ["t0", "t1", None, "t3"])])
    deep_col = c_list("deep", [1, None, 3, 0], outer)

    pairs = c_fixed_list("value", [1, 0, 1], c_float("item", [0.5, 1.5, 0.0, 0.0, 2.5, None]))
    map_col = c_list("item", [2, 1], c_struct("entries", [1, 1, 1], [c_strings("key", ["k1", "k2", "k3"]), pairs]))
    maps_col = c_list("maps", [2, None, 0, 0], map_col, large=True)
    mixed_col = c_struct("mixed", [1, 1, 0, 1], [maps_col])
    return document(fields, [batch([deep_col, mixed_col])])


def metadata():
    uuid = field("uuid", {"name": "fixedsizebinary", "byteWidth": 16}, nullable=False,
                 metadata=[("ARROW:extension:name", "arrow.uuid"), ("ARROW:extension:metadata", "")])
    tagged = field("tagged", t_simple("list"),
                   children=[field("item", t_int(32), metadata=[("odd", "values"), ("unit", "m/s")])],
                   metadata=[("description", "a list with metadata on its child"), ("dup", "1"), ("dup", "2")])
    ext_struct = field("point", t_simple("struct"),
                       children=[field("x", t_float("DOUBLE"), nullable=False), field("y", t_float("DOUBLE"), nullable=False)],
                       metadata=[("ARROW:extension:name", "example.point"),
                                 ("ARROW:extension:metadata", '{"crs":"EPSG:4326"}')])
    empty_value = field("plain", t_simple("utf8"), metadata=[("empty", ""), ("ünïcode kéy", "välue ✓")])
    fields = [uuid, tagged, ext_struct, empty_value]
    b0 = [c_fixed_binary("uuid", [bytes.fromhex("123e4567e89b12d3a456426614174000"), bytes(16)], 16),
          c_list("tagged", [1, None], c_int("item", [5])),
          c_struct("point", [1, 1], [c_float("x", [1.5, -2.0]), c_float("y", [0.25, 8.0])]),
          c_strings("plain", ["x", None])]
    return document(fields, [batch(b0)], metadata=[("schema_key", "schema value"), ("another", "{}"), ("another", "dup")])


def julia_weights():
    """The column shapes of a LegolasFlux digits.model@1 row (julia-format.md §1.2, §6): a
    non-nullable Weights struct holding a list of FlatArray structs {vec: list<float32>,
    size: list<int64>}, list children named "", extension names on both structs."""
    ext = lambda name: [("ARROW:extension:name", name), ("ARROW:extension:metadata", "")]
    flat = field("", t_simple("struct"), nullable=False, metadata=ext("JuliaLang.LegolasFlux.FlatArray"), children=[
        field("vec", t_simple("list"), nullable=False, children=[field("", t_float("SINGLE"), nullable=False)]),
        field("size", t_simple("list"), nullable=False, children=[field("", t_int(64), nullable=False)])])
    weights = field("weights", t_simple("struct"), nullable=False, metadata=ext("JuliaLang.LegolasFlux.Weights"),
                    children=[field("weights", t_simple("list"), nullable=False, children=[flat])])
    config = field("config", t_simple("struct"), nullable=False,
                   children=[field("seed", t_int(64), nullable=False), field("dropout_rate", t_float("SINGLE"), nullable=False)])
    fields = [weights, field("architecture_version", t_int(64)), config,
              field("epoch", t_int(64), nullable=False), field("accuracy", t_float("SINGLE"), nullable=False)]
    # Three arrays: a 3x2 matrix (column-major), a vector of 2, a 1x1x2 tensor.
    vec = [-0.0473921262, 0.137616649, 0.0166006908, 0.5, -0.25, 1.0, 0.00421002228, 0.00162075215, 0.995971322, 0.993806183]
    sizes = [3, 2, 2, 1, 1, 2]
    flat_col = c_struct("", [1, 1, 1], [
        c_list("vec", [6, 2, 2], c_float("", vec, "SINGLE")),
        c_list("size", [2, 1, 3], c_int("", sizes, 64))])
    cols = [c_struct("weights", [1], [c_list("weights", [3], flat_col)]),
            c_int("architecture_version", [None], 64),
            c_struct("config", [1], [c_int("seed", [5], 64), c_float("dropout_rate", [0.0], "SINGLE")]),
            c_int("epoch", [1], 64),
            c_float("accuracy", [0.06], "SINGLE")]
    return document(fields, [batch(cols)],
                    metadata=[("legolas_schema_qualified", "digits.model@1>legolas-flux.model@1")])


def many_batches():
    fields = [field("id", t_int(64), nullable=False), field("name", t_simple("utf8")),
              field("scores", t_simple("list"), children=[field("item", t_float("DOUBLE"))])]
    batches = []
    next_id = 0
    for size in (0, 1, 4, 0, 9, 2):
        ids = list(range(next_id, next_id + size))
        next_id += size
        names = [None if i % 3 == 2 else "row%d" % i for i in ids]
        lengths = [None if i % 4 == 3 else i % 3 for i in ids]
        n_scores = sum(n or 0 for n in lengths)
        scores = c_float("item", [None if k % 5 == 4 else k * 0.5 for k in range(n_scores)])
        batches.append(batch([c_int("id", ids, 64), c_strings("name", names), c_list("scores", lengths, scores)]))
    return document(fields, batches)


def no_batches():
    fields = [field("a", t_int(32)), field("b", t_simple("list"), children=[field("item", t_simple("utf8"))]),
              field("c", t_simple("struct"), nullable=False, children=[field("d", t_timestamp("MICROSECOND", "UTC"))])]
    return document(fields, [], metadata=[("note", "schema only")])


def empty_arrays():
    """Every kind of array with count 0 in one batch, each with the buffers an empty column has."""
    fields = [field("b", t_simple("bool")), field("i", t_int(16)), field("f", t_float("HALF")),
              field("s", t_simple("utf8")), field("lb", t_simple("largebinary")),
              field("fsb", {"name": "fixedsizebinary", "byteWidth": 3}), field("d", t_decimal(10, 2, 128)),
              field("dt", {"name": "interval", "unit": "DAY_TIME"}), field("n", t_simple("null")),
              field("sv", t_simple("utf8view")),
              field("l", t_simple("list"), children=[field("item", t_int(8))]),
              field("st", t_simple("struct"), children=[field("x", t_simple("binary"))])]
    cols = [c_bool("b", []), c_int("i", [], 16), c_float("f", [], "HALF"), c_strings("s", []),
            c_strings("lb", [], binary=True, large=True), c_fixed_binary("fsb", [], 3), c_decimal("d", []),
            c_prim("dt", []), c_null("n", 0), c_views("sv", []), c_list("l", [], c_int("item", [], 8)),
            c_struct("st", [], [c_strings("x", [], binary=True)])]
    return document(fields, [batch(cols), batch([dict(c) for c in cols])])


CORPUS = {
    "primitive": primitive, "null": null, "strings": strings, "large_strings": large_strings,
    "fixed_size_binary": fixed_size_binary, "decimal": decimal, "temporal": temporal, "timestamp": timestamp,
    "duration_interval": duration_interval, "lists": lists, "structs": structs, "maps": maps, "unions": unions,
    "dictionary": dictionaries, "dictionary_nested": dictionary_nested, "views": views, "list_views": list_views,
    "run_end_encoded": run_end_encoded, "nested_deep": nested_deep, "metadata": metadata,
    "julia_weights": julia_weights, "many_batches": many_batches, "no_batches": no_batches,
    "empty_arrays": empty_arrays,
}


def main():
    for name, make in CORPUS.items():
        path = os.path.join(HERE, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(make(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print("wrote %d files to %s" % (len(CORPUS), HERE))


if __name__ == "__main__":
    main()
