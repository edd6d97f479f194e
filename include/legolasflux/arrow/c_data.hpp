// The Arrow C data interface and C stream interface: hand our arrays, record batches and tables to
// another Arrow implementation in the same process (Arrow C++, pyarrow, DuckDB, Polars, nanoarrow…)
// without copying, and take theirs.
//
// Export never copies values: each exported ArrowArray's private data holds shared references to
// our buffers, and its release callback drops exactly those references (plus the small arrays of
// pointers we allocated for the struct). Every child and dictionary ArrowArray/ArrowSchema owns its
// own references, so a consumer may move a child out and release it after the parent.
//
// Import never copies values either: the imported ArrowArray is moved into a holder shared by every
// Buffer of the result, and its release callback runs exactly once, when the last of those buffers
// is dropped. The C interface carries no buffer sizes, so they are computed from the type, length
// and offset (variable-length data from the last offset), and every imported array is then fully
// validated (legolasflux/arrow/validate.hpp) before it is returned. Import functions take
// ownership of their argument: it is marked released on return, whether they succeed or throw.
//
// The C interface carries no dictionary ids: imported dictionary-encoded fields are numbered 0, 1, …
// in depth-first order (a field before the fields nested in it).
#pragma once

#include <cstdint>
#include <memory>

#include "legolasflux/arrow/array.hpp"

// The ABI structs, as specified by Arrow; the guards let other libraries' identical definitions
// coexist with ours in one translation unit.
extern "C" {

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char* format;
    const char* name;
    const char* metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema** children;
    struct ArrowSchema* dictionary;
    void (*release)(struct ArrowSchema*);
    void* private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void** buffers;
    struct ArrowArray** children;
    struct ArrowArray* dictionary;
    void (*release)(struct ArrowArray*);
    void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
    int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
    const char* (*get_last_error)(struct ArrowArrayStream*);
    void (*release)(struct ArrowArrayStream*);
    void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE

}  // extern "C"

namespace legolasflux::arrow {

// ---- Export: `out` is overwritten (it must not hold an unreleased struct); on error it is left
// untouched and the exception says why (UnsupportedError for what the C interface cannot express,
// such as 128-bit integers or big-endian data; FormatError for an array inconsistent with itself).

// A type alone (no dictionary encoding: that belongs to a field); the name is empty.
void export_type(const DataType& type, ArrowSchema* out);
// A field: its name, type, nullability, metadata and dictionary encoding.
void export_field(const Field& field, ArrowSchema* out);
// A schema as a struct type ("+s") whose children are the fields, with the schema's metadata.
void export_schema(const Schema& schema, ArrowSchema* out);
// An array, zero-copy. A dictionary-encoded array's dictionary goes to `out->dictionary`; its type
// must be described by a field (export_field) on the consumer side.
void export_array(const ArrayPtr& array, ArrowArray* out);
// A record batch as a struct array of its columns (describe it with export_schema).
void export_record_batch(const RecordBatch& batch, ArrowArray* out);
// A table as a stream: get_schema gives its schema, get_next one record batch per call, then a
// released array at the end. Errors are reported as errno codes with get_last_error's message.
void export_table(const Table& table, ArrowArrayStream* out);

// ---- Import: each function takes ownership of its argument (marked released when it returns or
// throws). A malformed struct is a FormatError, a type we do not implement an UnsupportedError.

DataType import_type(ArrowSchema* schema);
Field import_field(ArrowSchema* schema);
// A struct type ("+s") as a schema: its children are the fields, its metadata the schema's.
Schema import_schema(ArrowSchema* schema);
// An array of `field`'s type (and dictionary encoding), zero-copy and fully validated.
ArrayPtr import_array(ArrowArray* array, const Field& field);
// A struct array as a record batch of `schema`: no nulls at the top; a non-zero offset slices the
// columns.
RecordBatch import_record_batch(ArrowArray* array, std::shared_ptr<const Schema> schema);
// Reads a stream to its end: the schema, then every batch. A failing callback is an Error carrying
// the error code and the producer's get_last_error message.
Table import_table(ArrowArrayStream* stream);

}  // namespace legolasflux::arrow
