// The geometry of sharded checkpoints: boxes, partitions, the interval index, tiling checks,
// and copies between boxes (sharded.hpp, sharded_internal.hpp).
#include <algorithm>
#include <charconv>
#include <cstring>

#include "legolasflux/errors.hpp"
#include "sharded_internal.hpp"

namespace legolasflux {

int64_t ChunkBox::element_count() const noexcept { return detail::shape_element_count(shape); }

ChunkBox whole_box(std::span<const int64_t> global_shape) {
    return {std::vector<int64_t>(global_shape.size(), 0),
            std::vector<int64_t>(global_shape.begin(), global_shape.end())};
}

namespace {

void check_world(int rank, int world_size) {
    if (world_size < 1 || rank < 0 || rank >= world_size)
        throw InvalidArgument("rank " + std::to_string(rank) + " is not a rank of a world of size " +
                              std::to_string(world_size));
}

// [begin, end) of `extent` for `rank` of an even split: the first extent % world ranks one more.
std::pair<int64_t, int64_t> even_part(int64_t extent, int rank, int world_size) {
    const int64_t base = extent / world_size, extra = extent % world_size;
    const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace

ChunkBox split_box(std::span<const int64_t> global_shape, int dim, int rank, int world_size) {
    check_world(rank, world_size);
    if (dim < 0 || static_cast<size_t>(dim) >= global_shape.size())
        throw InvalidArgument("cannot split dimension " + std::to_string(dim) + " of a tensor of shape " +
                              detail::describe_shape(global_shape));
    ChunkBox box = whole_box(global_shape);
    const auto [begin, end] = even_part(global_shape[static_cast<size_t>(dim)], rank, world_size);
    box.offset[static_cast<size_t>(dim)] = begin;
    box.shape[static_cast<size_t>(dim)] = end - begin;
    return box;
}

std::vector<ChunkBox> flat_range_boxes(std::span<const int64_t> global_shape, int64_t begin, int64_t end) {
    const int64_t total = detail::shape_element_count(global_shape);
    if (begin < 0 || end < begin || end > total)
        throw InvalidArgument("the flat range [" + std::to_string(begin) + ", " + std::to_string(end) +
                              ") is not inside a tensor of shape " + detail::describe_shape(global_shape));
    std::vector<ChunkBox> out;
    if (begin == end) return out;
    if (global_shape.empty()) return {ChunkBox{}};
    // Peel the range dimension by dimension: at each level the part before the first boundary of
    // an index of the next-outer dimension and the part after the last one are boxes of this level;
    // what lies between is whole indices of the outer dimension, left to the next level.
    const size_t n = global_shape.size();
    std::vector<int64_t> stride(n, 1);  // elements per index of dimension d
    for (size_t d = n - 1; d > 0; --d) stride[d - 1] = stride[d] * global_shape[d];
    auto box_of = [&](size_t d, int64_t from, int64_t count) {
        // `count` whole blocks of dimension d starting at flat element `from` (a multiple of stride[d]).
        ChunkBox b;
        b.offset.resize(n, 0);
        b.shape.assign(global_shape.begin(), global_shape.end());
        int64_t rest = from;
        for (size_t k = 0; k < n; ++k) {
            b.offset[k] = rest / stride[k];
            rest %= stride[k];
        }
        for (size_t k = 0; k < d; ++k) b.shape[k] = 1;
        b.shape[d] = count;
        return b;
    };
    // From the innermost dimension out; at level d, lo and hi are multiples of stride[d].
    std::vector<ChunkBox> tail;
    int64_t lo = begin, hi = end;
    for (size_t d = n; d-- > 0 && lo < hi;) {
        const int64_t block = d == 0 ? total : stride[d - 1];  // one index of dimension d - 1
        if (lo / block == (hi - 1) / block) {                  // within one index of dimension d - 1: one box
            out.push_back(box_of(d, lo, (hi - lo) / stride[d]));
            break;
        }
        const int64_t first_boundary = (lo + block - 1) / block * block;
        const int64_t last_boundary = hi / block * block;
        if (lo < first_boundary) out.push_back(box_of(d, lo, (first_boundary - lo) / stride[d]));
        if (last_boundary < hi) tail.push_back(box_of(d, last_boundary, (hi - last_boundary) / stride[d]));
        lo = first_boundary;
        hi = last_boundary;
    }
    out.insert(out.end(), tail.rbegin(), tail.rend());
    return out;
}

FlatSplit flat_split(std::span<const int64_t> global_shape, int rank, int world_size) {
    check_world(rank, world_size);
    const auto [begin, end] = even_part(detail::shape_element_count(global_shape), rank, world_size);
    return {begin, end, flat_range_boxes(global_shape, begin, end)};
}

std::string sharded_step_name(int64_t step) {
    if (step < 0) throw InvalidArgument("a checkpoint step is not negative: " + std::to_string(step));
    std::string digits = std::to_string(step);
    if (digits.size() < 10) digits.insert(0, 10 - digits.size(), '0');
    return "step-" + digits + ".sharded";
}

std::optional<int64_t> detail::sharded_step_of(std::string_view name) {
    constexpr std::string_view prefix = "step-", suffix = ".sharded";
    if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
    const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    int64_t step = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    // Only the canonical spelling (10 digits at least, no extra zeros) names a step.
    if (sharded_step_name(step) != name) return std::nullopt;
    return step;
}

std::string shard_file_name(int rank, int world_size) {
    check_world(rank, world_size);
    auto pad = [](int v) {
        std::string s = std::to_string(v);
        if (s.size() < 5) s.insert(0, 5 - s.size(), '0');
        return s;
    };
    return "shard-" + pad(rank) + "-of-" + pad(world_size) + ".arrow";
}

}  // namespace legolasflux

namespace legolasflux::detail {

int64_t shape_element_count(std::span<const int64_t> shape) noexcept {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    return n;
}

std::string describe_shape(std::span<const int64_t> shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string describe_box(const ChunkBox& box) { return describe_shape(box.offset) + " + " + describe_shape(box.shape); }

bool boxes_overlap(const ChunkBox& a, const ChunkBox& b) noexcept {
    if (a.offset.size() != b.offset.size()) return false;
    for (size_t d = 0; d < a.offset.size(); ++d)
        if (a.offset[d] >= b.offset[d] + b.shape[d] || b.offset[d] >= a.offset[d] + a.shape[d]) return false;
    return a.element_count() > 0 && b.element_count() > 0;
}

ChunkBox intersection(const ChunkBox& a, const ChunkBox& b) {
    ChunkBox out;
    for (size_t d = 0; d < a.offset.size(); ++d) {
        const int64_t lo = std::max(a.offset[d], b.offset[d]);
        const int64_t hi = std::min(a.offset[d] + a.shape[d], b.offset[d] + b.shape[d]);
        out.offset.push_back(lo);
        out.shape.push_back(std::max<int64_t>(0, hi - lo));
    }
    return out;
}

void check_shape(const std::string& what, std::span<const int64_t> shape) {
    int64_t n = 1;
    for (const int64_t d : shape) {
        if (d < 0) throw InvalidArgument(what + ": negative dimension in " + describe_shape(shape));
        if (__builtin_mul_overflow(n, d, &n) || n > kMaxShardedElements)
            throw InvalidArgument(what + ": the shape " + describe_shape(shape) + " has more than 2^60 elements");
    }
}

void check_box(const std::string& what, std::span<const int64_t> global_shape, const ChunkBox& box) {
    check_shape(what, global_shape);
    bool ok = box.offset.size() == global_shape.size() && box.shape.size() == global_shape.size();
    for (size_t d = 0; ok && d < global_shape.size(); ++d)
        ok = box.offset[d] >= 0 && box.shape[d] >= 0 && box.offset[d] <= global_shape[d] - box.shape[d];
    if (!ok)
        throw InvalidArgument(what + ": the chunk " + describe_box(box) + " is not inside the tensor's shape " +
                              describe_shape(global_shape));
}

ElementType element_type_named(const std::string& name) {
    for (int t = 0; t <= static_cast<int>(ElementType::BFloat16); ++t)
        if (element_type_name(static_cast<ElementType>(t)) == name) return static_cast<ElementType>(t);
    throw FormatError("unknown element type '" + name + "'");
}

void check_shardable(const std::string& tensor, ElementType type) {
    if (type == ElementType::Bool)
        throw InvalidArgument("tensor '" + tensor +
                              "': Bool tensors cannot be sharded (Arrow packs booleans into bits, so a chunk has no "
                              "byte range of its own); store them as UInt8");
}

BoxIndex::BoxIndex(std::vector<ChunkBox> boxes) : boxes_(std::move(boxes)) {
    order_.resize(boxes_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return start(a) < start(b); });
    for (const size_t i : order_) starts_.push_back(start(i));
    if (!order_.empty()) {
        max_end_.assign(4 * order_.size(), 0);
        build(1, 0, order_.size());
    }
}

int64_t BoxIndex::start(size_t i) const noexcept { return boxes_[i].offset.empty() ? 0 : boxes_[i].offset[0]; }
int64_t BoxIndex::end(size_t i) const noexcept {
    return boxes_[i].offset.empty() ? 1 : boxes_[i].offset[0] + boxes_[i].shape[0];
}

void BoxIndex::build(size_t node, size_t lo, size_t hi) {
    if (hi - lo == 1) {
        max_end_[node] = end(order_[lo]);
        return;
    }
    const size_t mid = (lo + hi) / 2;
    build(2 * node, lo, mid);
    build(2 * node + 1, mid, hi);
    max_end_[node] = std::max(max_end_[2 * node], max_end_[2 * node + 1]);
}

void BoxIndex::collect(size_t node, size_t lo, size_t hi, size_t limit, const ChunkBox& box,
                       std::vector<size_t>& out) const {
    // Only boxes starting before the query's end (sorted positions below `limit`) and ending after
    // its start can overlap it.
    const int64_t query_start = box.offset.empty() ? 0 : box.offset[0];
    if (lo >= limit || max_end_[node] <= query_start) return;
    if (hi - lo == 1) {
        if (boxes_overlap(boxes_[order_[lo]], box)) out.push_back(order_[lo]);
        return;
    }
    const size_t mid = (lo + hi) / 2;
    collect(2 * node, lo, mid, limit, box, out);
    collect(2 * node + 1, mid, hi, limit, box, out);
}

std::vector<size_t> BoxIndex::overlapping(const ChunkBox& box) const {
    std::vector<size_t> out;
    if (order_.empty() || box.element_count() == 0) return out;
    const int64_t query_end = box.offset.empty() ? 1 : box.offset[0] + box.shape[0];
    const size_t limit =
        static_cast<size_t>(std::lower_bound(starts_.begin(), starts_.end(), query_end) - starts_.begin());
    collect(1, 0, order_.size(), limit, box, out);
    std::sort(out.begin(), out.end());
    return out;
}

void check_tiling(const std::string& tensor, std::span<const int64_t> global_shape, const BoxIndex& chunks,
                  const std::function<std::string(size_t)>& describe) {
    int64_t held = 0;
    for (size_t i = 0; i < chunks.boxes().size(); ++i) {
        held += chunks.boxes()[i].element_count();
        for (const size_t j : chunks.overlapping(chunks.boxes()[i]))
            if (j != i)
                throw InvalidArgument("tensor '" + tensor + "': the chunks " + describe(std::min(i, j)) + " and " +
                                      describe(std::max(i, j)) + " overlap");
    }
    const int64_t total = shape_element_count(global_shape);
    if (held != total)
        throw InvalidArgument("tensor '" + tensor + "' of shape " + describe_shape(global_shape) + " has " +
                              std::to_string(total) + " elements, but its chunks hold " + std::to_string(held) +
                              ": some part of it is in no chunk");
}

void copy_region(const ChunkBox& region, const ChunkBox& from_box, const uint8_t* from, const ChunkBox& to_box,
                 uint8_t* to, int element_size) {
    const size_t n = region.shape.size();
    if (region.element_count() == 0) return;
    if (n == 0) {
        std::memcpy(to, from, static_cast<size_t>(element_size));
        return;
    }
    // Row-major strides of both boxes, in bytes.
    std::vector<int64_t> from_stride(n), to_stride(n);
    from_stride[n - 1] = to_stride[n - 1] = element_size;
    for (size_t d = n - 1; d > 0; --d) {
        from_stride[d - 1] = from_stride[d] * from_box.shape[d];
        to_stride[d - 1] = to_stride[d] * to_box.shape[d];
    }
    // Merge the trailing dimensions that are whole in the region and in both boxes into one run.
    size_t inner = n - 1;
    int64_t run = region.shape[n - 1] * element_size;
    while (inner > 0 && region.shape[inner] == from_box.shape[inner] && region.shape[inner] == to_box.shape[inner]) {
        --inner;
        run *= region.shape[inner];
    }
    const uint8_t* from_base = from;
    uint8_t* to_base = to;
    for (size_t d = 0; d < n; ++d) {
        from_base += (region.offset[d] - from_box.offset[d]) * from_stride[d];
        to_base += (region.offset[d] - to_box.offset[d]) * to_stride[d];
    }
    std::vector<int64_t> index(inner, 0);  // over dimensions [0, inner)
    for (;;) {
        int64_t f = 0, t = 0;
        for (size_t d = 0; d < inner; ++d) {
            f += index[d] * from_stride[d];
            t += index[d] * to_stride[d];
        }
        std::memcpy(to_base + t, from_base + f, static_cast<size_t>(run));
        size_t d = inner;
        while (d > 0) {
            --d;
            if (++index[d] < region.shape[d]) break;
            index[d] = 0;
            if (d == 0) return;
        }
        if (inner == 0) return;
    }
}

}  // namespace legolasflux::detail
