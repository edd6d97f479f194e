// read_torch_file on hostile bytes: the zip reader, both layouts of torch.save, the pickle machine
// and the tensors' checks against their storages (src/model/torch_load.cpp). It must end in a tree
// or a legolasflux::Error; every tensor of the tree holds exactly its shape's bytes, and the state
// dicts found can be taken out.
#include "fuzz_common.hpp"
#include "legolasflux/torch_load.hpp"

namespace {

using namespace legolasflux;

void check_tensors(const TorchValue& v) {
    if (v.kind == TorchValue::Kind::Tensor) {
        int64_t count = 1;
        for (int64_t d : v.tensor.shape) count *= d;
        if (count * dtype_size(v.tensor.dtype) != v.tensor.data.size())
            lffuzz::finding("a tensor whose bytes do not match its shape: " + v.tensor.name);
    }
    for (const auto& item : v.items) check_tensors(item.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Small budgets: the fuzzer should not spend its memory on strided copies.
    const auto bytes = arrow::Buffer::copy_of(data, static_cast<int64_t>(size));
    lffuzz::check([&] { return read_torch_file(bytes, {.max_copied_bytes = 1 << 20}); },
                  [](const TorchFile& file) {
                      check_tensors(file.root);
                      for (const auto& key : state_dict_keys(file.root)) (void)state_dict(file.root, key, "fuzz");
                      (void)describe(file.root);
                  });
    return 0;
}
