// A reader for the pickles Python's torch.save writes (protocols 2 to 5; private to the model
// layer, used by torch_load.cpp): enough of Python's pickle machine to rebuild the values of a
// checkpoint, and nothing that runs code.
//
// Only these globals mean something: collections.OrderedDict (a dict), torch._utils.
// _rebuild_tensor_v2, _rebuild_tensor and _rebuild_parameter (a tensor), torch.<T>Storage (a
// storage's dtype), set / frozenset, _codecs.encode (bytes) and torch.Size (a tuple). Any other
// global called (REDUCE, NEWOBJ, NEWOBJ_EX) becomes an opaque object that records its class and
// the state BUILD gives it, so a file can never make us do more than build plain values. Every
// count, index and size read from the file is checked before it is used; errors are FormatError.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace legolasflux::detail {

struct PickleValue;
using PicklePtr = std::shared_ptr<PickleValue>;

struct PickleNone {};
struct PickleGlobal {
    std::string module, name;
};
struct PickleTuple {
    std::vector<PicklePtr> items;
};
struct PickleList {
    std::vector<PicklePtr> items;
};
struct PickleDict {
    std::vector<std::pair<PicklePtr, PicklePtr>> items;  // in insertion order
};
struct PickleSet {
    std::vector<PicklePtr> items;
};
struct PickleBytes {
    std::string bytes;
};
// An integer beyond int64 (LONG1, LONG4): its two's-complement bytes, little-endian.
struct PickleBigInt {
    std::string bytes;
};
// A storage named by a persistent id: the zip record data/<key> (or the legacy format's storage
// `key`) holds its bytes; a legacy view is `numel` elements from element `offset` of that storage.
struct PickleStorage {
    std::string dtype;  // the storage class name: "FloatStorage", "BFloat16Storage", …
    std::string key;
    int64_t numel = 0;
    int64_t offset = 0;
};
struct PickleTensor {
    std::shared_ptr<PickleStorage> storage;
    int64_t offset = 0;
    std::vector<int64_t> sizes, strides;
};
// The result of calling a global we do not interpret: `args`, the tuple it was called with;
// `state`, what BUILD gave it (null if none).
struct PickleObject {
    std::string type;
    PicklePtr args, state;
};

struct PickleValue {
    std::variant<PickleNone, bool, int64_t, double, std::string, PickleGlobal, PickleTuple, PickleList, PickleDict,
                 std::shared_ptr<PickleStorage>, PickleTensor, PickleObject, PickleSet, PickleBytes, PickleBigInt>
        value;
};

// Runs the pickle at the start of `bytes` and returns the value it leaves; `consumed` (if given)
// receives the bytes up to and including its STOP (the legacy format puts pickles one after the
// other). `where` names the input in errors.
PicklePtr unpickle(std::string_view bytes, const std::string& where, size_t* consumed = nullptr);

// "a dict", "a tensor", … for messages.
std::string describe(const PickleValue& value);

// The values `value` holds directly: a container's items (a dict's keys and values in turn), an
// object's arguments and state.
std::vector<const PickleValue*> children(const PickleValue& value);

}  // namespace legolasflux::detail
