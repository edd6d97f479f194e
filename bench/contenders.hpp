// The models the benchmark saves and loads, and every contender's save, load and open, side by side:
// LegolasFlux's own calls as a user writes them, LibTorch's torch::save / torch::load, and the
// physical limits (write() of the same bytes; read() of the file and memcpy into the tensors).
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/model.hpp"

namespace legolasflux::bench {

// One model size: `layers` Linear(dim, dim) layers with bias, float32.
struct ModelSpec {
    std::string label;  // "16m", "256m", "1g"
    int64_t dim = 0;
    int layers = 0;
    int default_reps = 0;
};
// The spec for "16m", "256m" or "1g"; InvalidArgument otherwise. Every size has the same number of
// layers (16, so 32 arrays) so that the cost of opening differs only by the bytes of the weights.
ModelSpec model_spec(const std::string& label);

enum class WeightValues {
    Bf16Rounded,  // normal(0, 0.02) rounded to bfloat16 precision: the low 16 bits of every float are 0
    Float32,      // normal(0, 0.02) at full float32 precision: close to incompressible
};

// A fresh model of `spec` whose every parameter holds `values` (fixed seed).
::torch::nn::Sequential make_model(const ModelSpec& spec, WeightValues values);
// Bytes of the model's weights (every parameter and buffer).
int64_t model_bytes(const ::torch::nn::Module& module);
// XXH3 of every weight's bytes, in fetch_weights order: equal fingerprints, equal weights.
uint64_t fingerprint(const ::torch::nn::Module& module);
// Sets every weight to 0, so that a load that did nothing is caught by the fingerprint.
void zero_weights(::torch::nn::Module& module);

// --- save -------------------------------------------------------------------------------------
// write_model_row(path, ModelV1{fetch_weights(module)}); `durable` fsyncs the file and its
// directory (temporary file renamed over the target).
void save_ours(const ::torch::nn::Module& module, const std::filesystem::path& path, bool durable,
               arrow::Compression compression = arrow::Compression::None);
// torch::save(module, path); with `fsync`, the file is then opened and fsynced (torch has no option).
void save_torch(const ::torch::nn::Sequential& module, const std::filesystem::path& path, bool fsync);
// `size` bytes holding every weight's bytes one after the other, in fetch_weights order, then
// zeros: what the write() limit writes and the read() limit reads back into the tensors.
std::unique_ptr<std::byte[]> model_image(const ::torch::nn::Module& module, int64_t size);
// The limit: write() of `size` bytes from one buffer already in memory, then fsync when asked.
void save_write(const std::byte* data, int64_t size, const std::filesystem::path& path, bool fsync);

// --- load into the existing model ---------------------------------------------------------------
// read_model_row(path) then load_weights(module, *row.weights); the row is dropped inside.
void load_ours(::torch::nn::Module& module, const std::filesystem::path& path, bool verify_checksums = true);
// torch::load(module, path).
void load_torch(::torch::nn::Sequential& module, const std::filesystem::path& path);
// The limit: read() the whole file (a model_image) into `buffer`, then memcpy each tensor's bytes
// out of it. The limit passes a buffer that is already resident (its pages touched), as the model's
// tensors are: what it measures is the copies, not the first touches of fresh pages, which cost
// more than the copies on some machines and which a mapping loader does not pay. With a null
// `buffer` a fresh one is allocated (and first touched by read()), for reference.
void load_read_memcpy(::torch::nn::Module& module, const std::filesystem::path& path, std::byte* buffer,
                      int64_t capacity);
// For reference (not a target): pread() each tensor's bytes of a model_image straight into the
// tensor, one copy.
void load_pread_tensors(::torch::nn::Module& module, const std::filesystem::path& path);

// --- open -------------------------------------------------------------------------------------
// read_model_row(path) with checksum verification off: nothing but the open.
ModelRow open_ours(const std::filesystem::path& path);

}  // namespace legolasflux::bench
