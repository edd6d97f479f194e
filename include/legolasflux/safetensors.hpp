// safetensors: the weights exchange format of the PyTorch / Hugging Face world, read and written
// by the library (the file codec; safetensors_model.hpp converts files to and from model rows).
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
#include "legolasflux/weights.hpp"

namespace legolasflux {

// The dtypes we read and write, in the reference implementation's order (increasing alignment).
enum class SafetensorsDtype : uint8_t { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::string_view dtype_name(SafetensorsDtype dtype) noexcept;  // "F32", "BF16", …
int dtype_size(SafetensorsDtype dtype) noexcept;               // bytes per element
// nullopt for names that are not one of ours (the reader then tells unsupported from unknown).
std::optional<SafetensorsDtype> parse_dtype(std::string_view name) noexcept;
// Our element type ↔ dtype (BF16 ↔ BFloat16; from_safetensors widens BF16 to Float32 unless
// asked not to).
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
    // Minimal: everything above but the values, so that every tensor's bytes are where the header
    // says; Full (the default) also checks that BOOL bytes are 0 or 1 (which reads them).
    arrow::ValidationLevel validation = arrow::ValidationLevel::Full;
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

}  // namespace legolasflux
