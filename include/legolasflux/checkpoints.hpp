// Checkpoints of a training run: a run directory of step-numbered model rows, retention by recency,
// by a metric column of the rows, by period and by pins, an index table, asynchronous saves, and a
// resume that survives damaged files.
//
//   legolasflux::CheckpointOptions options;
//   options.max_to_keep = 3;                                         // the last 3 steps
//   options.best = legolasflux::KeepBest{"accuracy", legolasflux::BestMode::Max, 2};  // and the best 2
//   legolasflux::CheckpointManager run("runs/digits", options);
//   int64_t start = 0;
//   if (auto restored = run.restore_latest<DigitsRowV1>()) {  // the newest step that reads whole
//       load_into(model, restored->row);
//       start = restored->step;
//   }
//   for (int64_t step = start + 1; step <= steps; ++step) {
//       train_one_step(model);
//       if (step % 5 == 0) run.save_async(step, row_of(model, step));  // returns once snapshotted
//   }
//   run.wait();  // (the destructor waits too)
//
// The directory holds one file per committed step, "step-<step, 10 digits>.<schema name>.arrow" (an
// ordinary model row: write_model_row's file, checksums included) — or, for a sharded step, a
// directory "step-<step, 10 digits>.sharded" (legolasflux/sharded.hpp) —, and the index
// "checkpoints.arrow" (kCheckpointIndexFile), a Legolas table of legolas-flux.checkpoint-index@1
// with one row per committed step: step, file, schema (the row's qualified identifier), committed_at
// (UTC), bytes, checksum (the file's recorded XXH3-64, 16 hex digits), kept_by, and one column per
// scalar column of the rows (booleans, integers, floats, strings: the metrics), missing where a row
// has no such column. Any Arrow reader can query it. The index records a checksum of its own file
// (as model files do: schema metadata "legolasflux.checksums"), and so does a sharded step's index.
//
// Commit: a step's file is written to a temporary file and renamed into place (crash-safe, as every
// save); then retention deletes what no policy keeps, and the index is rewritten the same way. A
// step is committed once its file is in place: if the process dies before the index is rewritten,
// the next open finds the file and adds it to the index. Opening the directory:
//   - takes ".checkpoints.lock" (flock): one manager per run directory at a time, across processes;
//     a second one gets an IoError saying so. The lock dies with its process, however it dies.
//   - removes the temporary files of dead writers (collect_stale_temporaries: never a live one's),
//     and what sharded saves and deletions that died left (".step-….sharded.pending" and
//     ".step-….sharded.deleting": a sharded save into a managed run directory goes through its
//     manager, whose lock this one now holds);
//   - checks every step file's file checksum (every byte but the weight values: cheap) — a sharded
//     step's index checksum and each of its shard files' —, and the index's checksum;
//   - reads the index, or rebuilds it from the step files when it is missing or damaged (notes()
//     says so); takes an index entry only where it agrees with its checked file.
//
// Damaged steps. A step whose file (or shard file, or shard index) fails to read or fails its
// checksum is in damaged() and notes(), never in steps() or latest(), never counted by retention,
// and never deleted: it is set aside, renamed "<file>.damaged" (kDamagedSuffix; "….damaged-2"…
// when taken), when a save needs its step number or when retention reaches it (no policy would keep
// it were it a good step without metrics). `legolasflux checkpoints` lists set-aside files and
// `legolasflux gc DIR --damaged` removes them. Opening does not hash the weight values; damage there
// is found by whatever reads them: restore_latest, read(), verify_checkpoint
// (`legolasflux checkpoints DIR --verify`). restore_latest reads the newest step that reads whole,
// values verified, and makes the ones that did not damaged(): the resume trains from there, and its
// save of a damaged step's number sets that file aside and commits.
//
// Retention: a committed step is kept when any policy keeps it: the latest step always; the last
// `max_to_keep` steps; the `best.count` best by a column of the rows; every step that is a multiple
// of `keep_period`; `pinned` steps. With neither max_to_keep nor best set, every step is kept. The
// newest good step is the latest, however many damaged steps are newer.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "legolasflux/model.hpp"

namespace legolasflux {

// The name of the index table in a run directory.
inline constexpr std::string_view kCheckpointIndexFile = "checkpoints.arrow";
// The lock file a manager holds while it has a run directory open.
inline constexpr std::string_view kCheckpointLockFile = ".checkpoints.lock";

enum class BestMode : uint8_t { Max, Min };

// What to do with a row whose metric column is missing (absent, null or NaN).
enum class MissingMetric : uint8_t {
    Worst,  // rank it below every row that has a value
    Error,  // refuse to save it (InvalidArgument; nothing is written)
};

struct KeepBest {
    std::string column;  // a boolean, integer or floating-point column of the rows
    BestMode mode = BestMode::Max;
    int count = 1;
    MissingMetric missing = MissingMetric::Worst;
};

struct CheckpointOptions {
    std::optional<int> max_to_keep;      // the last N steps (N >= 1)
    std::optional<KeepBest> best;        // the best K by a column (ties: the later step first)
    std::optional<int64_t> keep_period;  // every step that is a multiple of M (M >= 1)
    // These steps, until unpinned (CheckpointManager::pin/unpin): a pin is recorded in the index
    // ("pinned" in kept_by) and lasts across runs.
    std::vector<int64_t> pinned;
    // Asynchronous saves submitted and not yet committed at most; save_async waits for a slot.
    int max_in_flight = 1;
    // How each step's row is written (durable by default; compression, bfloat16, weight names…).
    ModelWriteOptions write;
};

// A scalar column value of a row, as the index stores it: missing, bool, signed or unsigned
// integer, floating point, or string.
using MetricValue = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string>;

struct Metric {
    std::string name;
    arrow::DataType type;  // the column's Arrow type in the row
    MetricValue value;
};

struct CheckpointInfo {
    int64_t step = 0;
    std::string file;    // in the run directory
    std::string schema;  // the row's qualified identifier, "digits.model@1>legolas-flux.model@1"
    std::chrono::sys_time<std::chrono::nanoseconds> committed_at{};
    uint64_t bytes = 0;
    std::string checksum;              // 16 hex digits (empty for a file without recorded checksums)
    std::vector<Metric> metrics;       // the row's scalar columns, in column order
    std::vector<std::string> kept_by;  // "latest", "last", "best", "period", "pinned", "all"

    const Metric* metric(std::string_view name) const;
};

// A step file that could not be read, or failed a checksum.
struct DamagedCheckpoint {
    int64_t step = 0;
    std::string file;
    std::string error;
};

// What a damaged step's file is renamed to end with when it is set aside.
inline constexpr std::string_view kDamagedSuffix = ".damaged";

// A step read back by CheckpointManager::restore_latest: its number, its row, and the newer steps
// that were skipped because they did not read (newest first; they are now damaged()).
template <class Row>
struct RestoredCheckpoint {
    int64_t step = 0;
    Row row;
    std::vector<DamagedCheckpoint> skipped;
};

// The committed steps of a run directory, read without opening it for writing (no lock taken,
// nothing removed or rewritten): the index when it is sound and agrees with the files, else what the
// files say. Damaged files go to `damaged` when given. IoError when `dir` is not a directory.
std::vector<CheckpointInfo> list_checkpoints(const std::filesystem::path& dir,
                                             std::vector<DamagedCheckpoint>* damaged = nullptr);

// Reads a committed step — `path`, a step file or a sharded step's directory — and checks every
// checksum it records, the weight values' included (a sharded step: its index, then every shard
// file). Throws what it finds: a CorruptionError (or FormatError, IoError) naming the file. This is
// what `legolasflux checkpoints DIR --verify` does for every step; opening a run checks less.
void verify_checkpoint(const std::filesystem::path& path, int threads = 0);

// The names of the damaged steps set aside in `dir` ("step-….damaged", "step-….damaged-2"…),
// sorted. IoError when `dir` cannot be listed.
std::vector<std::string> set_aside_checkpoints(const std::filesystem::path& dir);

// Declares legolas-flux.checkpoint-index@1 in legolas::default_registry(), so that programs that
// never open a run directory (a validator, say) know the index's schema. Managers do it themselves.
void declare_checkpoint_index_schema();

// The file name of a step: "step-0000000042.digits.model.arrow".
std::string checkpoint_file_name(int64_t step, std::string_view schema_name);

// Completion of an asynchronous save: whether the step is committed, and its error. An error
// collected here (get) is not reported again by the manager.
class SaveHandle {
public:
    SaveHandle() = default;
    int64_t step() const noexcept;
    bool valid() const noexcept { return shared_ != nullptr; }
    void wait() const;   // until committed or failed
    bool ready() const;  // committed or failed
    void get() const;    // waits, then rethrows the save's error

private:
    friend class CheckpointManager;
    struct Shared;  // (checkpoints.cpp)
    explicit SaveHandle(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    std::shared_ptr<Shared> shared_;
};

namespace detail {
struct ShardedSteps;
}  // namespace detail

class CheckpointManager {
public:
    // Opens (creating it and its parents) the run directory; see the top of this file.
    // InvalidArgument for impossible options.
    explicit CheckpointManager(std::filesystem::path dir, CheckpointOptions options = {});
    // Waits for the saves in flight. A destructor cannot throw: an error nobody collected (through
    // a handle, wait() or a later save) is written to stderr, naming the step, so it is not lost.
    ~CheckpointManager();
    CheckpointManager(const CheckpointManager&) = delete;
    CheckpointManager& operator=(const CheckpointManager&) = delete;

    // Saves `row` as step `step` and returns when it is committed (file, retention, index).
    // InvalidArgument when the step is negative or already committed (or in flight); on any error
    // nothing committed before is lost.
    template <legolas::Record R>
    void save(int64_t step, const R& row) {
        save_async(step, row).get();
    }
    // Returns once the row is snapshotted: the weights copied into staging memory the manager
    // reuses between saves. The caller may change or free the model right away. Waits first while
    // max_in_flight saves are in flight. An error of an earlier asynchronous save that nobody has
    // collected (through its handle) is thrown here, before anything else happens.
    template <legolas::Record R>
    SaveHandle save_async(int64_t step, const R& row) {
        static_assert(std::is_base_of_v<ModelV1, R>, "a checkpoint row extends legolasflux::ModelV1");
        R checked = legolas::make(row);
        std::optional<Weights> weights = std::move(checked.weights);
        checked.weights.reset();
        return submit(step, legolas::to_table(std::vector<R>{checked}), legolas::schema_version_of<R>(),
                      weights ? &*weights : nullptr);
    }
    // A row read without naming its type (read_model_row's ModelRow): written as it is.
    SaveHandle save_async(int64_t step, const ModelRow& row);
    void save(int64_t step, const ModelRow& row) { save_async(step, row).get(); }

    // Waits for every save in flight; throws the first error nobody has collected.
    void wait();

    // Committed steps, ascending (saves in flight not included).
    std::vector<int64_t> steps() const;
    std::optional<int64_t> latest() const;
    // The best step by options.best (nullopt without that policy or without steps); best_steps
    // the kept ones, best first.
    std::optional<int64_t> best() const;
    std::vector<int64_t> best_steps() const;
    std::vector<CheckpointInfo> checkpoints() const;
    CheckpointInfo info(int64_t step) const;         // InvalidArgument for an uncommitted step
    std::filesystem::path path(int64_t step) const;  // InvalidArgument for an uncommitted step
    std::vector<DamagedCheckpoint> damaged() const;
    // What opening the directory did: temporaries removed, index rebuilt, damaged files.
    std::vector<std::string> notes() const;
    const std::filesystem::path& directory() const noexcept;

    // Keeps `step` whatever the other policies say (until unpinned); the index records it.
    void pin(int64_t step);
    void unpin(int64_t step);

    // Sharded steps (legolasflux/sharded.hpp): a step may be a directory of shard files written by
    // several processes, "step-<10 digits>.sharded". Such a step is listed, indexed (schema
    // legolas-flux.shard-index@1, no metrics), kept, deleted and set aside like a step file; read()
    // and restore_latest refuse it. The torch adapter's save_sharded (legolasflux/torch/sharded.hpp)
    // writes one into a run and records it here, through detail::ShardedSteps.

    // Reads a committed step back (read_model_row: checksums verified by default).
    ModelRow read(int64_t step, const ModelReadOptions& options = {}) const;
    template <legolas::Record R>
    R read(int64_t step, const ModelReadOptions& options = {}) const {
        return read_model_row<R>(path(step), options);
    }

    // The resume: reads the newest committed step that reads whole, with every checksum verified
    // (the weight values' too, whatever `options` say), trying older ones while a step is damaged
    // (a FormatError — CorruptionError included —, IoError or UnsupportedError reading it). The
    // steps passed over become damaged() (and leave steps()), are reported in `skipped`, and are set
    // aside when a save needs their number. nullopt when no step reads (the ones that did not are
    // then in damaged()). Other errors are thrown (SchemaError: the step is not an R row): they say
    // nothing of the file. InvalidArgument when the newest step to try is a sharded one.
    std::optional<RestoredCheckpoint<ModelRow>> restore_latest(const ModelReadOptions& options = {});
    template <legolas::Record R>
    std::optional<RestoredCheckpoint<R>> restore_latest(const ModelReadOptions& options = {}) {
        legolas::ensure_declared<R>();
        auto restored = restore_row(legolas::schema_version_of<R>(), options);
        if (!restored) return std::nullopt;
        return RestoredCheckpoint<R>{restored->step, legolas::from_row<R>(restored->row.table, 0),
                                     std::move(restored->skipped)};
    }

private:
    friend struct detail::ShardedSteps;
    struct State;
    std::unique_ptr<State> state_;

    std::optional<RestoredCheckpoint<ModelRow>> restore_row(const std::optional<legolas::SchemaVersion>& wanted,
                                                            const ModelReadOptions& options);
    SaveHandle submit(int64_t step, arrow::Table table, const legolas::SchemaVersion& own, const Weights* weights);
    SaveHandle enqueue(int64_t step, const legolas::SchemaVersion& sv, const arrow::Table& table,
                       const Weights* weights, std::function<void(const std::filesystem::path&, const Weights*)> write);
};

namespace detail {
// How a sharded save enters a run directory: the manager's internals that the torch adapter's
// save_sharded (and the tests of it) reach. Declared here, not in a private header, only because the
// torch layer reads the model layer through its installed headers; not part of the API. Programs
// save sharded steps into a run with save_sharded (legolasflux/torch/sharded.hpp).
struct ShardedSteps {
    // Where a sharded save of `step` commits: the run directory's "step-<10 digits>.sharded".
    static std::filesystem::path path(const CheckpointManager& run, int64_t step);
    // InvalidArgument when `step` is already committed, queued or being written, so that a save
    // that could not be recorded commits nothing; a damaged file of that step is set aside (IoError
    // when it cannot be). Called before the save.
    static void check_new(CheckpointManager& run, int64_t step);
    // Adds the committed sharded step at path(run, step) (retention, then the index).
    // InvalidArgument when there is none, or when `step` is already taken.
    static void record(CheckpointManager& run, int64_t step);
};
}  // namespace detail

}  // namespace legolasflux
