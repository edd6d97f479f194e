// Private pieces of sharded checkpoints (sharded.hpp): the interval index over a tensor's chunks
// and the checks shared by saving and loading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/sharded.hpp"

namespace legolasflux::detail {

bool boxes_overlap(const ChunkBox& a, const ChunkBox& b) noexcept;
// The overlap of two boxes that overlap.
ChunkBox intersection(const ChunkBox& a, const ChunkBox& b);

// An interval index over boxes by their extent in dimension 0 (every box matches for 0-D tensors):
// the boxes sorted by start, under a tree of the largest end in each range of them, so that a
// query visits only the branches that can hold an overlap: O(log n + k) for k answers, where
// testing every box would be O(n).
class BoxIndex {
public:
    BoxIndex() = default;
    explicit BoxIndex(std::vector<ChunkBox> boxes);
    // Positions in the constructor's list of the boxes that overlap `box` (in every dimension),
    // ascending.
    std::vector<size_t> overlapping(const ChunkBox& box) const;
    const std::vector<ChunkBox>& boxes() const noexcept { return boxes_; }

private:
    std::vector<ChunkBox> boxes_;
    std::vector<size_t> order_;     // positions sorted by start in dimension 0
    std::vector<int64_t> starts_;   // starts in that order
    std::vector<int64_t> max_end_;  // a segment tree over order_: the largest end under each node
    void build(size_t node, size_t lo, size_t hi);
    void collect(size_t node, size_t lo, size_t hi, size_t limit, const ChunkBox& box, std::vector<size_t>& out) const;
    int64_t start(size_t i) const noexcept;
    int64_t end(size_t i) const noexcept;
};

// Checks that `chunks` (the boxes of one tensor, each already inside `global_shape` and not empty)
// tile it exactly: no two overlap and together they hold every element. InvalidArgument naming
// the tensor, the two chunks (with describe(i)) or the missing count.
void check_tiling(const std::string& tensor, std::span<const int64_t> global_shape, const BoxIndex& chunks,
                  const std::function<std::string(size_t)>& describe);
// The most elements a sharded tensor may have: their byte counts (8 bytes an element at most) and
// every sum of chunk sizes then fit in int64_t.
inline constexpr int64_t kMaxShardedElements = int64_t{1} << 60;
// Checks that no dimension is negative and that the shape has at most kMaxShardedElements elements;
// InvalidArgument with `what` first.
void check_shape(const std::string& what, std::span<const int64_t> shape);
// Checks `global_shape` (check_shape) and that `box` lies in it (same rank, inside); InvalidArgument
// with `what` first.
void check_box(const std::string& what, std::span<const int64_t> global_shape, const ChunkBox& box);

// "[2, 0] + [3, 4]"
std::string describe_box(const ChunkBox& box);
std::string describe_shape(std::span<const int64_t> shape);

int64_t shape_element_count(std::span<const int64_t> shape) noexcept;

// Removes what sharded saves and deletions that died left directly in `run_dir`: the pending
// directories ".<step name>.pending" (pending_step_dir) and the deleted steps ".<step name>.deleting"
// (retention renames a step so before removing it); never a symbolic link. Returns their names;
// IoError when one cannot be removed.
std::vector<std::string> remove_pending_sharded_steps(const std::filesystem::path& run_dir);

// The step of a sharded step directory's name ("step-0000000042.sharded"; 10 digits at least, as
// sharded_step_name spells it), or nothing for any other name.
std::optional<int64_t> sharded_step_of(std::string_view name);

// The element type of a Julia name ("Float32"); FormatError for another name.
ElementType element_type_named(const std::string& name);

// Bool is bit-packed in Arrow, so its chunks have no byte ranges of their own.
void check_shardable(const std::string& tensor, ElementType type);

// Copies the elements of `region` (inside both boxes) from `from` (the values of box `from_box`,
// row-major) to `to` (the values of `to_box`).
void copy_region(const ChunkBox& region, const ChunkBox& from_box, const uint8_t* from, const ChunkBox& to_box,
                 uint8_t* to, int element_size);

}  // namespace legolasflux::detail
