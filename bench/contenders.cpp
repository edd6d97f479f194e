#include "contenders.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <memory>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/weights.hpp"
#include "system.hpp"

namespace legolasflux::bench {

namespace lft = legolasflux::torch;

ModelSpec model_spec(const std::string& label) {
    // 16 layers of dim x dim + dim floats: 16 MiB + 32 KiB, 256 MiB + 128 KiB, 1 GiB + 256 KiB.
    if (label == "16m") return {label, 512, 16, 5};
    if (label == "256m") return {label, 2048, 16, 5};
    if (label == "1g") return {label, 4096, 16, 3};
    throw InvalidArgument("unknown model size '" + label + "' (16m, 256m or 1g)");
}

::torch::nn::Sequential make_model(const ModelSpec& spec, WeightValues values) {
    ::torch::manual_seed(20240607);
    ::torch::nn::Sequential model;
    for (int i = 0; i < spec.layers; ++i) model->push_back(::torch::nn::Linear(spec.dim, spec.dim));
    ::torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
        p.normal_(0.0, 0.02);
        if (values == WeightValues::Bf16Rounded) p.copy_(p.to(::torch::kBFloat16));
    }
    return model;
}

int64_t model_bytes(const ::torch::nn::Module& module) {
    int64_t bytes = 0;
    for (const auto& t : lft::named_weights(module)) bytes += static_cast<int64_t>(t.tensor.nbytes());
    return bytes;
}

uint64_t fingerprint(const ::torch::nn::Module& module) {
    XXH3_state_t* state = XXH3_createState();
    if (state == nullptr || XXH3_64bits_reset(state) != XXH_OK) throw std::bad_alloc();
    for (const auto& t : lft::named_weights(module)) {
        const at::Tensor c = t.tensor.contiguous();
        XXH3_64bits_update(state, c.data_ptr(), c.nbytes());
    }
    const uint64_t h = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    return h;
}

void zero_weights(::torch::nn::Module& module) {
    ::torch::NoGradGuard no_grad;
    for (auto& t : lft::named_weights(module)) t.tensor.zero_();
}

std::unique_ptr<std::byte[]> model_image(const ::torch::nn::Module& module, int64_t size) {
    std::unique_ptr<std::byte[]> image(new std::byte[static_cast<size_t>(size)]);
    int64_t offset = 0;
    for (const auto& t : lft::named_weights(module)) {
        const at::Tensor c = t.tensor.contiguous();
        const auto n = static_cast<int64_t>(c.nbytes());
        if (offset + n > size) throw InvalidArgument("bench: the model does not fit in its image");
        std::memcpy(image.get() + offset, c.data_ptr(), static_cast<size_t>(n));
        offset += n;
    }
    std::memset(image.get() + offset, 0, static_cast<size_t>(size - offset));
    return image;
}

void save_ours(const ::torch::nn::Module& module, const std::filesystem::path& path, bool durable,
               arrow::Compression compression) {
    ModelWriteOptions options;
    options.ipc.durable = durable;
    options.ipc.compression = compression;
    ModelV1 row;
    row.weights = lft::fetch_weights(module);
    write_model_row(path, row, options);
}

void save_torch(const ::torch::nn::Sequential& module, const std::filesystem::path& path, bool fsync) {
    ::torch::save(module, path.string());
    if (fsync) {
        fsync_file(path);
        fsync_directory_of(path);
    }
}

void save_write(const std::byte* data, int64_t size, const std::filesystem::path& path, bool fsync) {
    write_bytes(path, data, size, fsync);
}

void load_ours(::torch::nn::Module& module, const std::filesystem::path& path, bool verify_checksums) {
    ModelReadOptions options;
    options.verify_checksums = verify_checksums;
    lft::load_weights(module, path, {}, options);
}

void load_torch(::torch::nn::Sequential& module, const std::filesystem::path& path) {
    ::torch::load(module, path.string());
}

void load_read_memcpy(::torch::nn::Module& module, const std::filesystem::path& path, std::byte* resident,
                      int64_t capacity) {
    const int64_t size = bytes_in_file(path);
    std::unique_ptr<std::byte[]> fresh;  // new[] leaves its pages untouched: read() touches them
    if (resident == nullptr)
        fresh.reset(new std::byte[static_cast<size_t>(size)]);
    else if (capacity < size)
        throw InvalidArgument("bench: the read buffer is smaller than " + path.string());
    std::byte* buffer = resident ? resident : fresh.get();
    read_into(path, buffer, size);
    // The file holds the tensors' bytes one after the other from its start (model_image).
    int64_t offset = 0;
    for (auto& t : lft::named_weights(module)) {
        const auto n = static_cast<int64_t>(t.tensor.nbytes());
        if (offset + n > size) throw InvalidArgument("bench: " + path.string() + " is smaller than the model");
        std::memcpy(t.tensor.data_ptr(), buffer + offset, static_cast<size_t>(n));
        offset += n;
    }
}

void load_pread_tensors(::torch::nn::Module& module, const std::filesystem::path& path) {
    const int64_t size = bytes_in_file(path);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path, "cannot open");
    try {
        int64_t offset = 0;
        for (auto& t : lft::named_weights(module)) {
            const auto n = static_cast<int64_t>(t.tensor.nbytes());
            if (offset + n > size) throw InvalidArgument("bench: " + path.string() + " is smaller than the model");
            pread_into(fd, static_cast<std::byte*>(t.tensor.data_ptr()), n, offset, path);
            offset += n;
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

ModelRow open_ours(const std::filesystem::path& path) {
    ModelReadOptions options;
    options.verify_checksums = false;
    return read_model_row(path, options);
}

}  // namespace legolasflux::bench
