// CheckpointManager (legolasflux/checkpoints.hpp): step files, retention, the index and its
// rebuilding, damaged files, the run directory's lock, stale temporaries, and a save killed mid-write.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "support/processes.hpp"
#include "support/scratch.hpp"

namespace ckpt_test {

struct RunRowV1 : legolasflux::ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
    std::optional<std::string> note;
    std::optional<int64_t> step;  // a row column named like an index column
};
LEGOLAS_RECORD_EXTENDS(RunRowV1, "ckpt-test.run", 1, legolasflux::ModelV1, epoch, accuracy, note, step);

}  // namespace ckpt_test

using namespace legolasflux;
using ckpt_test::RunRowV1;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_path("checkpoints/" + name); }

RunRowV1 row_of(int64_t step, std::optional<float> accuracy, int64_t n = 6) {
    RunRowV1 r;
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = static_cast<float>(step * 100 + i);
    r.weights =
        Weights({FlatArray::from_values<float>({2, n / 2}, values), FlatArray::from_values<float>({1}, {0.5f})});
    r.architecture_version = 1;
    r.epoch = step / 2;
    r.accuracy = accuracy;
    r.note = "step " + std::to_string(step);
    r.step = step;
    return r;
}

std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool any_note(const CheckpointManager& m, const std::string& part) {
    const auto notes = m.notes();
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(part) != n.npos; });
}

}  // namespace

TEST(Checkpoints, FileNames) {
    EXPECT_EQ(checkpoint_file_name(42, "digits.model"), "step-0000000042.digits.model.arrow");
    EXPECT_EQ(checkpoint_file_name(12345678901, "x"), "step-12345678901.x.arrow");
    EXPECT_THROW(checkpoint_file_name(-1, "x"), InvalidArgument);
}

TEST(Checkpoints, SavesStepFilesAndAnIndex) {
    const fs::path dir = scratch("basic") / "nested" / "run";
    CheckpointManager run(dir);
    EXPECT_FALSE(run.latest());
    run.save(10, row_of(10, 0.5f));
    run.save(20, row_of(20, 0.7f));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{10, 20}));
    EXPECT_EQ(run.latest(), 20);
    EXPECT_EQ(run.path(10), dir / "step-0000000010.ckpt-test.run.arrow");
    const auto files = files_in(dir);
    EXPECT_TRUE(has(files, "checkpoints.arrow"));
    EXPECT_TRUE(has(files, "step-0000000010.ckpt-test.run.arrow"));
    EXPECT_TRUE(has(files, "step-0000000020.ckpt-test.run.arrow"));

    const RunRowV1 back = run.read<RunRowV1>(10);
    EXPECT_EQ(back.weights, row_of(10, 0.5f).weights);
    EXPECT_EQ(back.accuracy, 0.5f);
    EXPECT_EQ(back.note, "step 10");
    const ModelRow untyped = run.read(20);
    EXPECT_EQ(untyped.qualified_identifier, "ckpt-test.run@1>legolas-flux.model@1");

    const CheckpointInfo info = run.info(20);
    EXPECT_EQ(info.schema, "ckpt-test.run@1>legolas-flux.model@1");
    EXPECT_EQ(info.bytes, fs::file_size(run.path(20)));
    EXPECT_EQ(info.checksum.size(), 16u);
    ASSERT_NE(info.metric("accuracy"), nullptr);
    EXPECT_EQ(std::get<double>(info.metric("accuracy")->value), 0.7f);
    EXPECT_EQ(info.metric("accuracy")->type, arrow::float32());
    EXPECT_EQ(std::get<int64_t>(info.metric("epoch")->value), 10);
    EXPECT_EQ(std::get<std::string>(info.metric("note")->value), "step 20");
    EXPECT_EQ(std::get<int64_t>(info.metric("step")->value), 20);
    EXPECT_EQ(info.kept_by, (std::vector<std::string>{"latest", "all"}));
    EXPECT_THROW(run.info(15), InvalidArgument);
    EXPECT_THROW(run.save(20, row_of(20, 0.1f)), InvalidArgument);
    EXPECT_THROW(run.save(-1, row_of(1, 0.1f)), InvalidArgument);
}

TEST(Checkpoints, TheIndexIsALegolasTableOfItsOwnSchema) {
    const fs::path dir = scratch("index");
    {
        CheckpointManager run(dir);
        run.save(1, row_of(1, 0.25f));
        run.save(2, row_of(2, std::nullopt));
    }
    const legolas::ReadResult index = legolas::read(dir / "checkpoints.arrow");
    EXPECT_EQ(legolas::to_string(index.schema_version), "legolas-flux.checkpoint-index@1");
    EXPECT_EQ(index.table.num_rows(), 2);
    std::vector<std::string> names;
    for (const auto& f : index.table.schema->fields) names.push_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"step", "file", "schema", "committed_at", "bytes", "checksum", "kept_by",
                                               "architecture_version", "epoch", "accuracy", "note", "row_step"}));
    const auto& fields = index.table.schema->fields;
    EXPECT_EQ(fields[3].type, arrow::timestamp(arrow::TimeUnit::Nanosecond, "UTC"));
    EXPECT_EQ(fields[9].type, arrow::float32());
    const arrow::Array& accuracy = *index.table.batches.at(0).columns[9];
    EXPECT_TRUE(accuracy.is_valid(0));
    EXPECT_TRUE(accuracy.is_null(1));

    // Opened again: the index's entries, committed_at included, and the row column "step" back under its name.
    const auto before = list_checkpoints(dir);
    CheckpointManager again(dir);
    EXPECT_TRUE(again.notes().empty());
    const auto after = again.checkpoints();
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].committed_at, before[0].committed_at);
    EXPECT_EQ(std::get<int64_t>(after[1].metric("step")->value), 2);
    EXPECT_EQ(after[1].metric("accuracy"), nullptr);
}

TEST(Checkpoints, KeepsTheLastAndTheBest) {
    const fs::path dir = scratch("retention");
    CheckpointOptions options;
    options.max_to_keep = 2;
    options.best = KeepBest{"accuracy", BestMode::Max, 1};
    CheckpointManager run(dir, options);
    const std::vector<float> accuracy = {0.5f, 0.9f, 0.3f, 0.4f, 0.2f};
    for (int64_t step = 1; step <= 5; ++step) run.save(step, row_of(step, accuracy[static_cast<size_t>(step - 1)]));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 4, 5}));
    EXPECT_EQ(run.best(), 2);
    EXPECT_EQ(run.info(2).kept_by, (std::vector<std::string>{"best"}));
    EXPECT_EQ(run.info(4).kept_by, (std::vector<std::string>{"last"}));
    EXPECT_EQ(run.info(5).kept_by, (std::vector<std::string>{"latest", "last"}));
    EXPECT_FALSE(fs::exists(dir / "step-0000000001.ckpt-test.run.arrow"));
    EXPECT_FALSE(fs::exists(dir / "step-0000000003.ckpt-test.run.arrow"));
    EXPECT_EQ(list_checkpoints(dir).size(), 3u);
}

TEST(Checkpoints, BestByMinimumWithMissingMetricsLast) {
    const fs::path dir = scratch("min");
    CheckpointOptions options;
    options.max_to_keep = 1;
    options.best = KeepBest{"accuracy", BestMode::Min, 2};
    CheckpointManager run(dir, options);
    run.save(1, row_of(1, std::nullopt));
    run.save(2, row_of(2, 0.4f));
    run.save(3, row_of(3, std::nullopt));
    run.save(4, row_of(4, 0.6f));
    run.save(5, row_of(5, std::nullopt));
    EXPECT_EQ(run.best_steps(), (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 4, 5}));
}

TEST(Checkpoints, MissingMetricCanBeAnError) {
    const fs::path dir = scratch("missing");
    CheckpointOptions options;
    options.best = KeepBest{"accuracy", BestMode::Max, 1, MissingMetric::Error};
    CheckpointManager run(dir, options);
    run.save(1, row_of(1, 0.1f));
    try {
        run.save(2, row_of(2, std::nullopt));
        FAIL() << "a row without the metric was saved";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("accuracy"), std::string::npos) << e.what();
    }
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{1}));
    EXPECT_FALSE(fs::exists(dir / "step-0000000002.ckpt-test.run.arrow"));
}

TEST(Checkpoints, RankingByAStringColumnIsRefused) {
    CheckpointOptions options;
    options.best = KeepBest{"note", BestMode::Max, 1};
    CheckpointManager run(scratch("string_metric"), options);
    EXPECT_THROW(run.save(1, row_of(1, 0.1f)), InvalidArgument);
    EXPECT_TRUE(run.steps().empty());
}

TEST(Checkpoints, PeriodAndPins) {
    const fs::path dir = scratch("period");
    CheckpointOptions options;
    options.max_to_keep = 1;
    options.keep_period = 4;
    options.pinned = {3};
    {
        CheckpointManager run(dir, options);
        for (int64_t step = 1; step <= 9; ++step) run.save(step, row_of(step, 0.1f));
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{3, 4, 8, 9}));
        EXPECT_EQ(run.info(3).kept_by, (std::vector<std::string>{"pinned"}));
        EXPECT_EQ(run.info(8).kept_by, (std::vector<std::string>{"period"}));
        run.pin(9);
        EXPECT_THROW(run.pin(5), InvalidArgument);
    }
    // Pins survive in the index, those of the options too; unpinned steps go at the next save.
    options.pinned.clear();
    CheckpointManager run(dir, options);
    EXPECT_EQ(run.info(9).kept_by, (std::vector<std::string>{"latest", "last", "pinned"}));
    EXPECT_EQ(run.info(3).kept_by, (std::vector<std::string>{"pinned"}));
    run.save(10, row_of(10, 0.1f));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{3, 4, 8, 9, 10}));
    run.unpin(9);
    run.unpin(3);
    EXPECT_TRUE(run.info(3).kept_by.empty());
    run.save(11, row_of(11, 0.1f));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{4, 8, 11}));
}

TEST(Checkpoints, ImpossibleOptions) {
    const fs::path dir = scratch("options");
    CheckpointOptions o;
    o.max_to_keep = 0;
    EXPECT_THROW(CheckpointManager(dir, o), InvalidArgument);
    o = {};
    o.keep_period = 0;
    EXPECT_THROW(CheckpointManager(dir, o), InvalidArgument);
    o = {};
    o.best = KeepBest{"", BestMode::Max, 1};
    EXPECT_THROW(CheckpointManager(dir, o), InvalidArgument);
    o = {};
    o.max_in_flight = 0;
    EXPECT_THROW(CheckpointManager(dir, o), InvalidArgument);
}

TEST(Checkpoints, RebuildsAMissingOrDamagedIndex) {
    const fs::path dir = scratch("rebuild");
    {
        CheckpointManager run(dir);
        run.save(1, row_of(1, 0.1f));
        run.save(2, row_of(2, 0.2f));
    }
    fs::remove(dir / "checkpoints.arrow");
    {
        CheckpointManager run(dir);
        EXPECT_TRUE(any_note(run, "checkpoints.arrow is missing")) << ::testing::PrintToString(run.notes());
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{1, 2}));
        EXPECT_EQ(std::get<double>(run.info(2).metric("accuracy")->value), 0.2f);
    }
    EXPECT_TRUE(fs::exists(dir / "checkpoints.arrow"));
    std::ofstream(dir / "checkpoints.arrow", std::ios::binary | std::ios::trunc) << "not an arrow file";
    {
        CheckpointManager run(dir);
        EXPECT_TRUE(any_note(run, "checkpoints.arrow is damaged")) << ::testing::PrintToString(run.notes());
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{1, 2}));
    }
    // A step file gone behind our back is dropped, with a note; one the index missed is added.
    fs::remove(dir / "step-0000000001.ckpt-test.run.arrow");
    fs::copy_file(dir / "step-0000000002.ckpt-test.run.arrow", dir / "step-0000000007.ckpt-test.run.arrow");
    CheckpointManager run(dir);
    EXPECT_TRUE(any_note(run, "its file is gone")) << ::testing::PrintToString(run.notes());
    EXPECT_TRUE(any_note(run, "step-0000000007.ckpt-test.run.arrow is not in the index"));
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 7}));
    EXPECT_EQ(run.latest(), 7);
}

TEST(Checkpoints, ADamagedStepFileIsReportedNotDropped) {
    const fs::path dir = scratch("damaged");
    {
        CheckpointOptions options;
        options.max_to_keep = 1;
        CheckpointManager run(dir, options);
        run.save(1, row_of(1, 0.1f));
        run.save(2, row_of(2, 0.2f));
        run.save(3, row_of(3, 0.3f));
    }
    const fs::path damaged = dir / "step-0000000003.ckpt-test.run.arrow";
    fs::resize_file(damaged, fs::file_size(damaged) / 2);
    CheckpointOptions options;
    options.max_to_keep = 1;
    CheckpointManager run(dir, options);
    ASSERT_EQ(run.damaged().size(), 1u);
    EXPECT_EQ(run.damaged()[0].step, 3);
    EXPECT_TRUE(any_note(run, "step-0000000003.ckpt-test.run.arrow is damaged"));
    EXPECT_TRUE(run.steps().empty());
    run.save(4, row_of(4, 0.4f));
    // Retention reached it: set aside, never deleted.
    EXPECT_FALSE(fs::exists(damaged));
    EXPECT_TRUE(fs::exists(dir / "step-0000000003.ckpt-test.run.arrow.damaged"));
    EXPECT_TRUE(run.damaged().empty());
    std::vector<DamagedCheckpoint> listed;
    EXPECT_EQ(list_checkpoints(dir, &listed).size(), 1u);
    EXPECT_TRUE(listed.empty());
    EXPECT_EQ(set_aside_checkpoints(dir), std::vector<std::string>{"step-0000000003.ckpt-test.run.arrow.damaged"});
}

TEST(Checkpoints, OneManagerPerRunDirectory) {
    const fs::path dir = scratch("lock");
    {
        CheckpointManager run(dir);
        try {
            CheckpointManager second(dir);
            FAIL() << "a second manager opened the run directory";
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("another CheckpointManager"), std::string::npos) << e.what();
        }
        // Listing takes no lock.
        EXPECT_TRUE(list_checkpoints(dir).empty());
    }
    CheckpointManager again(dir);
}

TEST(Checkpoints, OpeningRemovesTemporariesOfDeadWritersOnly) {
    const fs::path dir = scratch("temporaries");
    fs::create_directories(dir);
    const std::string dead =
        ".step-0000000001.ckpt-test.run.arrow.tmp-" + std::to_string(lftest::dead_pid()) + "-0123456789ab";
    const std::string live = ".step-0000000002.ckpt-test.run.arrow.tmp-" + std::to_string(::getpid()) + "-0123456789ab";
    std::ofstream(dir / dead) << "half a save";
    std::ofstream(dir / live) << "a save of this process";
    CheckpointManager run(dir);
    EXPECT_TRUE(any_note(run, "removed " + dead)) << ::testing::PrintToString(run.notes());
    EXPECT_FALSE(fs::exists(dir / dead));
    EXPECT_TRUE(fs::exists(dir / live));
}

TEST(Checkpoints, ASaveKilledMidWriteCommitsNothingAndLeavesNothing) {
    const fs::path dir = scratch("killed");
    {
        CheckpointManager run(dir);
        run.save(1, row_of(1, 0.1f));
    }
    lftest::Pipe pipe;
    lftest::Child child([&] {
        pipe.close_read();
        CheckpointManager run(dir);
        if (!lftest::stall_writes_past(1 << 20, pipe.write_fd())) return 4;
        run.save(2, row_of(2, 0.2f, 1 << 20));  // 4 MiB of weights: stalls mid-write
        return 5;
    });
    pipe.close_write();
    ASSERT_EQ(pipe.receive(std::chrono::seconds(60)), std::optional<std::string>("stalled"));
    // Mid-write: the lock is held, a temporary exists.
    EXPECT_THROW(CheckpointManager{dir}, IoError);
    EXPECT_EQ(child.kill(), 128 + SIGKILL);
    CheckpointManager run(dir);
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{1}));
    EXPECT_TRUE(any_note(run, "the temporary file of a save that died")) << ::testing::PrintToString(run.notes());
    for (const std::string& name : files_in(dir)) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
    run.save(2, row_of(2, 0.2f));
    EXPECT_EQ(run.latest(), 2);
}
