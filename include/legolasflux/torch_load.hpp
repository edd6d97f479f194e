// PyTorch's torch.save files (.pt, .pth) read by the library alone: no LibTorch, no Python, and no
// pickled code run. The counterpart of torch_save.hpp.
//
// Two layouts are read (docs/format.md, "PyTorch files"):
//   - the zip archive of torch.save since PyTorch 1.6: stored entries <prefix>/data.pkl (the
//     pickle) and <prefix>/data/<key> (each storage's bytes), zip64 or not; <prefix>/byteorder,
//     when present, must say "little";
//   - the legacy format (_use_new_zipfile_serialization=False, and every file before 1.6):
//     consecutive pickles — the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a
//     dict of system information (little_endian must be true), the object, the list of storage
//     keys — then, for each key in that list's order, an 8-byte little-endian element count and the
//     storage's bytes.
// TorchScript archives (torch.jit.save: they have constants.pkl and code/ records) are refused
// with an UnsupportedError saying so: their modules are read by the torch adapter
// (torch/pytorch_file.hpp), which `legolasflux convert` runs.
//
// The pickle is run by a machine that knows a few globals only — collections.OrderedDict (a dict),
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter (a tensor), torch.<Type>Storage (a
// storage's dtype), set and frozenset, _codecs.encode (bytes), torch.Size (a tuple) — and makes
// every other class an Object that records its class name and, when the pickle sets them, its
// attributes. Nothing a file names is imported or called. The file is hostile until checked: every
// offset, size, count and index is checked before use, values nest at most 1000 deep, a value that
// contains itself is refused, and each tensor must lie inside its storage. Errors are FormatError
// naming the path (UnsupportedError for what we recognise but do not read: complex or quantized
// storages, big-endian files, compressed zip entries, TorchScript archives); IoError when the
// file cannot be read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/buffer.hpp"
#include "legolasflux/safetensors.hpp"

namespace legolasflux {

struct TorchItem;

// A value of the pickled object tree.
struct TorchValue {
    enum class Kind : uint8_t {
        None,
        Bool,
        Int,     // `integer`
        BigInt,  // an integer outside int64: `text` holds its decimal digits
        Float,   // `number`
        String,  // `text`
        Bytes,   // `text` holds the bytes
        Tensor,  // `tensor`
        List,
        Tuple,
        Set,  // set and frozenset
        Dict,
        Object,  // a Python object we do not rebuild: `text` is its class ("torch.nn.modules.linear.Linear"), or
                 // the name of a class or function referred to by name ("torch.float32"); `items` its
                 // attributes when the pickle set them from a dict, else (key "args") the tuple of
                 // arguments it was made with, when there were any
    };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double number = 0;
    std::string text;
    // torch shape, dtype and contiguous row-major bytes (a view into the file when the tensor is
    // contiguous in its storage, else a copy); `name` is the tensor's key path in the tree.
    SafeTensor tensor;
    // Dict: its items in insertion order, keys as text (strings as they are; integers in decimal;
    // other keys as a Python-like literal). List, Tuple, Set: keys "0", "1", …
    std::vector<TorchItem> items;

    bool is_container() const noexcept {
        return kind == Kind::List || kind == Kind::Tuple || kind == Kind::Set || kind == Kind::Dict ||
               kind == Kind::Object;
    }
};

struct TorchItem {
    std::string key;
    TorchValue value;
};

struct TorchFile {
    TorchValue root;
    std::string format;  // "zip" or "legacy"
};

struct TorchReadOptions {
    // Tensors that are not contiguous in their storage (a transposed view, an expanded tensor) are
    // copied: at most this many bytes in all, so that a file of a few bytes cannot ask for
    // terabytes (a stride-0 tensor). 0: the file's size plus 1 GiB.
    int64_t max_copied_bytes = 0;
};

// What a file is, from its first bytes and (for a zip archive) its entries' names, without running
// its pickle: TorchScript archives are for the torch adapter, the others for read_torch_file.
// Unknown for anything else, including zip archives whose directory cannot be read (read_torch_file
// then says what is wrong). IoError when the file cannot be read.
enum class TorchFileKind : uint8_t { Zip, Legacy, TorchScript, Unknown };
TorchFileKind torch_file_kind(const std::filesystem::path& path);

// The whole tree of a torch.save file: the file's bytes (tensors are views into them when they
// can be), or the file at `path` (errors name it; mapped when it can be).
TorchFile read_torch_file(const arrow::Buffer& bytes, const TorchReadOptions& options = {});
TorchFile read_torch_file(const std::filesystem::path& path, const TorchReadOptions& options = {});

// The value at `key` (empty: the root). Dots separate keys of nested containers; since a key may
// itself hold dots (state dict names such as "encoder.0.weight"), at each level the longest run of
// dot-separated parts that is a key there is taken first, then shorter ones. InvalidArgument
// naming the part not found and the keys that were there. `where` names the file in errors.
const TorchValue& torch_value_at(const TorchValue& root, std::string_view key, std::string_view where);

// The key paths of every state dict in the tree — a non-empty dict whose values are all tensors —
// in file order, not looking inside state dicts or pickled objects ("" for the root itself).
std::vector<std::string> state_dict_keys(const TorchValue& root);

// The state dict at `key` (torch_value_at): its tensors in file order, named by their keys. A
// tensor stored under two names (the same storage, offset, shape and strides: tied weights) is
// kept once, at its first name, as the torch adapter's fetch_weights does. A value that is not a
// state dict is a FormatError saying what it is: for a dict, its keys, which of them are not
// tensors and where in it state dicts are; for a pickled object (torch.save(model)), its class
// and that model.state_dict() is what to save. `where` names the file.
std::vector<SafeTensor> state_dict(const TorchValue& root, std::string_view key, std::string_view where);

// "a dict of 3 items", "a tensor", "a torch.nn.modules.linear.Linear object", … for messages.
std::string describe(const TorchValue& value);

}  // namespace legolasflux
