// read_safetensors_shards on a hostile index (model.safetensors.index.json) beside two fixed, valid
// shards, then the way back. An accepted checkpoint must hold each tensor once, total_size the sum of
// its tensors' bytes; written again as shards and read back it must be the same; from_safetensors
// must end in a valid row or a legolasflux::Error.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "fuzz_common.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/safetensors_shards.hpp"

namespace {

using namespace legolasflux;
namespace fs = std::filesystem;

// A directory of this process holding the shards an index may name: a-00001-of-00002.safetensors
// (x: F32 [2], y: I64 []) and a-00002-of-00002.safetensors (z: BF16 [3], __metadata__ format and k).
const fs::path& shard_dir() {
    static const fs::path dir = [] {
        const fs::path d = fs::temp_directory_path() / ("legolasflux_fuzz_index_" + std::to_string(::getpid()));
        fs::create_directories(d / "again");
        SafetensorsFile one, two;
        one.tensors = {{"x", SafetensorsDtype::F32, {2}, arrow::Buffer::copy_of(std::vector<float>{1, -2})},
                       {"y", SafetensorsDtype::I64, {}, arrow::Buffer::copy_of(std::vector<int64_t>{7})}};
        two.tensors = {{"z", SafetensorsDtype::BF16, {3}, arrow::Buffer::copy_of(std::vector<uint16_t>{1, 2, 3})}};
        two.metadata = {{"format", "pt"}, {"k", "v"}};
        write_safetensors(d / "a-00001-of-00002.safetensors", one);
        write_safetensors(d / "a-00002-of-00002.safetensors", two);
        return d;
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const fs::path index = shard_dir() / "a.safetensors.index.json";
    std::ofstream(index, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    lffuzz::check(
        [&] { return read_safetensors_shards(index); },
        [&](const SafetensorsShards& read) {
            std::set<std::string> names;
            int64_t bytes = 0;
            for (const SafeTensor& t : read.file.tensors) {
                if (!names.insert(t.name).second) lffuzz::finding("accepted tensor twice: " + t.name);
                bytes += t.data.size();
            }
            if (bytes != read.total_size) lffuzz::finding("total_size is not the tensors' bytes");
            // The same checkpoint written by us and read back: the same tensors and metadata.
            SafetensorsShards back;
            try {
                write_safetensors_shards(shard_dir() / "again" / "b.safetensors.index.json", read.file, 8);
                back = read_safetensors_shards(shard_dir() / "again" / "b.safetensors.index.json");
            } catch (const std::exception& e) {
                lffuzz::finding(std::string("an accepted checkpoint cannot be written and read back: ") + e.what());
            }
            std::map<std::string, const SafeTensor*> by_name;
            for (const SafeTensor& t : back.file.tensors) by_name[t.name] = &t;
            if (by_name.size() != read.file.tensors.size()) lffuzz::finding("written back, tensors differ");
            for (const SafeTensor& t : read.file.tensors) {
                const auto it = by_name.find(t.name);
                if (it == by_name.end() || it->second->dtype != t.dtype || it->second->shape != t.shape ||
                    !arrow::same_bytes(it->second->data, t.data))
                    lffuzz::finding("written back, tensor " + t.name + " differs");
            }
            if (back.file.metadata != read.file.metadata) lffuzz::finding("written back, metadata differs");
            lffuzz::check([&] { return from_safetensors(read.file); },
                          [&](const ModelRow& row) { lffuzz::exercise(row.table); });
        });
    return 0;
}
