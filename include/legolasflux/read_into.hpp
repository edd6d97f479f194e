// Reading a model file's weights into memory the caller already holds — a model's tensors —
// instead of into buffers of their own. For an uncompressed file that is one copy out of the
// mapped file, as read_model_row + a copy; for a compressed one (ModelWriteOptions::ipc.compression)
// the values are decoded straight into place, part by part on every core, with no decoded copy of
// the model in between. torch::load_weights(module, path) is built on it.
//
//     legolasflux::OpenModelRow open = legolasflux::open_model_row("model.arrow");
//     // open.row: every column but the weights' values; open.arrays: each array's type and size
//     std::vector<std::span<uint8_t>> into = ...;  // open.arrays->at(i).byte_count bytes each
//     legolasflux::read_weights_into(open, into);
//
// Loads stay transactional for damaged files. A compressed file written by this library records a
// checksum of every byte of the file (docs/format.md, "Integrity": nothing is left out when the
// values are compressed), which open_model_row verifies: damage is found before any destination is
// written, and the values are then decoded once, straight into place, their own checksum verified
// as they are. Only a file whose checksums were forged, or written wrong, to match values that do
// not decode or do not match could fail after that — a CorruptionError that says the destinations
// were partly written. A file without that checksum, or opened with verify_metadata off, is
// decoded twice — every part first into scratch memory, checked, then into place — so that it
// cannot fail after the first destination byte.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "legolasflux/model.hpp"

namespace legolasflux {

// One array of a row's weights, without its values.
struct ArrayLayout {
    ElementType element_type = ElementType::Float32;
    std::vector<int64_t> size;  // Julia dimension order
    int64_t byte_count = 0;     // what its values take: element count x element size
};

// A model file read and checked up to its weight values.
struct OpenModelRow {
    // The row as read_model_row gives it (schema, checks of the metadata checksum and of every
    // other Weights column), except that `row.weights` is nullopt: read the weights with
    // read_weights_into or read_weights. In `row.table`, the weights column's values may be
    // placeholders that fault when read.
    ModelRow row;
    // The weights' arrays, in order; nullopt when the row's weights are missing.
    std::optional<std::vector<ArrayLayout>> arrays;
    // The file's bytes and what is left to decode (private).
    std::shared_ptr<const void> state;
};

// Reads the model file at `path` as read_model_row does, leaving large compressed weight values
// (8 MiB and more) undecoded. Errors as read_model_row's.
OpenModelRow open_model_row(const std::filesystem::path& path, const ModelReadOptions& options = {});
// The same from the bytes of a model file (or stream) in memory, which the result keeps alive.
OpenModelRow open_model_row(const arrow::Buffer& bytes, const ModelReadOptions& options = {});

// Writes the values of array i into destinations[i] (exactly arrays[i].byte_count bytes, the
// values column-major as FlatArray holds them), on `threads` threads (0: one per core). A
// destination count or size that does not match is an InvalidArgument; values that do not decode
// are a FormatError, and values whose checksum does not match a CorruptionError (unless the row was
// opened with verify_checksums off), as read_model_row reports them — and then no destination has
// been written (but for forged files, above). Destinations must not overlap.
void read_weights_into(const OpenModelRow& open, std::span<const std::span<uint8_t>> destinations, int threads = 0);

// The weights as read_model_row gives them (decoded into buffers of their own, checksums verified
// as the options of open_model_row say); nullopt when they are missing.
std::optional<Weights> read_weights(const OpenModelRow& open, int threads = 0);

}  // namespace legolasflux
