// Hugging Face sharded safetensors checkpoints: an index file, "model.safetensors.index.json", and
// shards beside it, "model-00001-of-00003.safetensors", … (what transformers' save_pretrained and
// huggingface_hub's split_state_dict_into_shards write for models past max_shard_size). The shards
// are ordinary safetensors files (safetensors.hpp, read with its checks); the index is JSON:
//
//   {"metadata": {"total_size": <bytes of every tensor's data, headers not counted>, …},
//    "weight_map": {"<tensor name>": "<shard file name>", …}}
//
// The codec works on SafetensorsFile, as safetensors.hpp does, and knows nothing of model rows:
// from_safetensors(read_safetensors_shards(index).file) is the checkpoint as one model row, and
// write_safetensors_shards(index, to_safetensors(row), size) writes a row (safetensors_model.hpp:
// names, original dtypes from weight_dtypes, the other columns and the schema in the metadata).
//
// Reading treats every file as hostile. The index: JSON of exactly that shape (no duplicate keys,
// nesting bounded, at most SafetensorsReadOptions::max_header_size bytes), every shard a relative
// path without ".." (a path leaving the index's directory is a FormatError). Then each shard file
// named by the weight_map is read (a missing one is an IoError naming it and the index) and must
// hold exactly the tensors the weight_map gives it: a tensor of the map missing from its shard, a
// tensor of a shard that the map does not name, or one in two shards is a FormatError naming the
// files and the tensor; so is a total_size (when present) other than the sum of the tensors' bytes.
//
// Metadata, as the row sees it (SafetensorsShards::file.metadata, sorted by key): the index's
// "metadata" entries but total_size (strings as they are, other JSON values as their JSON text, e.g.
// transformers' "total_parameters": 12345 as "12345"), and the shards' own "__metadata__" entries
// but "format" (the {"format": "pt"} every shard carries for transformers' loader is the files', not
// the model's; writing puts it back). A key with two different values (two shards, or a shard and
// the index) is a FormatError. Writing puts every metadata entry into the index's "metadata", as a
// string, beside total_size; so a row's columns and schema (to_safetensors' keys) live in the index.
//
// Order. Read: the shards in the byte order of their file names (Hugging Face's zero-padded
// numbering makes that the order they were written in), each shard's tensors in data-offset order,
// as read_safetensors gives them — for files written elsewhere there is nothing better: the
// weight_map is sorted by name (json.dumps(sort_keys=True)) and each shard by dtype then name. A
// file written here keeps the row's order in legolasflux.weight_order, which from_safetensors uses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/safetensors.hpp"

namespace legolasflux {

// Hugging Face's default max_shard_size, "5GB" (decimal).
inline constexpr int64_t kDefaultShardSize = 5'000'000'000;
// How an index file's name ends; the shards are named after what precedes it.
inline constexpr std::string_view kSafetensorsIndexSuffix = ".safetensors.index.json";

// One shard file of a checkpoint.
struct SafetensorsShard {
    std::string file;                  // its path relative to the index's directory, as the weight_map has it
    std::vector<std::string> tensors;  // its tensors' names: read, in data-offset order; written, in order
    int64_t bytes = 0;                 // its tensors' data bytes (the file's header not counted)
};

struct SafetensorsShards {
    std::vector<SafetensorsShard> shards;  // read: by file name; written: in the order of the tensors
    SafetensorsFile file;                  // read: every tensor (order above) and the metadata (above)
    int64_t total_size = 0;                // the bytes of every tensor's data
    std::vector<std::string> removed;      // written: stale shards of an earlier write that were removed
};

// Whether a path names an index file (its name ends in kSafetensorsIndexSuffix).
bool is_safetensors_index(const std::filesystem::path& path);

// The checkpoint of the index at `index`, its shards beside it. `options` apply to every shard; the
// index may be max_header_size bytes long.
SafetensorsShards read_safetensors_shards(const std::filesystem::path& index,
                                          const SafetensorsReadOptions& options = {});

// Writes `file`'s tensors, in order, into shards beside `index`, and then the index: a shard holds
// tensors until adding the next would take its data past `shard_size` bytes; a tensor larger than
// `shard_size` is a shard of its own. (Hugging Face's splitter gives such a tensor its own shard but
// carries on filling the previous one; here shards keep the tensors' order.) Shards are named
// "<stem>-<k, 5 digits>-of-<n, 5 digits>.safetensors", the stem being the index's file name without
// kSafetensorsIndexSuffix ("model.safetensors.index.json" → "model-00001-of-00003.safetensors"), even
// for one shard; each shard's "__metadata__" is {"format": "pt"}, as transformers' loader requires;
// the index, JSON indented by 2 with sorted keys as transformers writes it, holds total_size, every
// entry of `file.metadata` and the weight_map.
//
// Crash safety. Everything that can be refused is checked before the disk is touched (InvalidArgument:
// a shard_size under 1, an index name without the suffix, two tensors of one name, data that does not
// match its shape, a metadata key "total_size" or given twice, names that are not UTF-8). Each file is
// replaced atomically (write_safetensors), the shards first, the index last, so an index never names
// a shard that is not complete. When the index already at `index` names a shard about to be written
// (or cannot be read), it is removed first: an old index never names a shard whose content changed
// under it (a failure then leaves no index, and the shards written so far); otherwise it stays valid
// until the new one replaces it. Once the new index is in place, files of the
// directory named "<stem>-<digits>-of-<digits>.safetensors" that it does not name — shards of an
// earlier write with a different count — are removed, as transformers' save_pretrained does
// (SafetensorsShards::removed); files of other names are left alone. The directory must exist.
SafetensorsShards write_safetensors_shards(const std::filesystem::path& index, const SafetensorsFile& file,
                                           int64_t shard_size = kDefaultShardSize);

}  // namespace legolasflux
