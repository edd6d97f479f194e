// safetensors: the weights exchange format of the PyTorch / Hugging Face world, read and written
// by the library, and converted to and from model rows.
//
// The format (https://github.com/huggingface/safetensors): 8 bytes, the little-endian size N of
// the header; N bytes of UTF-8 JSON, an object mapping each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]} and the optional "__metadata__" object (string → string); then
// the data section, in which each tensor's bytes are [begin, end), row-major, little endian.
//
// Reading treats the file as hostile, as the Arrow reader does: the header size is capped, the
// JSON must be an object of exactly those fields (no duplicate keys, no other nesting), every
// dtype known, every shape's byte count equal to its offsets' span, and the tensors must cover the
// data section exactly — sorted by offset they start at 0, follow each other without gap or
// overlap and end at the end of the file. BOOL bytes must be 0 or 1. Each failure is a FormatError
// naming the tensor (UnsupportedError for dtypes of the format we do not read, e.g. F8_E4M3).
//
// Writing does what the reference writer does: tensors ordered by dtype alignment (largest first,
// in the reference's dtype order) then by name, offsets contiguous from 0, "__metadata__" first
// in the header, compact JSON padded with spaces so that the data starts at a multiple of 8 —
// every tensor's data is then aligned to its element size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/type.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux {

// The dtypes we read and write, in the reference implementation's order (increasing alignment).
enum class SafetensorsDtype : uint8_t { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::string_view dtype_name(SafetensorsDtype dtype) noexcept;  // "F32", "BF16", …
int dtype_size(SafetensorsDtype dtype) noexcept;                // bytes per element
// nullopt for names that are not one of ours (the reader then tells unsupported from unknown).
std::optional<SafetensorsDtype> parse_dtype(std::string_view name) noexcept;
// Our element type ↔ dtype. BF16 has no element type: it is read as Float32 (exactly), so
// element_type_for(BF16) is Float32.
SafetensorsDtype dtype_for(ElementType type) noexcept;
ElementType element_type_for(SafetensorsDtype dtype) noexcept;

struct SafeTensor {
    std::string name;
    SafetensorsDtype dtype = SafetensorsDtype::F32;
    std::vector<int64_t> shape;  // row-major (PyTorch, NumPy) order
    arrow::Buffer data;          // product(shape) * dtype_size bytes; a view into the file when read
};

struct SafetensorsFile {
    std::vector<SafeTensor> tensors;   // read: in data-offset order
    arrow::KeyValueMetadata metadata;  // "__metadata__"; read: sorted by key
};

struct SafetensorsReadOptions {
    // The largest header accepted, in bytes (the reference implementation's limit is 100 MB).
    int64_t max_header_size = 100'000'000;
};

SafetensorsFile read_safetensors(const arrow::Buffer& bytes, const SafetensorsReadOptions& options = {});
// Errors name the path.
SafetensorsFile read_safetensors(const std::filesystem::path& path, const SafetensorsReadOptions& options = {});

// InvalidArgument for files that cannot be written: duplicate or reserved ("__metadata__") names,
// duplicate metadata keys, data whose size does not match dtype and shape, names that are not UTF-8.
std::vector<uint8_t> write_safetensors(const SafetensorsFile& file);
// Replaces the file atomically, as arrow::write_file does (IoError naming the path; on error the
// previous file is untouched).
void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file);

// --- model rows ↔ safetensors --------------------------------------------------------------
//
// Tensors: one per array of the row's Weights, named by `weight_names` (rows without names get
// "weight_0001", "weight_0002", … — zero-padded to at least four digits, numbered from 1), with
// the torch shape (the FlatArray's Julia size reversed: the same bytes, as the torch adapter
// stores them) and the dtype of the Weights' element type.
//
// `__metadata__` keys (docs/cli.md, "convert"):
//   legolas_schema_qualified     the row's schema chain, e.g. "digits.model@1>legolas-flux.model@1"
//   legolasflux.weight_order     JSON array of the tensor names in the row's array order (the file
//                                stores them sorted, as the reference writer does)
//   legolasflux.weight_names     "stored" (the row has a weight_names column) or "generated"
//   legolasflux.columns          JSON array of {"name", "type", "nullable"}: every column of the row
//                                but weight_names, in order ("type" is "weights" for the weights)
//   legolasflux.schema_metadata  JSON array of [key, value]: the table's schema metadata, in order,
//                                when it holds more than legolas_schema_qualified
//   <column name>                the value of each scalar column (bool, integers, floats, strings)
//                                as text; absent when the value is missing. Floats are written in
//                                the shortest form that reads back to the same value.
// Columns of other types (lists, structs, …) cannot be expressed as metadata: UnsupportedError.
SafetensorsFile to_safetensors(const ModelRow& row);
// The name a row without weight_names gives its array `index` (0-based) of `count`: "weight_0001", ….
std::string generated_weight_name(size_t index, size_t count);

// The inverse. Files written by other tools (no legolasflux.* keys): arrays in data-offset order,
// named by the tensor names (stored as weight_names), every metadata key a string column, and the
// schema legolas-flux.model@1 unless legolas_schema_qualified says otherwise. Tensors of several
// dtypes are promoted to one element type as Julia's Weights does; BF16 becomes Float32 exactly.
// The table is validated against the most derived registered schema of its chain (SchemaError).
ModelRow from_safetensors(const SafetensorsFile& file);

// Writes a row as returned by from_safetensors or read_model_row: its table as it is (schema
// metadata included, except that the checksums under kChecksumsMetadataKey are recorded afresh),
// after validating it against row.schema_version.
void write_model_row(const std::filesystem::path& path, const ModelRow& row, const arrow::WriteOptions& ipc = {});

}  // namespace legolasflux
