// Reading a model file with the large compressed values of its weights left undecoded: for a
// reader that decodes them straight into memory of its own (read_into.cpp, on every core) or does
// not look at them (verify without values). Built on the Arrow layer's pluggable decompressor
// (arrow/ipc_body.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_body.hpp"

namespace legolasflux::detail {

// A compressed buffer a read left undecoded: decode `frame` with `codec` into
// `placeholder.size()` bytes (arrow/decompress.hpp) and use them where the array has `placeholder`
// (a reserved_address_space, so that reading a value before it is decoded faults at once instead
// of giving wrong numbers).
struct DeferredBuffer {
    std::string path;  // the field's path
    arrow::Compression codec = arrow::Compression::None;
    arrow::Buffer frame;  // the compressed bytes, after the length prefix (a view into the input)
    arrow::Buffer placeholder;
};

// What to leave undecoded, and what was: the values of integer and floating-point arrays inside the
// weights column that claim at least `from` bytes.
struct Deferral {
    int64_t from = int64_t{8} << 20;
    std::vector<DeferredBuffer> buffers;  // in the order the read met them
};

// `options` with a decompressor that defers what `deferral` says into `deferral.buffers` and
// decodes everything else. `deferral` must outlive the reads made with the result.
arrow::ReadOptions deferring(arrow::ReadOptions options, Deferral& deferral);

}  // namespace legolasflux::detail
