// Import of arrays, record batches and streams from the Arrow C data and stream interfaces,
// zero-copy: our Buffers point into the producer's memory and share one holder of the moved
// ArrowArray, which releases it when the last of them is dropped.
#include <cstring>
#include <string>
#include <vector>

#include "c_data_private.hpp"
#include "core/layout.hpp"
#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

constexpr int kMaxDepth = 256;

// The moved ArrowArray, shared by every Buffer that points into it: released exactly once, when the
// last of them goes.
using ArrayHolder = detail::Taken<ArrowArray>;

std::shared_ptr<ArrayHolder> take(ArrowArray* from) { return std::make_shared<ArrayHolder>(from, "ArrowArray"); }

struct Importer {
    std::shared_ptr<const void> owner;

    [[noreturn]] static void fail(const std::string& where, const std::string& what) {
        throw FormatError("imported ArrowArray " + where + ": " + what);
    }

    static int64_t mul(int64_t x, int64_t y, const std::string& where) {
        int64_t r;
        if (__builtin_mul_overflow(x, y, &r)) fail(where, "buffer size overflows 64 bits");
        return r;
    }

    static int64_t bitmap_bytes(int64_t bits) { return bits / 8 + (bits % 8 != 0); }

    // Buffer `i` of `c`, `size` bytes long. A null pointer is an empty Buffer when nothing needs
    // to be read from it (size 0, or a validity bitmap: "no nulls"), and an error otherwise.
    Buffer buffer(const ArrowArray& c, size_t i, int64_t size, bool is_validity, const std::string& where) const {
        const void* p = c.buffers[i];
        if (!p) {
            if (size == 0 || is_validity) return Buffer();
            fail(where, "buffer " + std::to_string(i) + " is null but " + std::to_string(size) + " bytes are needed");
        }
        if (size == 0) return Buffer();
        return Buffer(owner, static_cast<const uint8_t*>(p), size);
    }

    // The last offset of a variable-length array: the size of what its offsets address.
    int64_t last_offset(const ArrowArray& c, int width, int64_t end, const std::string& where) const {
        const void* p = c.buffers[1];
        if (!p) fail(where, "offsets buffer is null");
        const int64_t last = detail::load_int(static_cast<const uint8_t*>(p) + end * width, width, true);
        if (last < 0) fail(where, "offsets end negative (" + std::to_string(last) + ")");
        return last;
    }

    ArrayPtr node(const ArrowArray& c, const DataType& type, const DictionaryEncoding* dict, const std::string& where,
                  int depth) {
        if (depth > kMaxDepth) fail(where, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
        if (c.length < 0 || c.offset < 0 || c.null_count < -1)
            fail(where, "negative length, offset or null_count (" + std::to_string(c.length) + ", " +
                            std::to_string(c.offset) + ", " + std::to_string(c.null_count) + ")");
        // An empty array addresses nothing: it is imported at offset 0 with empty buffers, whatever
        // (possibly null) pointers it carries.
        const int64_t start = c.length == 0 ? 0 : c.offset;
        int64_t end;
        if (__builtin_add_overflow(start, c.length, &end)) fail(where, "offset + length overflows");
        if (c.n_buffers < 0 || (c.n_buffers > 0 && !c.buffers)) fail(where, "has an invalid buffers array");
        if (c.n_children < 0 || (c.n_children > 0 && !c.children)) fail(where, "has an invalid children array");

        auto a = std::make_shared<Array>();
        a->type = dict ? dict->index_type : type;
        a->length = c.length;
        a->offset = start;
        const DataType& t = a->type;
        const size_t n = static_cast<size_t>(c.n_buffers);
        auto expect_buffers = [&](size_t count, bool at_least = false) {
            if (at_least ? n < count : n != count)
                fail(where, "has " + std::to_string(n) + " buffers, " + to_string(t) + " needs " +
                                (at_least ? "at least " : "") + std::to_string(count));
        };
        const size_t n_children = dict ? 0 : t.children.size();
        if (static_cast<size_t>(c.n_children) != n_children)
            fail(where, "has " + std::to_string(c.n_children) + " children, " + to_string(t) + " needs " +
                            std::to_string(n_children));
        if (dict && !c.dictionary) fail(where, "is dictionary-encoded but has no dictionary");
        if (!dict && c.dictionary) fail(where, "has a dictionary but its field is not dictionary-encoded");

        auto validity = [&]() { return buffer(c, 0, c.buffers[0] ? bitmap_bytes(end) : 0, true, where); };
        const detail::Layout layout = detail::layout_of(t);
        const int w = layout.offset_width;
        // An empty array's offsets may be absent; nothing reads them.
        auto offsets_size = [&]() { return c.length == 0 ? 0 : mul(end + 1, w, where); };
        using detail::LayoutKind;
        switch (layout.kind) {
            case LayoutKind::Null:
            case LayoutKind::RunEndEncoded:
            case LayoutKind::Unknown: expect_buffers(0); break;
            case LayoutKind::Bitmap:
                expect_buffers(2);
                a->buffers = {validity(), buffer(c, 1, bitmap_bytes(end), false, where)};
                break;
            case LayoutKind::FixedWidth:
                expect_buffers(2);
                a->buffers = {validity(), buffer(c, 1, mul(end, layout.value_width, where), false, where)};
                break;
            case LayoutKind::VarBinary: {
                expect_buffers(3);
                Buffer offsets = buffer(c, 1, offsets_size(), false, where);
                const int64_t data_size = c.length == 0 ? 0 : last_offset(c, w, end, where);
                a->buffers = {validity(), std::move(offsets), buffer(c, 2, data_size, false, where)};
                break;
            }
            case LayoutKind::BinaryView: {
                // validity, views, the variadic data buffers, and last the int64 sizes of those.
                expect_buffers(3, true);
                const size_t variadic = n - 3;
                a->buffers = {validity(), buffer(c, 1, mul(end, layout.value_width, where), false, where)};
                const auto* sizes = static_cast<const int64_t*>(c.buffers[n - 1]);
                if (variadic > 0 && !sizes) fail(where, "the variadic buffer sizes are missing");
                for (size_t k = 0; k < variadic; ++k) {
                    int64_t size;
                    std::memcpy(&size, sizes + k, 8);
                    if (size < 0) fail(where, "variadic buffer " + std::to_string(k) + " has negative size");
                    a->buffers.push_back(buffer(c, 2 + k, size, false, where));
                }
                break;
            }
            case LayoutKind::List:
                expect_buffers(2);
                a->buffers = {validity(), buffer(c, 1, offsets_size(), false, where)};
                break;
            case LayoutKind::ListView: {
                expect_buffers(3);
                const int64_t size = mul(end, w, where);
                a->buffers = {validity(), buffer(c, 1, size, false, where), buffer(c, 2, size, false, where)};
                break;
            }
            case LayoutKind::FixedSizeList:
            case LayoutKind::Struct:
                expect_buffers(1);
                a->buffers = {validity()};
                break;
            case LayoutKind::DenseUnion:
                expect_buffers(2);
                a->buffers = {buffer(c, 0, end, false, where), buffer(c, 1, mul(end, 4, where), false, where)};
                break;
            case LayoutKind::SparseUnion:
                expect_buffers(1);
                a->buffers = {buffer(c, 0, end, false, where)};
                break;
        }

        // The null count: -1 means "not computed"; types without a bitmap have their own rule.
        if (t.id == TypeId::Null)
            a->null_count = c.length;
        else if (!dict && (t.id == TypeId::Union || t.id == TypeId::RunEndEncoded))
            a->null_count = c.null_count < 0 ? 0 : c.null_count;
        else if (c.null_count >= 0)
            a->null_count = c.null_count;
        else
            a->null_count = a->buffers[0].empty() ? 0 : count_nulls(a->buffers[0], start, c.length);

        for (size_t k = 0; k < n_children; ++k) {
            const ArrowArray* child = c.children[k];
            if (!child || !child->release) fail(where, "child " + std::to_string(k) + " is missing or released");
            const Field& f = t.children[k];
            a->children.push_back(
                node(*child, f.type, f.dictionary ? &*f.dictionary : nullptr, where + "." + f.name, depth + 1));
        }
        if (dict) {
            if (!c.dictionary->release) fail(where, "the dictionary is released");
            a->dictionary = node(*c.dictionary, type, nullptr, where + " (dictionary)", depth + 1);
        }
        return a;
    }
};

// Owns a stream taken from a producer: released exactly once.
struct StreamGuard : detail::Taken<ArrowArrayStream> {
    explicit StreamGuard(ArrowArrayStream* from) : Taken(from, "ArrowArrayStream") {}

    [[noreturn]] void fail(const char* call, int code) {
        const char* message = s.get_last_error ? s.get_last_error(&s) : nullptr;
        throw Error(std::string("ArrowArrayStream ") + call + " failed with error " + std::to_string(code) + " (" +
                    std::strerror(code) + ")" + (message ? std::string(": ") + message : std::string()));
    }
};

}  // namespace

ArrayPtr import_array(ArrowArray* array, const Field& field) {
    const auto holder = take(array);
    const std::string where = field.name.empty() ? std::string("array") : field.name;
    Importer importer{holder};
    ArrayPtr out = importer.node(holder->s, field.type, field.dictionary ? &*field.dictionary : nullptr, where, 0);
    validate(*out, field.name, ValidationLevel::Full);
    return out;
}

RecordBatch import_record_batch(ArrowArray* array, std::shared_ptr<const Schema> schema) {
    const auto holder = take(array);
    if (!schema) throw InvalidArgument("import_record_batch: the schema is null");
    DataType top;
    top.id = TypeId::Struct;
    top.children = schema->fields;
    Importer importer{holder};
    const ArrayPtr s = importer.node(holder->s, top, nullptr, "record batch", 0);
    if (s->null_count != 0 || (!s->buffers[0].empty() && count_nulls(s->buffers[0], s->offset, s->length) != 0))
        throw FormatError("imported ArrowArray record batch: a record batch cannot have null rows");
    RecordBatch batch;
    batch.schema = std::move(schema);
    batch.length = s->length;
    for (const ArrayPtr& column : s->children) {
        // Children of a struct are indexed at the parent's offset; a batch has none, so slice.
        const bool whole = s->offset == 0 && column->length == s->length;
        if (!whole && column->length < s->offset + s->length)
            throw FormatError("imported ArrowArray record batch: a column has length " +
                              std::to_string(column->length) + ", need " + std::to_string(s->offset + s->length));
        batch.columns.push_back(whole ? column : slice(column, s->offset, s->length));
    }
    validate(batch, ValidationLevel::Full);
    return batch;
}

Table import_table(ArrowArrayStream* stream) {
    StreamGuard g(stream);
    if (!g.s.get_schema || !g.s.get_next) throw FormatError("ArrowArrayStream has no get_schema or get_next callback");
    ArrowSchema c_schema;
    c_schema.release = nullptr;
    if (const int code = g.s.get_schema(&g.s, &c_schema)) g.fail("get_schema", code);
    Table table;
    table.schema = std::make_shared<const Schema>(import_schema(&c_schema));
    while (true) {
        ArrowArray c_array;
        c_array.release = nullptr;
        if (const int code = g.s.get_next(&g.s, &c_array)) g.fail("get_next", code);
        if (!c_array.release) break;  // the end of the stream
        try {
            table.batches.push_back(import_record_batch(&c_array, table.schema));
        } catch (const FormatError& e) {
            throw FormatError("record batch " + std::to_string(table.batches.size()) + " of the stream: " + e.what());
        }
    }
    return table;
}

}  // namespace legolasflux::arrow
