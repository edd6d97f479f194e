// Sharded saves and loads over a c10d process group (sharded.hpp).
#include "legolasflux/torch/sharded.hpp"

#include <cstring>
#include <functional>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/weights.hpp"

namespace legolasflux::torch {

namespace {

std::string describe(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

ShardedTensor one_chunk(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, ChunkBox box,
                        int rank) {
    if (local.sizes().vec() != box.shape)
        throw ShapeError("tensor '" + name + "': rank " + std::to_string(rank) + "'s part of a tensor of shape " +
                         describe(global_shape) + " has shape " + describe(box.shape) + ", the tensor given has " +
                         describe(local.sizes().vec()));
    return {std::move(name), std::move(global_shape), {{std::move(box), local}}, false};
}

}  // namespace

ShardedTensor row_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                          int world_size) {
    ChunkBox box = row_split(global_shape, rank, world_size);
    return one_chunk(std::move(name), local, std::move(global_shape), std::move(box), rank);
}

ShardedTensor column_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                             int world_size) {
    ChunkBox box = column_split(global_shape, rank, world_size);
    return one_chunk(std::move(name), local, std::move(global_shape), std::move(box), rank);
}

ShardedTensor flat_sharded(std::string name, const at::Tensor& local, std::vector<int64_t> global_shape, int rank,
                           int world_size) {
    const FlatSplit split = flat_split(global_shape, rank, world_size);
    if (local.dim() != 1 || local.size(0) != split.end - split.begin)
        throw ShapeError("tensor '" + name + "': rank " + std::to_string(rank) + "'s flat part of a tensor of shape " +
                         describe(global_shape) + " is the " + std::to_string(split.end - split.begin) + " elements [" +
                         std::to_string(split.begin) + ", " + std::to_string(split.end) +
                         "), a 1-D tensor; the tensor given has shape " + describe(local.sizes().vec()));
    ShardedTensor out{std::move(name), std::move(global_shape), {}, false};
    int64_t at = 0;
    for (const ChunkBox& box : split.boxes) {
        const int64_t n = box.element_count();
        out.chunks.push_back({box, local.narrow(0, at, n).view(box.shape)});
        at += n;
    }
    return out;
}

ShardedTensor replicated(std::string name, const at::Tensor& whole) {
    std::vector<int64_t> shape = whole.sizes().vec();
    return {std::move(name), shape, {{whole_box(shape), whole}}, true};
}

RankShards rank_shards(std::span<const ShardedTensor> tensors, int rank, int world_size) {
    RankShards out{rank, world_size, {}};
    for (const ShardedTensor& t : tensors) {
        ShardTensor st{t.name, ElementType::Float32, t.global_shape, {}, t.replicated};
        bool typed = false;
        for (const TensorChunk& c : t.chunks) {
            if (!c.tensor.defined() || !c.tensor.device().is_cpu())
                throw InvalidArgument("tensor '" + t.name + "': its chunks are CPU tensors (move them with .cpu())");
            if (c.tensor.sizes().vec() != c.box.shape)
                throw ShapeError("tensor '" + t.name + "': the chunk " + describe(c.box.offset) + " + " +
                                 describe(c.box.shape) + " is given a tensor of shape " +
                                 describe(c.tensor.sizes().vec()));
            const ElementType type = to_element_type(c.tensor.scalar_type());
            if (typed && type != st.element_type)
                throw InvalidArgument("tensor '" + t.name + "': its chunks have different element types");
            st.element_type = type;
            typed = true;
            st.chunks.push_back({c.box, to_flat_array(c.tensor.contiguous(), BFloat16Storage::Native).values});
        }
        out.tensors.push_back(std::move(st));
    }
    return out;
}

namespace {

// One step of a collective operation: every rank runs `work` (its bytes, maybe none), then every
// rank gets every rank's bytes, in rank order; if any rank's work failed, every rank throws — the
// failed ones their own exception, the others an Error naming the failed rank.
template <class F>
std::vector<std::vector<uint8_t>> exchange(c10d::ProcessGroup& group, const std::string& stage, F&& work) {
    const int rank = group.getRank(), world = group.getSize();
    std::vector<uint8_t> payload;
    std::exception_ptr failure;
    try {
        payload = work();
    } catch (...) {
        failure = std::current_exception();
        try {
            throw;
        } catch (const std::exception& e) {
            const std::string what = e.what();
            payload.assign(what.begin(), what.end());
        } catch (...) {
            payload.clear();
        }
    }
    std::vector<std::vector<at::Tensor>> heads(1), bodies(1);
    try {
        // First every rank's status and length, then the bytes padded to the longest.
        std::vector<at::Tensor> head{
            at::tensor({int64_t{failure ? 1 : 0}, static_cast<int64_t>(payload.size())}, at::kLong)};
        for (int r = 0; r < world; ++r) heads[0].push_back(at::empty({2}, at::kLong));
        group.allgather(heads, head)->wait();
        int64_t longest = 0;
        for (const at::Tensor& h : heads[0]) longest = std::max(longest, h[1].item<int64_t>());
        std::vector<at::Tensor> body{at::zeros({std::max<int64_t>(longest, 1)}, at::kByte)};
        if (!payload.empty()) std::memcpy(body[0].data_ptr(), payload.data(), payload.size());
        for (int r = 0; r < world; ++r) bodies[0].push_back(at::empty({std::max<int64_t>(longest, 1)}, at::kByte));
        group.allgather(bodies, body)->wait();
    } catch (const std::exception& e) {
        if (failure) std::rethrow_exception(failure);
        throw Error("rank " + std::to_string(rank) + ": the process group failed while the ranks were to " + stage +
                    " (a rank died, or did not arrive within the group's timeout): " + e.what());
    }
    if (failure) std::rethrow_exception(failure);
    std::vector<std::vector<uint8_t>> out(static_cast<size_t>(world));
    for (int r = 0; r < world; ++r) {
        const at::Tensor& h = heads[0][static_cast<size_t>(r)];
        const auto* data = static_cast<const uint8_t*>(bodies[0][static_cast<size_t>(r)].data_ptr());
        out[static_cast<size_t>(r)].assign(data, data + h[1].item<int64_t>());
        if (h[0].item<int64_t>() != 0)
            throw Error("rank " + std::to_string(r) + " failed to " + stage + ": " +
                        std::string(out[static_cast<size_t>(r)].begin(), out[static_cast<size_t>(r)].end()));
    }
    return out;
}

}  // namespace

namespace {

void save_step(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors, int64_t step,
               c10d::ProcessGroup& group, const ShardedSaveOptions& options, const std::function<void()>& committed,
               const std::string& refusal = {}) {
    const int rank = group.getRank(), world = group.getSize();
    RankShards shards;
    const auto plans = exchange(group, "plan the save of " + step_dir.string(), [&] {
        if (!refusal.empty()) throw InvalidArgument(refusal);  // inside the exchange: every rank learns it
        shards = rank_shards(tensors, rank, world);
        return shard_plan(shards);
    });
    const SavePlan plan = make_save_plan(plans);  // the same on every rank, or the same error
    exchange(group, "prepare " + step_dir.string(), [&] {
        if (rank == 0) begin_sharded_step(step_dir);
        return std::vector<uint8_t>{};
    });
    try {
        const auto written = exchange(group, "write their shards of " + step_dir.string(), [&] {
            return write_shard_file(pending_step_dir(step_dir), plan, shards, step, options);
        });
        exchange(group, "commit " + step_dir.string(), [&] {
            if (rank == 0) {
                write_shard_index(pending_step_dir(step_dir), written, options);
                commit_sharded_step(step_dir, options.durable);
                if (committed) committed();
            }
            return std::vector<uint8_t>{};
        });
    } catch (...) {
        if (rank == 0) abandon_sharded_step(step_dir);
        throw;
    }
}

}  // namespace

void save_sharded(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors, int64_t step,
                  c10d::ProcessGroup& group, const ShardedSaveOptions& options) {
    save_step(step_dir, tensors, step, group, options, nullptr);
}

void save_sharded(CheckpointManager* run, const std::filesystem::path& run_dir, std::span<const ShardedTensor> tensors,
                  int64_t step, c10d::ProcessGroup& group, const ShardedSaveOptions& options) {
    std::string refusal;
    if (run && group.getRank() != 0)
        refusal = "rank " + std::to_string(group.getRank()) +
                  " passed a CheckpointManager: only rank 0 holds the run directory's manager";
    else if (!run && group.getRank() == 0)
        refusal = "rank 0 passed no CheckpointManager: it passes the one it has open on " + run_dir.string();
    else if (run && std::filesystem::absolute(run->directory()) != std::filesystem::absolute(run_dir))
        refusal = "the CheckpointManager manages " + run->directory().string() + ", not " + run_dir.string();
    else if (run)
        try {
            legolasflux::detail::ShardedSteps::check_new(*run, step);
        } catch (const Error& e) {
            refusal = e.what();
        }
    save_step(
        run_dir / sharded_step_name(step), tensors, step, group, options,
        [&] { legolasflux::detail::ShardedSteps::record(*run, step); }, refusal);
}

void load_sharded(const std::filesystem::path& step_dir, std::span<const ShardedTensor> tensors,
                  c10d::ProcessGroup* group, const ShardedLoadOptions& options) {
    const auto load = [&] {
        const ShardIndex index(step_dir);
        std::vector<WantedTensor> wanted;
        for (const ShardedTensor& t : tensors) {
            // A rank whose part is empty (a flat split of few elements) has no chunk, so no tensor to
            // take an element type from, and nothing to write: it takes the saved one.
            WantedTensor w{
                t.name, t.chunks.empty() ? index.element_type(t.name) : ElementType::Float32, t.global_shape, {}};
            for (const TensorChunk& c : t.chunks) {
                if (!c.tensor.defined() || !c.tensor.device().is_cpu() || !c.tensor.is_contiguous())
                    throw InvalidArgument("tensor '" + t.name +
                                          "': a load writes into CPU tensors that are contiguous");
                if (c.tensor.sizes().vec() != c.box.shape)
                    throw ShapeError("tensor '" + t.name + "': the chunk " + describe(c.box.offset) + " + " +
                                     describe(c.box.shape) + " is given a tensor of shape " +
                                     describe(c.tensor.sizes().vec()));
                w.element_type = to_element_type(c.tensor.scalar_type());
                w.chunks.push_back(
                    {c.box, {static_cast<uint8_t*>(c.tensor.data_ptr()), static_cast<size_t>(c.tensor.nbytes())}});
            }
            wanted.push_back(std::move(w));
        }
        legolasflux::load_sharded(index, wanted, options);
        return std::vector<uint8_t>{};
    };
    if (!group) {
        load();
        return;
    }
    exchange(*group, "load " + step_dir.string(), [&] {
        // The same error, naming the rank: with many ranks, which one failed matters.
        const std::string who = "rank " + std::to_string(group->getRank()) + ": ";
        try {
            return load();
        } catch (const CorruptionError& e) {
            throw CorruptionError(who + e.what());
        } catch (const FormatError& e) {
            throw FormatError(who + e.what());
        } catch (const ShapeError& e) {
            throw ShapeError(who + e.what());
        } catch (const InvalidArgument& e) {
            throw InvalidArgument(who + e.what());
        }
    });
}

}  // namespace legolasflux::torch
