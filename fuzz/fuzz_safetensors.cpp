// read_safetensors on hostile bytes, then the conversion to a model row and back. An accepted file
// must hold tensors whose bytes match dtype and shape, must be writable, and must read back the
// same; from_safetensors must end in a valid row or a legolasflux::Error, and so must the way back.
#include <algorithm>
#include <map>

#include "fuzz_common.hpp"
#include "legolasflux/safetensors_model.hpp"

namespace {

using namespace legolasflux;

void same_file(const SafetensorsFile& a, const SafetensorsFile& b) {
    if (a.tensors.size() != b.tensors.size()) lffuzz::finding("written and read back, the tensor count differs");
    std::map<std::string, const SafeTensor*> by_name;
    for (const auto& t : b.tensors) by_name[t.name] = &t;
    for (const auto& t : a.tensors) {
        auto it = by_name.find(t.name);
        if (it == by_name.end()) lffuzz::finding("written and read back, a tensor is gone: " + t.name);
        const SafeTensor& u = *it->second;
        if (u.dtype != t.dtype || u.shape != t.shape || !arrow::same_bytes(u.data, t.data))
            lffuzz::finding("written and read back, tensor " + t.name + " differs");
    }
    auto sorted = [](arrow::KeyValueMetadata m) {
        std::sort(m.begin(), m.end());
        return m;
    };
    if (sorted(a.metadata) != sorted(b.metadata)) lffuzz::finding("written and read back, the metadata differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const arrow::Buffer bytes = lffuzz::input_buffer(data, size);
    lffuzz::check([&] { return read_safetensors(bytes); },
                  [&](const SafetensorsFile& file) {
                      for (const auto& t : file.tensors) {
                          int64_t count = 1;
                          for (int64_t d : t.shape) count *= d;
                          if (count * dtype_size(t.dtype) != t.data.size())
                              lffuzz::finding("accepted tensor " + t.name + " has bytes that do not match its shape");
                      }
                      SafetensorsFile back;
                      try {
                          back = read_safetensors(lffuzz::exact_copy(write_safetensors(file)));
                      } catch (const std::exception& e) {
                          lffuzz::finding(std::string("an accepted file cannot be written and read back: ") + e.what());
                      }
                      same_file(file, back);
                      lffuzz::check([&] { return from_safetensors(file); },
                                    [&](const ModelRow& row) {
                                        lffuzz::exercise(row.table);
                                        lffuzz::check([&] { return to_safetensors(row); },
                                                      [](const SafetensorsFile&) {});
                                    });
                  });
    return 0;
}
