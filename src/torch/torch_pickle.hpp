// A reader for the pickles inside the zip archives Python's torch.save writes (protocols 2 to 5):
// enough of Python's pickle machine to rebuild a dict of tensors, and nothing that runs code.
//
// Only these globals mean something: collections.OrderedDict (a dict), torch._utils.
// _rebuild_tensor_v2 and _rebuild_parameter (a tensor), and torch.<T>Storage (a storage's dtype).
// Any other global called with REDUCE becomes an opaque object, so a file can never make us do
// more than build plain values. Every count, index and size read from the file is checked before
// it is used; errors are FormatError.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace legolasflux::torch::detail {

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
// A storage named by a persistent id: the zip record data/<key> holds its bytes.
struct PickleStorage {
    std::string dtype;  // the storage class name: "FloatStorage", "BFloat16Storage", …
    std::string key;
    int64_t numel = 0;
};
struct PickleTensor {
    std::shared_ptr<PickleStorage> storage;
    int64_t offset = 0;
    std::vector<int64_t> sizes, strides;
};
// The result of calling a global we do not interpret.
struct PickleObject {
    std::string type;
};

struct PickleValue {
    std::variant<PickleNone, bool, int64_t, double, std::string, PickleGlobal, PickleTuple, PickleList, PickleDict,
                 std::shared_ptr<PickleStorage>, PickleTensor, PickleObject>
        value;
};

// Runs the pickle `bytes` and returns the value it leaves. `where` names the input in errors.
PicklePtr unpickle(std::string_view bytes, const std::string& where);

// "a dict", "a tensor", … for messages.
std::string describe(const PickleValue& value);

}  // namespace legolasflux::torch::detail
