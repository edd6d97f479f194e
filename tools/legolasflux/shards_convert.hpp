// Hugging Face sharded checkpoints in the CLI (model.safetensors.index.json and its shards): the
// pieces `convert` and `inspect` call (shards_convert.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "legolasflux/safetensors.hpp"

namespace legolasflux::cli {

// "5GB" (10^9), "500MiB" (2^20), "123" or "123B" (bytes); decimals that make whole bytes ("1.5GB").
// Anything else is a CLI::ValidationError of --shard-size (exit 2).
int64_t parse_shard_size(const std::string& text);
// Writes `file` as shards beside `index` and the index; what the conversion line adds: ", 3 shards
// of at most … bytes (…)". Errors without a path get the index's.
std::string write_shards(const std::string& index, const SafetensorsFile& file, int64_t shard_size);
// `inspect INDEX [--json]`: the shards, their tensors (dtype, shape, bytes), the metadata and totals.
void inspect_safetensors_index(const std::string& index, bool json);

}  // namespace legolasflux::cli
