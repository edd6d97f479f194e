// Sharded checkpoints with LibTorch: each rank of a c10d process group saves the chunks of the
// tensors it holds and loads the chunks it wants, whatever the number of ranks that saved them.
//
//   namespace lft = legolasflux::torch;
//   std::vector<lft::ShardedTensor> tensors = {
//       lft::row_sharded("fc1.weight", fc1->weight, {4096, 1024}, rank, world),
//       lft::column_sharded("fc2.weight", fc2->weight, {1024, 4096}, rank, world),
//       lft::replicated("fc2.bias", fc2->bias),
//   };
//   lft::save_sharded(run / legolasflux::sharded_step_name(step), tensors, step, *group);
//   ...
//   lft::load_sharded(run / legolasflux::sharded_step_name(step), tensors, *group);  // into the tensors
//
// The files, the index and the commit are the model layer's (legolasflux/sharded.hpp,
// docs/format.md "Sharded checkpoints"). What travels between ranks is small and is Arrow: each
// rank's plan and its written chunks, as legolas-flux.shard-index@1 rows, gathered with c10d
// allgather.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <span>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <vector>

#include "legolasflux/checkpoints.hpp"
#include "legolasflux/sharded.hpp"

namespace legolasflux::torch {

struct TensorChunk {
    ChunkBox box;
    at::Tensor tensor;  // CPU, of the box's shape; saves read it, loads write into it
};
// A rank's part of one global tensor.
struct ShardedTensor {
    std::string name;
    std::vector<int64_t> global_shape;  // row-major, as LibTorch's sizes()
    std::vector<TensorChunk> chunks;
    bool replicated = false;  // held whole (one chunk), possibly by several ranks: saved once
};

// `local` is rank's part of an even split of dimension 0 (row_sharded) or 1 (column_sharded) of a
// tensor of `global_shape` over `world_size` ranks (row_split / column_split); ShapeError when its
// shape is not that part's.
ShardedTensor row_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                          int world_size);
ShardedTensor column_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                             int world_size);
// `local` (1-D) is rank's part of an even split of the flattened tensor (flat_split): FSDP's flat
// shards. Its chunks are views of it.
ShardedTensor flat_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                           int world_size);
// A tensor every rank that has it holds whole.
ShardedTensor replicated(std::string name, const at::Tensor& whole);

// Saves every rank's chunks as the step directory `step_dir` (each rank calls it, with the same
// path and step). Returns on every rank once the step is committed. Any rank's failure — an
// exception, a killed process, a rank that does not arrive within the group's timeout — fails the
// save on every rank that is still running, and nothing is committed: the pending directory is
// removed (or, when rank 0 itself died, removed by the next save of the step) and the run
// directory's committed steps stay as they were. The error names the rank that failed. A rank
// whose own step failed rethrows its own exception.
void save_sharded(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors, int64_t step,
                  c10d::ProcessGroup& group, const ShardedSaveOptions& options = {});

// The same as a step of a run directory (README, "Training checkpoints"): the step is written at
// run_dir / sharded_step_name(step), and once committed, rank 0's CheckpointManager records it and
// applies retention (which deletes old steps, sharded or not). Rank 0 passes the manager it has
// open on run_dir (one manager per directory: it holds the lock); every other rank passes nullptr.
void save_sharded(CheckpointManager* run, const std::filesystem::path& run_dir, std::span<const ShardedTensor> tensors,
                  int64_t step, c10d::ProcessGroup& group, const ShardedSaveOptions& options = {});

// Fills every chunk's tensor (CPU, contiguous, of the saved element type) from the step directory,
// reading only the saved chunks that overlap them. With a group, a failure on any rank fails the
// load on every rank (so that none goes on with a half-loaded model); without one, it is local.
// Nothing is written into a tensor unless every chunk of this rank could be read and verified.
void load_sharded(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors,
                  c10d::ProcessGroup* group = nullptr, const ShardedLoadOptions& options = {});
inline void load_sharded(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors,
                         c10d::ProcessGroup& group, const ShardedLoadOptions& options = {}) {
    load_sharded(step_dir, tensors, &group, options);
}

// The model layer's description of what a rank holds (the tensors' memory, not copied).
RankShards rank_shards(std::span<const ShardedTensor> tensors, int rank, int world_size);

}  // namespace legolasflux::torch
