// Saving a sharded checkpoint: plans, the save plan, shard files, the index, the commit
// (sharded.hpp).
#include <fcntl.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "checksummed_table.hpp"
#include "common/atomic_file.hpp"
#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "sharded_internal.hpp"

namespace legolasflux {

namespace {

std::vector<ShardIndexV1> rows_of(const std::vector<uint8_t>& bytes, const std::string& what) {
    legolas::ensure_declared<ShardIndexV1>();
    try {
        return legolas::read<ShardIndexV1>(arrow::Buffer::copy_of(bytes.data(), static_cast<int64_t>(bytes.size())));
    } catch (const Error& e) {
        throw FormatError(what + " is not a legolas-flux.shard-index@1 table: " + e.what());
    }
}

std::vector<uint8_t> bytes_of(const std::vector<ShardIndexV1>& rows) {
    legolas::ensure_declared<ShardIndexV1>();
    return legolas::write_to_bytes(rows);
}

std::vector<int64_t> reversed(const std::vector<int64_t>& v) { return {v.rbegin(), v.rend()}; }

}  // namespace

std::vector<uint8_t> shard_plan(const RankShards& shards) {
    if (shards.world_size < 1 || shards.rank < 0 || shards.rank >= shards.world_size)
        throw InvalidArgument("rank " + std::to_string(shards.rank) + " is not a rank of a world of size " +
                              std::to_string(shards.world_size));
    std::vector<ShardIndexV1> rows;
    std::set<std::string> names;
    const std::string where = "rank " + std::to_string(shards.rank);
    for (const ShardTensor& t : shards.tensors) {
        const std::string what = where + ", tensor '" + t.name + "'";
        if (t.name.empty()) throw InvalidArgument(where + ": a tensor has no name");
        if (!names.insert(t.name).second) throw InvalidArgument(what + " is given twice");
        detail::check_shardable(t.name, t.element_type);
        detail::check_shape(what, t.global_shape);
        if (detail::shape_element_count(t.global_shape) == 0)
            throw InvalidArgument(what + " has no elements (shape " + detail::describe_shape(t.global_shape) +
                                  "): nothing to shard");
        if (t.replicated && (t.chunks.size() != 1 || t.chunks[0].box != whole_box(t.global_shape)))
            throw InvalidArgument(what + " is replicated, so it is given as one chunk, the whole tensor");
        for (const ShardChunk& c : t.chunks) {
            detail::check_box(what, t.global_shape, c.box);
            const int64_t bytes = c.box.element_count() * element_size(t.element_type);
            if (c.values.size() != bytes)
                throw InvalidArgument(what + ": the chunk " + detail::describe_box(c.box) + " of " +
                                      std::string(element_type_name(t.element_type)) + " needs " +
                                      std::to_string(bytes) + " bytes of values, not " +
                                      std::to_string(c.values.size()));
            if (bytes == 0) continue;
            ShardIndexV1 row;
            row.tensor = t.name;
            row.element_type = std::string(element_type_name(t.element_type));
            row.global_shape = t.global_shape;
            row.chunk_offset = c.box.offset;
            row.chunk_shape = c.box.shape;
            row.replicated = t.replicated;
            row.rank = shards.rank;
            row.array_index = -1;
            row.byte_offset = -1;
            row.byte_length = bytes;
            rows.push_back(std::move(row));
        }
    }
    return bytes_of(rows);
}

SavePlan make_save_plan(std::span<const std::vector<uint8_t>> plans) {
    if (plans.empty()) throw InvalidArgument("a sharded save needs the plan of at least one rank");
    SavePlan plan;
    plan.world_size = static_cast<int>(plans.size());
    std::map<std::string, std::vector<ShardIndexV1>> by_tensor;
    for (size_t r = 0; r < plans.size(); ++r)
        for (ShardIndexV1& row : rows_of(plans[r], "the plan of rank " + std::to_string(r))) {
            if (row.rank != static_cast<int64_t>(r))
                throw InvalidArgument("the plan in place " + std::to_string(r) + " is rank " +
                                      std::to_string(row.rank) + "'s: plans go in rank order");
            by_tensor[row.tensor].push_back(std::move(row));
        }
    if (by_tensor.empty()) throw InvalidArgument("a sharded save needs at least one tensor with elements");
    const ShardIndexV1& first = by_tensor.begin()->second.front();
    for (auto& entry : by_tensor) {
        // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
        const std::string& name = entry.first;
        std::vector<ShardIndexV1>& rows = entry.second;
        const ShardIndexV1& a = rows.front();
        if (a.element_type != first.element_type)
            throw InvalidArgument("a sharded checkpoint has one element type: tensor '" + first.tensor + "' is " +
                                  first.element_type + ", tensor '" + name + "' " + a.element_type);
        for (const ShardIndexV1& b : rows) {
            if (b.element_type != a.element_type)
                throw InvalidArgument("tensor '" + name + "': rank " + std::to_string(a.rank) + " has it as " +
                                      a.element_type + ", rank " + std::to_string(b.rank) + " as " + b.element_type);
            if (b.global_shape != a.global_shape || b.replicated != a.replicated)
                throw InvalidArgument("tensor '" + name + "': rank " + std::to_string(a.rank) + " has it " +
                                      (a.replicated ? "replicated" : "sharded") + " with shape " +
                                      detail::describe_shape(a.global_shape) + ", rank " + std::to_string(b.rank) +
                                      " " + (b.replicated ? "replicated" : "sharded") + " with shape " +
                                      detail::describe_shape(b.global_shape));
        }
        if (a.replicated) {
            // Written once, by one of its holders: spread over them by the name's hash, so that the
            // replicated tensors' bytes are shared out rather than all on the lowest rank.
            const uint64_t h = XXH3_64bits(name.data(), name.size());
            ShardIndexV1 writer = rows[h % rows.size()];
            rows = {std::move(writer)};
            continue;
        }
        std::vector<ChunkBox> boxes;
        for (const ShardIndexV1& row : rows) boxes.push_back({row.chunk_offset, row.chunk_shape});
        detail::check_tiling(name, a.global_shape, detail::BoxIndex(std::move(boxes)), [&](size_t i) {
            return detail::describe_box({rows[i].chunk_offset, rows[i].chunk_shape}) + " (rank " +
                   std::to_string(rows[i].rank) + ")";
        });
    }
    for (int r = 0; r < plan.world_size; ++r)
        for (const auto& [name, rows] : by_tensor)
            for (const ShardIndexV1& row : rows)
                if (row.rank == r) plan.chunks.push_back(row);
    return plan;
}

std::vector<uint8_t> write_shard_file(const std::filesystem::path& dir, const SavePlan& plan, const RankShards& shards,
                                      int64_t step, const ShardedSaveOptions& options) {
    if (shards.world_size != plan.world_size)
        throw InvalidArgument("rank " + std::to_string(shards.rank) + " is in a world of size " +
                              std::to_string(shards.world_size) + ", the save plan's has " +
                              std::to_string(plan.world_size));
    std::vector<ShardIndexV1> rows;
    for (const ShardIndexV1& row : plan.chunks)
        if (row.rank == shards.rank) rows.push_back(row);
    if (rows.empty()) return bytes_of(rows);  // nothing of ours to write: every chunk is another rank's

    // The values of each planned chunk, from what the rank holds.
    std::map<std::string, const ShardTensor*> tensors;
    for (const ShardTensor& t : shards.tensors) tensors[t.name] = &t;
    const std::string file = shard_file_name(shards.rank, shards.world_size);
    const ElementType type = detail::element_type_named(rows.front().element_type);
    ShardV1 shard;
    shard.step = step;
    shard.rank = shards.rank;
    shard.world_size = shards.world_size;
    std::vector<FlatArray> arrays;
    ModelWriteOptions write;
    for (size_t i = 0; i < rows.size(); ++i) {
        ShardIndexV1& row = rows[i];
        const auto t = tensors.find(row.tensor);
        const ShardChunk* chunk = nullptr;
        if (t != tensors.end())
            for (const ShardChunk& c : t->second->chunks)
                if (c.box.offset == row.chunk_offset && c.box.shape == row.chunk_shape) chunk = &c;
        if (!chunk)
            throw InvalidArgument("rank " + std::to_string(shards.rank) + " does not hold the chunk " +
                                  detail::describe_box({row.chunk_offset, row.chunk_shape}) + " of tensor '" +
                                  row.tensor + "' that the save plan gives it");
        arrays.emplace_back(type, reversed(row.chunk_shape), chunk->values);
        write.weight_names.push_back(row.tensor);
        shard.global_shapes.push_back(row.global_shape);
        shard.chunk_offsets.push_back(row.chunk_offset);
        row.file = file;
        row.array_index = static_cast<int64_t>(i);
    }
    // Each chunk's own checksum, so that a rank reading a few chunks checks just those bytes.
    const unsigned threads = common::thread_count(options.threads);
    common::parallel_for(rows.size(), rows.size() >= threads ? threads : 1, [&](size_t i) {
        const detail::Bytes piece = arrays[i].values.span();
        rows[i].checksum = detail::hex16(detail::values_checksum(
            std::span(&piece, 1), detail::ChecksumAlgorithm::Xxh3_64Chunked, rows.size() >= threads ? 1 : threads));
    });
    shard.weights = Weights(type, std::move(arrays));
    write.ipc.durable = options.durable;
    write.threads = options.threads;
    write.bfloat16 = BFloat16Storage::Native;  // the bytes as they are: byte ranges are per element
    const std::filesystem::path path = dir / file;
    write_model_row(path, shard, write);

    // Where the writer put each chunk's values: read back the file's structure (mapped; no value is
    // read) and take the memory of each array's values.
    const arrow::Buffer bytes = arrow::read_whole_file(path);
    ModelReadOptions read;
    read.verify_checksums = false;
    const ModelRow written = detail::read_model_table(bytes, legolas::schema_version_of<ShardV1>(), read);
    const auto& fields = written.table.schema->fields;
    const auto column =
        std::find_if(fields.begin(), fields.end(), [](const arrow::Field& f) { return f.name == kWeightsColumn; });
    if (column == fields.end() || written.table.batches.empty())
        throw FormatError(path.string() + ": the shard file just written has no weights");
    const size_t c = static_cast<size_t>(column - fields.begin());
    const std::vector<detail::ValueSpan> spans = detail::value_spans(*column, *written.table.batches[0].columns[c], 0);
    if (spans.size() != rows.size())
        throw FormatError(path.string() + ": written with " + std::to_string(rows.size()) + " chunks, read back with " +
                          std::to_string(spans.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
        rows[i].byte_offset = spans[i].memory.data() - bytes.data();
        if (static_cast<int64_t>(spans[i].memory.size()) != rows[i].byte_length)
            throw FormatError(path.string() + ": chunk " + std::to_string(i) + " was written with " +
                              std::to_string(rows[i].byte_length) + " bytes, read back with " +
                              std::to_string(spans[i].memory.size()));
    }
    return bytes_of(rows);
}

void write_shard_index(const std::filesystem::path& dir, std::span<const std::vector<uint8_t>> written,
                       const ShardedSaveOptions& options) {
    std::vector<ShardIndexV1> rows;
    for (size_t r = 0; r < written.size(); ++r)
        for (ShardIndexV1& row : rows_of(written[r], "the chunks written by rank " + std::to_string(r))) {
            if (row.file.empty() || row.byte_offset < 0 || row.checksum.size() != 16)
                throw InvalidArgument("rank " + std::to_string(r) + "'s chunk of tensor '" + row.tensor +
                                      "' has no place in a file: give write_shard_file's results, not plans");
            rows.push_back(std::move(row));
        }
    std::stable_sort(rows.begin(), rows.end(), [](const ShardIndexV1& a, const ShardIndexV1& b) {
        return std::tie(a.tensor, a.chunk_offset) < std::tie(b.tensor, b.chunk_offset);
    });
    // With a checksum, as the shard files: a damaged index damages the step (ShardIndex refuses it).
    legolas::ensure_declared<ShardIndexV1>();
    detail::write_checksummed_table(dir / kShardIndexFile, legolas::to_table(rows),
                                    legolas::schema_version_of<ShardIndexV1>(), options.durable);
}

namespace {

// "run/step-…sharded/" and "step-…sharded" alike: the step directory without a trailing separator,
// and the directory holding it ("." when the path names none).
std::filesystem::path step_path(const std::filesystem::path& step_dir) {
    std::filesystem::path p = step_dir.lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p;
}
std::filesystem::path run_dir_of(const std::filesystem::path& step_dir) {
    const std::filesystem::path parent = step_path(step_dir).parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace

std::filesystem::path pending_step_dir(const std::filesystem::path& step_dir) {
    return run_dir_of(step_dir) / ("." + step_path(step_dir).filename().string() + ".pending");
}

void begin_sharded_step(const std::filesystem::path& step_dir) {
    const std::filesystem::path pending = pending_step_dir(step_dir);
    std::error_code ec;
    if (std::filesystem::exists(step_dir, ec))
        throw IoError(step_dir, "this step is already committed; a step is never overwritten");
    std::filesystem::remove_all(pending, ec);
    if (ec) throw IoError(pending, "cannot remove what a failed save left: " + ec.message());
    std::filesystem::create_directories(pending, ec);
    if (ec) throw IoError(pending, "cannot create the directory of the save: " + ec.message());
}

void commit_sharded_step(const std::filesystem::path& step_dir, bool durable) {
    const std::filesystem::path pending = pending_step_dir(step_dir);
    std::error_code ec;
    if (!std::filesystem::exists(pending / kShardIndexFile, ec))
        throw IoError(pending, "no index was written: nothing to commit");
    if (std::filesystem::exists(step_dir, ec))
        throw IoError(step_dir, "this step is already committed; a step is never overwritten");
    if (durable)
        if (const int error = common::sync_directory(pending); error != 0)
            throw IoError(pending, std::string("cannot sync the directory: ") + std::strerror(error));
    // RENAME_NOREPLACE: a directory of the same name made since the check above (even an empty one,
    // which rename(2) would silently replace) stops the commit instead.
    const std::filesystem::path target = step_path(step_dir);
    int rc = ::renameat2(AT_FDCWD, pending.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) rc = ::rename(pending.c_str(), target.c_str());  // no NOREPLACE on this file system
    if (rc != 0) {
        const int error = errno;
        if (error == EEXIST || error == ENOTEMPTY)
            throw IoError(step_dir, "this step is already committed; a step is never overwritten");
        throw IoError(step_dir, "cannot commit the step (rename of " + pending.string() + "): " + std::strerror(error));
    }
    if (durable)
        if (const int error = common::sync_directory(run_dir_of(step_dir)); error != 0)
            throw IoError(step_dir, std::string("the step was committed, but syncing its run directory failed, so the "
                                                "commit may not survive a system crash: ") +
                                        std::strerror(error));
}

std::vector<std::string> detail::remove_pending_sharded_steps(const std::filesystem::path& run_dir) {
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(run_dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto leftover = [&](std::string_view suffix) {
            return name.starts_with(".") && name.ends_with(suffix) &&
                   sharded_step_of(std::string_view(name).substr(1, name.size() - 1 - suffix.size()));
        };
        if (!leftover(".pending") && !leftover(".deleting")) continue;
        std::error_code kind;
        if (!entry.is_directory(kind) || entry.is_symlink(kind)) continue;
        std::filesystem::remove_all(entry.path(), kind);
        if (kind) throw IoError(entry.path(), "cannot remove what a failed sharded save left: " + kind.message());
        removed.push_back(name);
    }
    if (ec) throw IoError(run_dir, "cannot list the directory: " + ec.message());
    std::sort(removed.begin(), removed.end());
    return removed;
}

void abandon_sharded_step(const std::filesystem::path& step_dir) noexcept {
    // A rank that has not yet seen the failure may still be adding its shard file (its temporary,
    // then the rename) while this removes the directory: an entry made after remove_all listed the
    // directory keeps it from being removed. So again, until it is gone; once it is, nothing makes
    // it again (shard files are only written into the pending directory rank 0 created).
    const std::filesystem::path pending = pending_step_dir(step_dir);
    for (int attempt = 0; attempt < 50; ++attempt) {
        std::error_code ec;
        std::filesystem::remove_all(pending, ec);
        if (!std::filesystem::exists(pending, ec) && !ec) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void save_sharded(const std::filesystem::path& step_dir, std::span<const RankShards> ranks, int64_t step,
                  const ShardedSaveOptions& options) {
    std::vector<std::vector<uint8_t>> plans;
    for (size_t r = 0; r < ranks.size(); ++r) {
        if (ranks[r].rank != static_cast<int>(r) || ranks[r].world_size != static_cast<int>(ranks.size()))
            throw InvalidArgument("save_sharded takes every rank's shards in rank order: place " + std::to_string(r) +
                                  " holds rank " + std::to_string(ranks[r].rank) + " of " +
                                  std::to_string(ranks[r].world_size));
        plans.push_back(shard_plan(ranks[r]));
    }
    const SavePlan plan = make_save_plan(plans);
    begin_sharded_step(step_dir);
    try {
        const std::filesystem::path pending = pending_step_dir(step_dir);
        std::vector<std::vector<uint8_t>> written;
        for (const RankShards& r : ranks) written.push_back(write_shard_file(pending, plan, r, step, options));
        write_shard_index(pending, written, options);
        commit_sharded_step(step_dir, options.durable);
    } catch (...) {
        abandon_sharded_step(step_dir);
        throw;
    }
}

}  // namespace legolasflux
