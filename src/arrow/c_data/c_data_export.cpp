// Export of arrays, record batches and tables through the Arrow C data and stream interfaces.
// Zero-copy: each ArrowArray points into our buffers and its private data holds a reference to the
// Array that owns them.
#include <cerrno>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "c_data_private.hpp"
#include "core/layout.hpp"
#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

// Stands in for our empty buffers. Null pointers are allowed for zero-sized buffers by the spec,
// but not every consumer accepts them (older Arrow C++ and Go did not), and an empty array's
// offsets buffer must still hold its one zero offset for consumers that read it.
alignas(64) const uint8_t kZeros[64] = {};

struct ArrayPrivate {
    ArrayPtr array;                       // keeps every buffer of this node alive
    std::vector<int64_t> variadic_sizes;  // view types: the sizes of the data buffers, the spec's last buffer
    std::vector<const void*> buffers;
    std::vector<ArrowArray> children;
    std::vector<ArrowArray*> child_pointers;
    ArrowArray dictionary{};
};

void release_array(ArrowArray* a) { detail::release_node<ArrowArray, ArrayPrivate>(a); }

// Fills `out` from `array` (already validated). On error `out` is left released.
void fill(const ArrayPtr& array, ArrowArray* out) {
    const Array& a = *array;
    auto p = std::make_unique<ArrayPrivate>();
    p->array = array;
    const detail::Layout layout = detail::layout_of(a.type);
    const bool views = !a.dictionary && layout.variadic();
    const bool validity = a.dictionary || Array::has_validity_bitmap(a.type.id);
    for (size_t i = 0; i < a.buffers.size(); ++i) {
        const Buffer& b = a.buffers[i];
        if (i == 0 && validity)
            p->buffers.push_back(b.empty() ? nullptr : b.data());  // null: no nulls
        else
            p->buffers.push_back(b.empty() ? kZeros : b.data());
    }
    int64_t offset = a.offset;
    // Our empty arrays may leave their offsets buffer empty whatever their offset; exported they
    // start at 0, where kZeros provides the single offset the format asks for.
    const bool has_offsets = layout.kind == detail::LayoutKind::VarBinary || layout.kind == detail::LayoutKind::List;
    if (a.length == 0 && !a.dictionary && has_offsets && a.buffers[1].empty()) offset = 0;
    if (views) {
        for (size_t i = 2; i < a.buffers.size(); ++i) p->variadic_sizes.push_back(a.buffers[i].size());
        p->buffers.push_back(p->variadic_sizes.empty() ? static_cast<const void*>(kZeros) : p->variadic_sizes.data());
    }
    p->children.resize(a.children.size());
    for (ArrowArray& c : p->children) {
        c.release = nullptr;
        p->child_pointers.push_back(&c);
    }

    out->length = a.length;
    out->null_count = a.null_count;
    out->offset = offset;
    out->n_buffers = static_cast<int64_t>(p->buffers.size());
    out->n_children = static_cast<int64_t>(a.children.size());
    out->buffers = p->buffers.empty() ? nullptr : p->buffers.data();
    out->children = p->child_pointers.empty() ? nullptr : p->child_pointers.data();
    out->dictionary = a.dictionary ? &p->dictionary : nullptr;
    out->release = release_array;
    ArrayPrivate* raw = p.release();
    out->private_data = raw;
    try {
        for (size_t k = 0; k < a.children.size(); ++k) fill(a.children[k], &raw->children[k]);
        if (a.dictionary) fill(a.dictionary, &raw->dictionary);
    } catch (...) {
        release_array(out);
        throw;
    }
}

// ---- the stream ----

struct StreamPrivate {
    Table table;
    size_t next = 0;
    std::string last_error;
};

// The errno code a failure is reported with, and its message kept for get_last_error.
int report(StreamPrivate* p) {
    try {
        throw;
    } catch (const std::bad_alloc& e) {
        p->last_error = e.what();
        return ENOMEM;
    } catch (const UnsupportedError& e) {
        p->last_error = e.what();
        return ENOSYS;
    } catch (const FormatError& e) {
        p->last_error = e.what();
        return EINVAL;
    } catch (const InvalidArgument& e) {
        p->last_error = e.what();
        return EINVAL;
    } catch (const std::exception& e) {
        p->last_error = e.what();
        return EIO;
    } catch (...) {
        p->last_error = "unknown error";
        return EIO;
    }
}

int stream_get_schema(ArrowArrayStream* s, ArrowSchema* out) {
    auto* p = static_cast<StreamPrivate*>(s->private_data);
    try {
        export_schema(*p->table.schema, out);
        p->last_error.clear();
        return 0;
    } catch (...) {
        return report(p);
    }
}

int stream_get_next(ArrowArrayStream* s, ArrowArray* out) {
    auto* p = static_cast<StreamPrivate*>(s->private_data);
    try {
        if (p->next == p->table.batches.size()) {
            out->release = nullptr;  // the end of the stream
        } else {
            RecordBatch batch = p->table.batches[p->next];
            batch.schema = p->table.schema;  // checked against the table's schema, whatever it carried
            export_record_batch(batch, out);
            ++p->next;
        }
        p->last_error.clear();
        return 0;
    } catch (...) {
        try {
            const std::string what = "record batch " + std::to_string(p->next);
            const int code = report(p);
            p->last_error = what + ": " + p->last_error;
            return code;
        } catch (...) {
            return ENOMEM;
        }
    }
}

const char* stream_get_last_error(ArrowArrayStream* s) {
    auto* p = static_cast<StreamPrivate*>(s->private_data);
    return p->last_error.empty() ? nullptr : p->last_error.c_str();
}

void stream_release(ArrowArrayStream* s) {
    if (!s || !s->release) return;
    delete static_cast<StreamPrivate*>(s->private_data);
    s->private_data = nullptr;
    s->release = nullptr;
}

}  // namespace

void export_array(const ArrayPtr& array, ArrowArray* out) {
    if (!array) throw InvalidArgument("export_array: the array is null");
    // A consumer trusts the buffers to be as large as length and offset say; make sure they are.
    validate(*array, "", ValidationLevel::Minimal);
    ArrowArray a;
    fill(array, &a);
    *out = a;
}

void export_record_batch(const RecordBatch& batch, ArrowArray* out) {
    validate(batch, ValidationLevel::Minimal);
    auto top = std::make_shared<Array>();
    top->type.id = TypeId::Struct;
    top->type.children = batch.schema->fields;
    top->length = batch.length;
    top->buffers = {Buffer()};
    top->children = batch.columns;
    ArrowArray a;
    fill(top, &a);
    *out = a;
}

void export_table(const Table& table, ArrowArrayStream* out) {
    if (!table.schema) throw InvalidArgument("export_table: the table has no schema");
    if (table.schema->endianness != Endianness::Little)
        throw UnsupportedError("cannot export a big-endian table: the C data interface is native-endian");
    auto p = std::make_unique<StreamPrivate>();
    p->table = table;
    out->get_schema = stream_get_schema;
    out->get_next = stream_get_next;
    out->get_last_error = stream_get_last_error;
    out->release = stream_release;
    out->private_data = p.release();
}

}  // namespace legolasflux::arrow
