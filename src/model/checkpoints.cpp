// CheckpointManager: the run directory, its lock, and the saves (checkpoints.hpp).
#include "legolasflux/checkpoints.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "checkpoints_internal.hpp"
#include "common/parallel_copy.hpp"
#include "legolasflux/sharded.hpp"
#include "legolasflux/temporaries.hpp"
#include "sharded_internal.hpp"

namespace legolasflux {

struct SaveHandle::Shared {
    int64_t step = 0;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    std::exception_ptr error;
    bool collected = false;  // its error was thrown to someone

    void finish(std::exception_ptr e) {
        {
            const std::lock_guard lock(mutex);
            done = true;
            error = std::move(e);
        }
        cv.notify_all();
    }
};

int64_t SaveHandle::step() const noexcept { return shared_ ? shared_->step : -1; }

void SaveHandle::wait() const {
    if (!shared_) throw InvalidArgument("an empty SaveHandle has no save to wait for");
    std::unique_lock lock(shared_->mutex);
    shared_->cv.wait(lock, [&] { return shared_->done; });
}

bool SaveHandle::ready() const {
    if (!shared_) return false;
    const std::lock_guard lock(shared_->mutex);
    return shared_->done;
}

void SaveHandle::get() const {
    wait();
    const std::lock_guard lock(shared_->mutex);
    if (shared_->error) {
        shared_->collected = true;
        std::rethrow_exception(shared_->error);
    }
}

namespace {

// Staging memory is handed out in 64-byte aligned pieces, as the IPC writer aligns buffers.
constexpr int64_t kStagingAlignment = 64;

int64_t aligned(int64_t n) { return (n + kStagingAlignment - 1) / kStagingAlignment * kStagingAlignment; }

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

}  // namespace

struct CheckpointManager::State {
    std::filesystem::path dir;
    CheckpointOptions options;
    int lock_fd = -1;

    mutable std::mutex mutex;
    std::condition_variable changed;    // a job started, finished or was queued
    std::vector<CheckpointInfo> infos;  // committed, ascending
    std::vector<DamagedCheckpoint> damaged;
    std::vector<std::string> notes;
    std::set<int64_t> pinned;

    struct Job {
        std::shared_ptr<SaveHandle::Shared> shared;
        std::string file;
        std::function<void(const std::filesystem::path&)> write;
        arrow::Buffer staging;  // returned to the pool when the job is done
    };
    std::deque<Job> queue;
    std::set<int64_t> in_flight;                                  // steps queued or being written
    std::vector<std::shared_ptr<SaveHandle::Shared>> unfinished;  // for errors nobody collected
    std::vector<arrow::Buffer> staging_pool;
    bool stopping = false;
    std::thread worker;

    ~State() {
        if (lock_fd >= 0) ::close(lock_fd);
    }

    void take_lock() {
        const std::filesystem::path path = dir / kCheckpointLockFile;
        lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (lock_fd < 0)
            throw IoError(path, std::string("cannot open the run directory's lock: ") + std::strerror(errno));
        if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error == EWOULDBLOCK)
                throw IoError(dir, "another CheckpointManager has this run directory open (it holds " +
                                       std::string(kCheckpointLockFile) + "): one manager per run directory");
            throw IoError(path, std::string("cannot lock the run directory: ") + std::strerror(error));
        }
    }

    // The retention policies' verdict on `all`, recorded in their kept_by (empty: no policy keeps it).
    void apply_retention(std::vector<CheckpointInfo>& all) const {
        const auto kept = detail::retain(all, options, pinned);
        for (CheckpointInfo& info : all) info.kept_by = kept.at(info.step);
    }

    // Runs on the worker: writes the file, then (under the mutex) retention and the index.
    void commit(Job& job) {
        const std::filesystem::path path = dir / job.file;
        job.write(path);
        record(job.file, job.shared->step);
    }

    // A step in place (its file, or a sharded step's directory): retention and the index.
    void record(const std::string& file, int64_t step) {
        CheckpointInfo info = detail::describe_step_file(dir, file, step);
        info.committed_at = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
        const std::lock_guard lock(mutex);
        std::vector<CheckpointInfo> all = infos;
        all.insert(std::upper_bound(all.begin(), all.end(), info.step,
                                    [](int64_t s, const CheckpointInfo& i) { return s < i.step; }),
                   std::move(info));
        apply_retention(all);
        std::vector<CheckpointInfo> remaining;
        for (CheckpointInfo& i : all) {
            if (!i.kept_by.empty()) {
                remaining.push_back(std::move(i));
                continue;
            }
            std::error_code ec;
            detail::remove_step(dir / i.file, ec);
            if (ec) {
                notes.push_back("could not delete " + i.file + " (no policy keeps it): " + ec.message());
                remaining.push_back(std::move(i));
            }
        }
        infos = std::move(remaining);
        // Damaged steps retention has reached go aside rather than away: the save is committed
        // whether or not that rename works (a note says when it did not).
        for (const int64_t step : detail::damaged_reached(infos, damaged, options, pinned)) {
            try {
                set_aside(step, "retention reached it");
            } catch (const Error& e) {
                notes.push_back(e.what());
            }
        }
        // The step is committed once its file is in place; an index that cannot be written is
        // rebuilt by the next open, but the error is still this save's.
        detail::write_index(dir, infos, options.write.ipc.durable);
    }

    void run() {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                job = std::move(queue.front());
                queue.pop_front();
            }
            std::exception_ptr error;
            try {
                commit(job);
            } catch (...) {
                error = std::current_exception();
            }
            job.write = nullptr;        // the snapshot's views of the staging memory go first
            job.shared->finish(error);  // before the slot is free: a save waiting for it sees this one done
            {
                const std::lock_guard lock(mutex);
                in_flight.erase(job.shared->step);
                if (!job.staging.empty()) staging_pool.push_back(std::move(job.staging));
            }
            changed.notify_all();
        }
    }

    // InvalidArgument when `step` is committed, queued or being written; a damaged file of the
    // step is set aside (the resume trains that step again: its save commits). `mutex` held.
    void check_new_step(int64_t step) {
        const bool committed =
            std::any_of(infos.begin(), infos.end(), [&](const CheckpointInfo& i) { return i.step == step; });
        if (committed || in_flight.count(step))
            throw InvalidArgument("step " + std::to_string(step) + " is already " +
                                  (committed ? "committed in " : "being saved to ") + dir.string());
        set_aside(step, "a save needs its step number");
    }

    // Renames the damaged files of `step` aside (never deletes them); IoError when one cannot be,
    // the others left as they were. `mutex` held.
    void set_aside(int64_t step, const std::string& why) {
        for (auto it = damaged.begin(); it != damaged.end();) {
            if (it->step != step) {
                ++it;
                continue;
            }
            const std::string name = detail::set_aside_step(dir, it->file, step);
            notes.push_back("set " + it->file + " aside as " + name + " (" + why + ")");
            it = damaged.erase(it);
        }
    }

    // The first failed save whose error nobody has collected, which is then collected. Under `mutex`.
    std::exception_ptr take_uncollected() {
        std::exception_ptr first;
        std::vector<std::shared_ptr<SaveHandle::Shared>> still;
        for (auto& s : unfinished) {
            const std::lock_guard lock(s->mutex);
            if (!s->done) {
                still.push_back(s);
            } else if (s->error && !s->collected && !first) {
                s->collected = true;
                first = s->error;
            } else if (s->error && !s->collected) {
                still.push_back(s);  // reported by a later call
            }
        }
        unfinished = std::move(still);
        return first;
    }

    // Copies the weights into staging memory (reused between saves). Under `mutex`.
    Weights snapshot(const Weights& weights, arrow::Buffer& staging) {
        int64_t total = 0;
        for (const FlatArray& a : weights.arrays) total += aligned(a.byte_count());
        auto it = std::find_if(staging_pool.begin(), staging_pool.end(),
                               [&](const arrow::Buffer& b) { return b.size() >= total; });
        if (it != staging_pool.end()) {
            staging = std::move(*it);
            staging_pool.erase(it);
        } else {
            if (!staging_pool.empty()) staging_pool.pop_back();  // too small: replaced by a larger one
            staging = arrow::Buffer::allocate(std::max<int64_t>(total, 1));
        }
        Weights out = weights;
        // Large models are copied on every core: the training loop waits for this copy only.
        common::ParallelCopy copy;
        int64_t offset = 0;
        for (size_t i = 0; i < weights.arrays.size(); ++i) {
            const arrow::Buffer& source = weights.arrays[i].values;
            out.arrays[i].values = staging.slice(offset, source.size());
            copy.add(staging.mutable_data() + offset, source.data(), static_cast<size_t>(source.size()));
            offset += aligned(source.size());
        }
        // Not streamed around the caches: the writer reads the staging copy next.
        copy.run(0, /*streamed=*/false);
        return out;
    }
};

CheckpointManager::CheckpointManager(std::filesystem::path dir, CheckpointOptions options)
    : state_(std::make_unique<State>()) {
    if (options.max_to_keep && *options.max_to_keep < 1)
        throw InvalidArgument("max_to_keep is at least 1 (leave it unset to keep every step)");
    if (options.best && options.best->count < 1) throw InvalidArgument("best.count is at least 1");
    if (options.best && options.best->column.empty()) throw InvalidArgument("best.column names a column of the rows");
    if (options.keep_period && *options.keep_period < 1) throw InvalidArgument("keep_period is at least 1");
    if (options.max_in_flight < 1) throw InvalidArgument("max_in_flight is at least 1");
    State& s = *state_;
    s.dir = std::move(dir);
    s.options = std::move(options);
    std::error_code ec;
    std::filesystem::create_directories(s.dir, ec);
    if (ec || !std::filesystem::is_directory(s.dir, ec))
        throw IoError(s.dir, "cannot create the run directory" + (ec ? ": " + ec.message() : std::string()));
    s.take_lock();
    const CollectedTemporaries collected = collect_stale_temporaries(s.dir);
    for (const TemporaryFile& t : collected.removed)
        s.notes.push_back("removed " + t.path.filename().string() + ", the temporary file of a save that died");
    for (const std::string& name : detail::remove_pending_sharded_steps(s.dir))
        s.notes.push_back("removed " + name + ", what a sharded save or deletion that died left");
    bool rebuilt = false;
    s.infos = detail::reconcile(s.dir, s.damaged, rebuilt, s.notes);
    s.pinned.insert(s.options.pinned.begin(), s.options.pinned.end());
    for (const CheckpointInfo& info : s.infos)
        if (std::find(info.kept_by.begin(), info.kept_by.end(), "pinned") != info.kept_by.end())
            s.pinned.insert(info.step);
    s.apply_retention(s.infos);  // what each step is kept by under these options
    if (rebuilt) detail::write_index(s.dir, s.infos, s.options.write.ipc.durable);
}

CheckpointManager::~CheckpointManager() {
    State& s = *state_;
    {
        const std::lock_guard lock(s.mutex);
        s.stopping = true;
    }
    s.changed.notify_all();
    if (s.worker.joinable()) s.worker.join();
    const std::lock_guard lock(s.mutex);
    while (std::exception_ptr e = s.take_uncollected())
        std::cerr << "legolasflux: a checkpoint of " << s.dir.string() << " was not saved: " << describe(e) << "\n";
}

namespace {

// Ranking by a column of strings is refused before anything is written, as is a missing metric
// when the options say so.
void check_metric(const CheckpointOptions& options, int64_t step, const arrow::Table& table) {
    if (!options.best) return;
    CheckpointInfo probe;
    probe.step = step;
    probe.metrics = detail::metrics_of(table);
    if (!detail::ranking_value(probe, options.best->column) && options.best->missing == MissingMetric::Error)
        throw InvalidArgument("step " + std::to_string(step) + " has no value in '" + options.best->column +
                              "', by which checkpoints are ranked (MissingMetric::Error): not saved");
}

}  // namespace

SaveHandle CheckpointManager::enqueue(int64_t step, const legolas::SchemaVersion& sv, const arrow::Table& table,
                                      const Weights* weights,
                                      std::function<void(const std::filesystem::path&, const Weights*)> write) {
    State& s = *state_;
    std::string file = checkpoint_file_name(step, sv.name);
    check_metric(s.options, step, table);
    std::unique_lock lock(s.mutex);
    if (std::exception_ptr e = s.take_uncollected()) std::rethrow_exception(e);
    s.check_new_step(step);
    s.changed.wait(lock, [&] { return static_cast<int>(s.in_flight.size()) < s.options.max_in_flight; });
    State::Job job;
    job.shared = std::make_shared<SaveHandle::Shared>();
    job.shared->step = step;
    job.file = std::move(file);
    std::optional<Weights> snap;
    if (weights) snap = s.snapshot(*weights, job.staging);
    job.write = [write = std::move(write), snap = std::move(snap)](const std::filesystem::path& path) {
        write(path, snap ? &*snap : nullptr);
    };
    s.in_flight.insert(step);
    s.unfinished.push_back(job.shared);
    SaveHandle handle(job.shared);
    s.queue.push_back(std::move(job));
    if (!s.worker.joinable()) s.worker = std::thread([&s] { s.run(); });
    lock.unlock();
    s.changed.notify_all();
    return handle;
}

SaveHandle CheckpointManager::submit(int64_t step, arrow::Table table, const legolas::SchemaVersion& own,
                                     const Weights* weights) {
    const ModelWriteOptions& options = state_->options.write;
    const legolas::SchemaVersion sv = options.schema_version.value_or(own);
    const arrow::Table& probe = table;
    return enqueue(step, sv, probe, weights,
                   [table, own, options](const std::filesystem::path& path, const Weights* snapshot) {
                       detail::write_model_table(path, table, own, options, snapshot);
                   });
}

SaveHandle CheckpointManager::save_async(int64_t step, const ModelRow& row) {
    // The row's table is immutable (its buffers are shared, never written): no snapshot needed.
    const ModelWriteOptions& options = state_->options.write;
    const legolas::SchemaVersion sv = options.schema_version.value_or(row.schema_version);
    if (!legolas::default_registry().descends_from(row.schema_version, sv))
        throw InvalidArgument("cannot label a " + legolas::to_string(row.schema_version) + " row as " +
                              legolas::to_string(sv));
    // options.schema_version names the file only: the label inside, and the names, are the table's
    // own, which write_model_row refuses to be given for a ModelRow.
    ModelWriteOptions write = options;
    write.schema_version.reset();
    write.weight_names.clear();
    write.weight_dtypes.clear();
    return enqueue(step, sv, row.table, nullptr, [row, write](const std::filesystem::path& path, const Weights*) {
        write_model_row(path, row, write);
    });
}

void CheckpointManager::wait() {
    State& s = *state_;
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&] { return s.in_flight.empty(); });
    if (std::exception_ptr e = s.take_uncollected()) std::rethrow_exception(e);
}

std::vector<int64_t> CheckpointManager::steps() const {
    const std::lock_guard lock(state_->mutex);
    std::vector<int64_t> out;
    for (const CheckpointInfo& info : state_->infos) out.push_back(info.step);
    return out;
}

std::optional<int64_t> CheckpointManager::latest() const {
    const std::lock_guard lock(state_->mutex);
    if (state_->infos.empty()) return std::nullopt;
    return state_->infos.back().step;
}

std::vector<int64_t> CheckpointManager::best_steps() const {
    const std::lock_guard lock(state_->mutex);
    if (!state_->options.best) return {};
    // The best policy keeps the first `count` of this order (detail::retain).
    std::vector<int64_t> ranked = detail::rank_best(state_->infos, *state_->options.best);
    ranked.resize(std::min(ranked.size(), static_cast<size_t>(state_->options.best->count)));
    return ranked;
}

std::optional<int64_t> CheckpointManager::best() const {
    const std::vector<int64_t> ranked = best_steps();
    if (ranked.empty()) return std::nullopt;
    return ranked.front();
}

std::vector<CheckpointInfo> CheckpointManager::checkpoints() const {
    const std::lock_guard lock(state_->mutex);
    return state_->infos;
}

CheckpointInfo CheckpointManager::info(int64_t step) const {
    const std::lock_guard lock(state_->mutex);
    for (const CheckpointInfo& info : state_->infos)
        if (info.step == step) return info;
    throw InvalidArgument("step " + std::to_string(step) + " is not a committed checkpoint of " + state_->dir.string());
}

std::filesystem::path CheckpointManager::path(int64_t step) const { return state_->dir / info(step).file; }

std::vector<DamagedCheckpoint> CheckpointManager::damaged() const {
    const std::lock_guard lock(state_->mutex);
    return state_->damaged;
}

std::vector<std::string> CheckpointManager::notes() const {
    const std::lock_guard lock(state_->mutex);
    return state_->notes;
}

const std::filesystem::path& CheckpointManager::directory() const noexcept { return state_->dir; }

void CheckpointManager::pin(int64_t step) {
    State& s = *state_;
    (void)info(step);
    const std::lock_guard lock(s.mutex);
    s.pinned.insert(step);
    s.apply_retention(s.infos);
    detail::write_index(s.dir, s.infos, s.options.write.ipc.durable);
}

void CheckpointManager::unpin(int64_t step) {
    State& s = *state_;
    const std::lock_guard lock(s.mutex);
    s.pinned.erase(step);
    // Retention deletes what nothing keeps at the next save, as for any other policy change.
    s.apply_retention(s.infos);
    detail::write_index(s.dir, s.infos, s.options.write.ipc.durable);
}

ModelRow CheckpointManager::read(int64_t step, const ModelReadOptions& options) const {
    const std::filesystem::path p = path(step);
    if (is_sharded_step(p))
        throw InvalidArgument("step " + std::to_string(step) + " is a sharded checkpoint (" + p.string() +
                              "): load it with load_sharded, or consolidate it into one row");
    return read_model_row(p, options);
}

std::optional<RestoredCheckpoint<ModelRow>> CheckpointManager::restore_latest(const ModelReadOptions& options) {
    return restore_row(std::nullopt, options);
}

std::optional<RestoredCheckpoint<ModelRow>> CheckpointManager::restore_row(
    const std::optional<legolas::SchemaVersion>& wanted, const ModelReadOptions& options) {
    State& s = *state_;
    ModelReadOptions verified = options;
    verified.verify_checksums = true;
    verified.verify_metadata = true;
    std::vector<DamagedCheckpoint> skipped;
    for (;;) {
        CheckpointInfo newest;
        {
            const std::lock_guard lock(s.mutex);
            if (s.infos.empty()) return std::nullopt;
            newest = s.infos.back();
        }
        const std::filesystem::path p = s.dir / newest.file;
        if (is_sharded_step(p))
            throw InvalidArgument("step " + std::to_string(newest.step) + " is a sharded checkpoint (" + p.string() +
                                  "): restore it with load_sharded");
        std::string error;
        try {
            return RestoredCheckpoint<ModelRow>{newest.step, detail::read_step_file(p, wanted, verified),
                                                std::move(skipped)};
        } catch (const FormatError& e) {  // CorruptionError included
            error = e.what();
        } catch (const IoError& e) {
            error = e.what();
        } catch (const UnsupportedError& e) {  // a step file is never written with what we lack
            error = e.what();
        }
        const DamagedCheckpoint d{newest.step, newest.file, error};
        skipped.push_back(d);
        const std::lock_guard lock(s.mutex);
        std::erase_if(s.infos, [&](const CheckpointInfo& i) { return i.step == d.step; });
        s.damaged.push_back(d);
        s.notes.push_back(d.file + " is damaged (found by restore_latest): " + d.error);
        s.apply_retention(s.infos);
    }
}

std::filesystem::path detail::ShardedSteps::path(const CheckpointManager& run, int64_t step) {
    return run.state_->dir / sharded_step_name(step);
}

void detail::ShardedSteps::check_new(CheckpointManager& run, int64_t step) {
    const std::lock_guard lock(run.state_->mutex);
    run.state_->check_new_step(step);
}

void detail::ShardedSteps::record(CheckpointManager& run, int64_t step) {
    CheckpointManager::State& s = *run.state_;
    {
        const std::lock_guard lock(s.mutex);
        s.check_new_step(step);
    }
    const std::filesystem::path dir = path(run, step);
    if (!is_sharded_step(dir)) throw InvalidArgument(dir.string() + " is not a committed sharded step");
    s.record(sharded_step_name(step), step);
}

}  // namespace legolasflux
