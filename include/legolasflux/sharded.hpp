// Sharded checkpoints: a model split across ranks, saved as one shard file per rank and one index
// table, committed atomically, and loaded by any number of ranks with any partition.
//
// This header is the model layer's part, without a process group: the geometry of chunks, the
// shard and index schemas, and the steps of a save and a load as plain functions. One process can
// save or load every rank's shards with save_sharded / load_sharded (tools, tests); the torch
// adapter (legolasflux/torch/sharded.hpp) runs the same steps on every rank of a c10d process group.
//
// A step directory, "step-<step, 10 digits>.sharded" (sharded_step_name), holds
//   shard-<rank, 5 digits>-of-<world size, 5 digits>.arrow   one legolas-flux.shard@1 row per rank
//   index.arrow                                              legolas-flux.shard-index@1, a row per chunk
// It is written as ".step-<10 digits>.sharded.pending" and renamed into place once every shard file
// and the index are durable: a step directory exists only when complete (docs/format.md, "Sharded
// checkpoints").
//
// Shapes and offsets are in row-major (C, LibTorch) dimension order; a chunk's values are its
// elements in row-major order. In a shard row each chunk is an ordinary FlatArray, whose size is
// that shape reversed (Julia's order), as everywhere else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "legolasflux/model.hpp"

namespace legolasflux {

// A box of a tensor: its offset and its shape per dimension (row-major order).
struct ChunkBox {
    std::vector<int64_t> offset;
    std::vector<int64_t> shape;
    int64_t element_count() const noexcept;
    friend bool operator==(const ChunkBox&, const ChunkBox&) = default;
};

// --- Partitions -----------------------------------------------------------------------------------

// The whole tensor.
ChunkBox whole_box(std::span<const int64_t> global_shape);
// Rank `rank`'s part of an even split of dimension `dim` over `world_size` ranks: the first
// (extent % world_size) ranks get one index more. row_split is dimension 0, column_split dimension 1
// (of a 2-D or larger tensor). Ranks past the extent get an empty box (zero elements).
ChunkBox split_box(std::span<const int64_t> global_shape, int dim, int rank, int world_size);
inline ChunkBox row_split(std::span<const int64_t> global_shape, int rank, int world_size) {
    return split_box(global_shape, 0, rank, world_size);
}
inline ChunkBox column_split(std::span<const int64_t> global_shape, int rank, int world_size) {
    return split_box(global_shape, 1, rank, world_size);
}
// An even split of the flattened tensor (FSDP's flat shards): rank `rank` holds the elements
// [begin, end) of the row-major order, which are the boxes `boxes`, in that order, each a
// contiguous run of them (at most 2 × dimensions - 1 boxes).
struct FlatSplit {
    int64_t begin = 0, end = 0;
    std::vector<ChunkBox> boxes;
};
FlatSplit flat_split(std::span<const int64_t> global_shape, int rank, int world_size);
// The boxes of the elements [begin, end) of the row-major order.
std::vector<ChunkBox> flat_range_boxes(std::span<const int64_t> global_shape, int64_t begin, int64_t end);

// --- What a rank holds ----------------------------------------------------------------------------

struct ShardChunk {
    ChunkBox box;
    arrow::Buffer values;  // the box's elements, row-major: a view of the caller's memory is enough
};
struct ShardTensor {
    std::string name;
    ElementType element_type = ElementType::Float32;
    std::vector<int64_t> global_shape;
    std::vector<ShardChunk> chunks;  // empty boxes are left out of the checkpoint
    // Held whole by this rank and possibly by others too (a bias, a LayerNorm): one chunk, the
    // whole box; written once, by one of the ranks that hold it.
    bool replicated = false;
};
struct RankShards {
    int rank = 0;
    int world_size = 1;
    std::vector<ShardTensor> tensors;
};

// --- Schemas --------------------------------------------------------------------------------------

// A rank's shard file: a model row (Julia reads its weights) whose arrays are chunks; per array
// (weight_names gives the tensor's name) the tensor's global shape and the chunk's offset.
struct ShardV1 : ModelV1 {
    int64_t step = 0;
    int64_t rank = 0;
    int64_t world_size = 1;
    std::vector<std::vector<int64_t>> global_shapes;
    std::vector<std::vector<int64_t>> chunk_offsets;
};
LEGOLAS_RECORD_EXTENDS(ShardV1, "legolas-flux.shard", 1, legolasflux::ModelV1, step, rank, world_size, global_shapes,
                       chunk_offsets);

// One row per saved chunk: where its values are (file, the array's index in the file's weights,
// the byte range of its values in the file) and their checksum ("xxh3-64-chunked" of those bytes,
// 16 hex digits, as docs/format.md "Integrity" defines it).
struct ShardIndexV1 {
    std::string tensor;
    std::string element_type;  // Julia's name: "Float32"
    std::vector<int64_t> global_shape;
    std::vector<int64_t> chunk_offset;
    std::vector<int64_t> chunk_shape;
    bool replicated = false;
    int64_t rank = 0;  // the rank that wrote it
    std::string file;
    int64_t array_index = 0;
    int64_t byte_offset = 0;
    int64_t byte_length = 0;
    std::string checksum;
};
LEGOLAS_RECORD(ShardIndexV1, "legolas-flux.shard-index", 1, tensor, element_type, global_shape, chunk_offset,
               chunk_shape, replicated, rank, file, array_index, byte_offset, byte_length, checksum);

inline constexpr std::string_view kShardIndexFile = "index.arrow";
// "step-0000000042.sharded"
std::string sharded_step_name(int64_t step);
// "shard-00001-of-00004.arrow"
std::string shard_file_name(int rank, int world_size);
// Whether `dir` is a sharded step directory (holds kShardIndexFile).
bool is_sharded_step(const std::filesystem::path& dir);
// The committed sharded steps of a run directory (directories named sharded_step_name(step) that
// hold an index), ascending; none when `run_dir` does not exist.
std::vector<int64_t> sharded_steps(const std::filesystem::path& run_dir);

// --- Saving, step by step -------------------------------------------------------------------------
//
// Every rank: plan = shard_plan(shards); [all plans gathered, in rank order]
//             save_plan = make_save_plan(plans)          (the same on every rank, or the same error)
//             written = write_shard_file(pending, save_plan, shards, step, options)
// Rank 0:     [every rank's `written` gathered] write_shard_index(pending, written);
//             commit_sharded_step(pending, step_dir)
// The plans and results are Arrow IPC streams of legolas-flux.shard-index@1 rows: what a process
// group sends between ranks is Arrow, never pickle.

struct ShardedSaveOptions {
    bool durable = true;  // fsync each file, the index and the directories
    int threads = 0;      // threads hashing and writing (0: one per core)
};

// The index rows of what `shards` holds (no file, byte range or checksum yet), as bytes.
// InvalidArgument when a chunk does not fit its tensor or its values, or the tensors are
// inconsistent (names, element types, Bool elements).
std::vector<uint8_t> shard_plan(const RankShards& shards);

// Every rank's plan, checked together: one element type; each tensor's global shape the same on
// every rank; its chunks tiling it exactly (no overlap, no gap); a replicated tensor whole on every
// rank that holds it, and written by one of them (spread over them by name). InvalidArgument naming
// the tensor and the ranks otherwise.
struct SavePlan {
    int world_size = 1;
    std::vector<ShardIndexV1> chunks;  // every rank's non-empty chunks, writer assigned (rank)
};
SavePlan make_save_plan(std::span<const std::vector<uint8_t>> plans);

// Writes this rank's shard file into `dir` (durably when asked): the chunks the plan gives this
// rank to write, in plan order. Returns their index rows, complete, as bytes.
std::vector<uint8_t> write_shard_file(const std::filesystem::path& dir, const SavePlan& plan, const RankShards& shards,
                                      int64_t step, const ShardedSaveOptions& options = {});

// Writes the index of every rank's written chunks (every rank's write_shard_file result) into `dir`.
void write_shard_index(const std::filesystem::path& dir, std::span<const std::vector<uint8_t>> written,
                       const ShardedSaveOptions& options = {});

// The directory a save of `step_dir` is written in before the commit (its sibling).
std::filesystem::path pending_step_dir(const std::filesystem::path& step_dir);
// Removes whatever a failed save left at pending_step_dir(step_dir), and creates it empty.
void begin_sharded_step(const std::filesystem::path& step_dir);
// Renames the pending directory to `step_dir`, durably: after this returns, the step is committed.
// IoError when `step_dir` already exists (a step is never overwritten in place).
void commit_sharded_step(const std::filesystem::path& step_dir, bool durable = true);
// Removes the pending directory of `step_dir` (after a failed save); for up to a second, again
// while a rank still adding its shard file there keeps it from going.
void abandon_sharded_step(const std::filesystem::path& step_dir) noexcept;

// All of it in one process, for every rank's shards (`ranks` in rank order).
void save_sharded(const std::filesystem::path& step_dir, std::span<const RankShards> ranks, int64_t step,
                  const ShardedSaveOptions& options = {});

// --- Loading ----------------------------------------------------------------------------------------

// A step directory's index, read and checked (every tensor tiled exactly by its chunks, byte ranges
// within their files' sizes), with an interval index over each tensor's chunks.
class ShardIndex {
public:
    explicit ShardIndex(const std::filesystem::path& step_dir);
    const std::filesystem::path& dir() const noexcept { return dir_; }
    const std::vector<ShardIndexV1>& chunks() const noexcept { return rows_; }
    // Tensor names, sorted.
    std::vector<std::string> tensors() const;
    // The index's row for `name`'s first chunk (element type, global shape); InvalidArgument when
    // the checkpoint has no such tensor.
    const ShardIndexV1& tensor(const std::string& name) const;
    // Its element type, as an ElementType; InvalidArgument as above.
    ElementType element_type(const std::string& name) const;
    // The indices into chunks() of `name`'s chunks that overlap `box`, found through the interval
    // index (not by testing every chunk).
    std::vector<size_t> overlapping(const std::string& name, const ChunkBox& box) const;

private:
    struct Tensor;
    std::filesystem::path dir_;
    std::vector<ShardIndexV1> rows_;
    std::vector<std::shared_ptr<const Tensor>> tensors_;  // sorted by name
};

// What a rank wants: boxes of a tensor, each with the memory its values go to (row-major).
struct WantedChunk {
    ChunkBox box;
    std::span<uint8_t> destination;  // box.element_count() × the element size bytes
};
struct WantedTensor {
    std::string name;
    ElementType element_type = ElementType::Float32;
    std::vector<int64_t> global_shape;
    std::vector<WantedChunk> chunks;
};

struct ShardedLoadOptions {
    bool verify_checksums = true;
    int threads = 0;
};
// The byte ranges a load read, per file (for tests and for curious users).
struct ShardReadRange {
    std::string file;
    int64_t offset = 0, length = 0;
    friend bool operator==(const ShardReadRange&, const ShardReadRange&) = default;
};

// Fills every wanted chunk. First checks every tensor (known, element type, global shape, boxes
// inside it) and reads and verifies every saved chunk that overlaps a wanted one — only those
// byte ranges of the shard files, mapped — then copies: on any error (ShapeError, InvalidArgument,
// CorruptionError naming the file and tensor, IoError) no destination has been written.
std::vector<ShardReadRange> load_sharded(const ShardIndex& index, std::span<const WantedTensor> wanted,
                                         const ShardedLoadOptions& options = {});

// Writes the whole model of a sharded step as one ordinary legolas-flux.model@1 row: tensors in
// name order, each whole, names in weight_names. Julia reads it like any model row.
void consolidate_sharded(const std::filesystem::path& step_dir, const std::filesystem::path& out,
                         const ModelWriteOptions& options = {});

}  // namespace legolasflux
