// Damaged checkpoints (legolasflux/checkpoints.hpp, "Damaged steps"): one byte flipped at every
// offset of a step file and of the run index, and in a sharded step's index and shard files. Damage
// outside the weight values takes the step out of the run as soon as it is opened; damage in the
// values is found by verify_checkpoint and restore_latest; either way the resume continues from
// the newest good step, and its save of the damaged step's number commits, the damaged file set
// aside (never deleted).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "legolasflux/sharded.hpp"
#include "model/integrity.hpp"  // white-box: where the weight values lie (the file checksum's holes)
#include "support/damage.hpp"
#include "support/scratch.hpp"

namespace ckpt_damage_test {

struct DamageRowV1 : legolasflux::ModelV1 {
    std::optional<float> loss;
};
LEGOLAS_RECORD_EXTENDS(DamageRowV1, "ckpt-damage-test.row", 1, legolasflux::ModelV1, loss);

struct OtherRowV1 : legolasflux::ModelV1 {
    std::optional<float> other;
};
LEGOLAS_RECORD_EXTENDS(OtherRowV1, "ckpt-damage-test.other", 1, legolasflux::ModelV1, other);

}  // namespace ckpt_damage_test

using namespace legolasflux;
using ckpt_damage_test::DamageRowV1;
namespace fs = std::filesystem;

namespace {

// Two weight arrays of different lengths, values that depend on the step.
DamageRowV1 row_of(int64_t step) {
    DamageRowV1 r;
    std::vector<float> a(12), b(5);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(step * 100) + static_cast<float>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = -static_cast<float>(step) - 0.25f * static_cast<float>(i);
    r.weights = Weights({FlatArray::from_values<float>({3, 4}, a), FlatArray::from_values<float>({5}, b)});
    r.architecture_version = 1;
    r.loss = 1.0f / static_cast<float>(step);
    return r;
}

CheckpointOptions last_two() {
    CheckpointOptions options;
    options.max_to_keep = 2;
    options.write.ipc.durable = false;  // thousands of small files: no fsync
    return options;
}

// A run of steps 1, 2 and 3, keeping the last 2.
fs::path pristine_run(const std::string& name) {
    const fs::path dir = lftest::scratch_path("checkpoints_damage/" + name);
    CheckpointManager run(dir, last_two());
    for (int64_t step = 1; step <= 3; ++step) run.save(step, row_of(step));
    return dir;
}

void copy_run(const fs::path& from, const fs::path& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Where a step file's weight values lie: the holes of its file checksum.
std::vector<detail::FileRange> value_ranges(const fs::path& path) {
    ModelReadOptions options;
    const ModelRow row = read_model_row(path, options);
    const auto value = arrow::find_metadata(row.table.schema->metadata, kChecksumsMetadataKey);
    const auto recorded = detail::parse_file_checksum(*value);
    return recorded->holes;
}

bool in_values(const std::vector<detail::FileRange>& ranges, size_t offset) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const detail::FileRange& r) {
        return static_cast<int64_t>(offset) >= r.offset && static_cast<int64_t>(offset) < r.offset + r.length;
    });
}

std::vector<int64_t> steps_of(const std::vector<CheckpointInfo>& infos) {
    std::vector<int64_t> out;
    for (const CheckpointInfo& i : infos) out.push_back(i.step);
    return out;
}

bool any_note(const CheckpointManager& m, const std::string& part) {
    const auto notes = m.notes();
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(part) != n.npos; });
}

const std::string kStep3 = "step-0000000003.ckpt-damage-test.row.arrow";

}  // namespace

TEST(CheckpointsDamage, EveryByteOfAStepFileIsCoveredByOpeningOrByVerifying) {
    const fs::path dir = pristine_run("every_byte");
    const fs::path file = dir / kStep3;
    const std::vector<detail::FileRange> values = value_ranges(file);
    int64_t value_bytes = 0;
    for (const detail::FileRange& r : values) value_bytes += r.length;
    ASSERT_EQ(value_bytes, 17 * 4) << "both weight arrays, 17 Float32 values";
    const size_t size = fs::file_size(file);
    size_t in_metadata = 0, in_value = 0;
    for (size_t offset = 0; offset < size; ++offset) {
        lftest::flip_byte(file, offset);
        std::vector<DamagedCheckpoint> damaged;
        const std::vector<int64_t> steps = steps_of(list_checkpoints(dir, &damaged));
        if (in_values(values, offset)) {
            ++in_value;
            // Opening does not hash the values: the step is listed, and verifying finds the damage.
            EXPECT_EQ(steps, (std::vector<int64_t>{2, 3})) << "offset " << offset;
            EXPECT_TRUE(damaged.empty()) << "offset " << offset;
        } else {
            ++in_metadata;
            EXPECT_EQ(steps, (std::vector<int64_t>{2})) << "offset " << offset;
            ASSERT_EQ(damaged.size(), 1u) << "offset " << offset;
            EXPECT_EQ(damaged[0].step, 3);
            EXPECT_EQ(damaged[0].file, kStep3);
        }
        EXPECT_THROW(verify_checkpoint(file), FormatError) << "offset " << offset;
        lftest::flip_byte(file, offset);
    }
    EXPECT_EQ(in_value, 17 * sizeof(float));
    EXPECT_GT(in_metadata, 500u);
    verify_checkpoint(file);  // restored: every byte flipped back
    std::vector<DamagedCheckpoint> damaged;
    EXPECT_EQ(steps_of(list_checkpoints(dir, &damaged)), (std::vector<int64_t>{2, 3}));
    EXPECT_TRUE(damaged.empty());
}

TEST(CheckpointsDamage, TheResumeContinuesFromTheNewestGoodStepAndItsSaveSetsTheDamageAside) {
    const fs::path pristine = pristine_run("resume_pristine");
    const std::vector<detail::FileRange> values = value_ranges(pristine / kStep3);
    const size_t size = fs::file_size(pristine / kStep3);
    // Both ends, every weight array (its first, middle and last byte), and a stride over the rest.
    std::vector<size_t> offsets = {0, 7, 8, 15, size - 1, size - 6, size - 10, size / 2};
    for (const detail::FileRange& r : values)
        for (const int64_t at : {r.offset, r.offset + r.length / 2, r.offset + r.length - 1})
            offsets.push_back(static_cast<size_t>(at));
    for (size_t offset = 3; offset < size; offset += 37) offsets.push_back(offset);
    const fs::path dir = lftest::scratch_path("checkpoints_damage/resume");
    for (const size_t offset : offsets) {
        SCOPED_TRACE("offset " + std::to_string(offset) + (in_values(values, offset) ? " (values)" : " (metadata)"));
        copy_run(pristine, dir);
        lftest::flip_byte(dir / kStep3, offset);
        const std::string damaged_bytes = slurp(dir / kStep3);
        {
            CheckpointManager run(dir, last_two());
            if (in_values(values, offset)) {
                EXPECT_EQ(run.latest(), 3);
                EXPECT_TRUE(run.damaged().empty());
            } else {
                EXPECT_EQ(run.latest(), 2);
                ASSERT_EQ(run.damaged().size(), 1u);
                EXPECT_EQ(run.damaged()[0].step, 3);
            }
            const auto restored = run.restore_latest<DamageRowV1>();
            ASSERT_TRUE(restored);
            EXPECT_EQ(restored->step, 2);
            EXPECT_EQ(restored->row.loss, 0.5f);
            EXPECT_EQ(restored->skipped.size(), in_values(values, offset) ? 1u : 0u);
            ASSERT_EQ(run.damaged().size(), 1u);
            EXPECT_EQ(run.steps(), (std::vector<int64_t>{2}));
            // The resume trains step 3 again: its save commits, the damaged file renamed aside.
            run.save(3, row_of(3));
            EXPECT_EQ(run.latest(), 3);
            EXPECT_TRUE(run.damaged().empty());
            EXPECT_TRUE(any_note(run, "aside as " + kStep3 + ".damaged"));
        }
        EXPECT_EQ(set_aside_checkpoints(dir), std::vector<std::string>{kStep3 + ".damaged"});
        EXPECT_EQ(slurp(dir / (kStep3 + ".damaged")), damaged_bytes);
        CheckpointManager reopened(dir, last_two());
        EXPECT_EQ(reopened.steps(), (std::vector<int64_t>{2, 3}));
        EXPECT_TRUE(reopened.damaged().empty());
        EXPECT_EQ(reopened.read<DamageRowV1>(3).loss, row_of(3).loss);
    }
}

TEST(CheckpointsDamage, EveryByteOfTheRunIndexIsCheckedAndADamagedIndexIsRebuilt) {
    const fs::path dir = pristine_run("index");
    const fs::path index = dir / kCheckpointIndexFile;
    const std::string pristine = slurp(index);
    std::vector<DamagedCheckpoint> damaged;
    const std::vector<CheckpointInfo> want = list_checkpoints(dir, &damaged);
    ASSERT_EQ(steps_of(want), (std::vector<int64_t>{2, 3}));
    // Every 5th byte, and every byte of the last 16 (the footer's end: its length, the magic).
    std::vector<size_t> offsets;
    for (size_t offset = 0; offset < pristine.size(); offset += 5) offsets.push_back(offset);
    for (size_t offset = pristine.size() - 16; offset < pristine.size(); ++offset) offsets.push_back(offset);
    for (const size_t offset : offsets) {
        SCOPED_TRACE("offset " + std::to_string(offset));
        fs::remove(index);
        std::ofstream(index, std::ios::binary) << pristine;
        lftest::flip_byte(index, offset);
        {
            CheckpointManager run(dir, last_two());
            EXPECT_TRUE(any_note(run, "checkpoints.arrow is damaged")) << ::testing::PrintToString(run.notes());
            EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
            EXPECT_TRUE(run.damaged().empty());
        }
        // Rebuilt: it reads, checksum and all.
        EXPECT_EQ(steps_of(list_checkpoints(dir, &damaged)), (std::vector<int64_t>{2, 3}));
    }
}

TEST(CheckpointsDamage, AnIndexWithoutAChecksumIsRebuilt) {
    const fs::path dir = pristine_run("unchecksummed_index");
    // An index as versions before checksums wrote it: the same table, legolas::write.
    declare_checkpoint_index_schema();
    legolas::ReadResult old = legolas::read(dir / kCheckpointIndexFile);
    auto schema = std::make_shared<arrow::Schema>(*old.table.schema);
    std::erase_if(schema->metadata, [](const auto& kv) { return kv.first == kChecksumsMetadataKey; });
    old.table.schema = schema;
    for (auto& b : old.table.batches) b.schema = schema;
    legolas::write(dir / kCheckpointIndexFile, old.table, old.schema_version);
    CheckpointManager run(dir, last_two());
    EXPECT_TRUE(any_note(run, "records no checksum")) << ::testing::PrintToString(run.notes());
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
}

TEST(CheckpointsDamage, ADamagedStepIsNeverCountedAndRetentionSetsItAside) {
    const fs::path dir = lftest::scratch_path("checkpoints_damage/retention");
    CheckpointOptions options = last_two();
    {
        CheckpointManager run(dir, options);
        for (int64_t step = 1; step <= 3; ++step) run.save(step, row_of(step));
    }
    // Steps 2 and 3 damaged: step 1 is long gone, nothing good is left.
    lftest::flip_byte(dir / "step-0000000002.ckpt-damage-test.row.arrow", 20);
    lftest::flip_byte(dir / kStep3, 20);
    {
        CheckpointManager run(dir, options);
        EXPECT_FALSE(run.latest());
        EXPECT_EQ(run.damaged().size(), 2u);
        EXPECT_FALSE(run.restore_latest<DamageRowV1>());
        // A fresh start: step 1 again, then 4 and 5. The damaged steps are not counted by
        // max_to_keep (1 and 4 are the last two good ones); retention reaches each of them when it
        // would not keep it were it good, and sets it aside, never deletes it.
        run.save(1, row_of(1));
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{1}));
        EXPECT_EQ(run.info(1).kept_by, (std::vector<std::string>{"latest", "last"}));
        EXPECT_EQ(run.damaged().size(), 2u) << "newer than every good step: not reached";
        run.save(4, row_of(4));
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{1, 4}));
        ASSERT_EQ(run.damaged().size(), 1u) << "2 reached (4 and 3 would be the last two), 3 not yet";
        EXPECT_EQ(run.damaged()[0].step, 3);
        run.save(5, row_of(5));
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{4, 5}));
        EXPECT_TRUE(run.damaged().empty());
    }
    EXPECT_EQ(set_aside_checkpoints(dir),
              (std::vector<std::string>{"step-0000000002.ckpt-damage-test.row.arrow.damaged", kStep3 + ".damaged"}));
    // A second damaged file of a step set aside before gets a name of its own.
    lftest::flip_byte(dir / "step-0000000005.ckpt-damage-test.row.arrow", 20);
    fs::copy_file(dir / "step-0000000005.ckpt-damage-test.row.arrow", dir / kStep3);
    {
        CheckpointManager run(dir, options);
        EXPECT_EQ(run.latest(), 4);
        EXPECT_EQ(run.damaged().size(), 2u);
        run.save(3, row_of(3));
        run.save(5, row_of(5));
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{4, 5}));
    }
    EXPECT_TRUE(fs::exists(dir / (kStep3 + ".damaged-2")));
    EXPECT_TRUE(fs::exists(dir / "step-0000000005.ckpt-damage-test.row.arrow.damaged"));
    EXPECT_EQ(set_aside_checkpoints(dir).size(), 4u);
}

TEST(CheckpointsDamage, TheNewestGoodStepStaysWhileOnlyDamagedOnesAreNewer) {
    const fs::path dir = lftest::scratch_path("checkpoints_damage/newest_good");
    CheckpointOptions options;
    options.max_to_keep = 1;
    options.write.ipc.durable = false;
    {
        CheckpointManager run(dir, options);
        run.save(1, row_of(1));
    }
    // Steps 2 and 3 were committed by copies of step 1's file, then damaged (as a disk would).
    for (const int64_t step : {2, 3}) {
        const std::string name = checkpoint_file_name(step, "ckpt-damage-test.row");
        fs::copy_file(dir / checkpoint_file_name(1, "ckpt-damage-test.row"), dir / name);
        lftest::flip_byte(dir / name, 40);
    }
    CheckpointManager run(dir, options);
    EXPECT_EQ(run.latest(), 1);
    EXPECT_EQ(run.info(1).kept_by, (std::vector<std::string>{"latest", "last"}));
    const auto restored = run.restore_latest<DamageRowV1>();
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->step, 1);
    EXPECT_TRUE(fs::exists(run.path(1)));
}

TEST(CheckpointsDamage, ARowOfAnotherTypeIsAnErrorNotDamage) {
    const fs::path dir = pristine_run("other_type");
    CheckpointManager run(dir, last_two());
    EXPECT_THROW(run.restore_latest<ckpt_damage_test::OtherRowV1>(), SchemaError);
    EXPECT_TRUE(run.damaged().empty());
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
    const auto restored = run.restore_latest();  // as a ModelRow
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->step, 3);
    EXPECT_TRUE(restored->skipped.empty());
}

// --- sharded steps ---------------------------------------------------------------------------

namespace {

// A sharded step of two ranks: a 3x2 matrix split by rows, a replicated bias.
void save_two_ranks(const fs::path& step_dir, int64_t step, float base) {
    const std::vector<int64_t> w{3, 2}, b{2};
    std::vector<RankShards> ranks;
    for (int r = 0; r < 2; ++r) {
        const ChunkBox box = row_split(w, r, 2);
        std::vector<float> values(static_cast<size_t>(box.element_count()), base + static_cast<float>(r));
        ranks.push_back({r,
                         2,
                         {{"fc.weight", ElementType::Float32, w, {{box, arrow::Buffer::copy_of(values)}}, false},
                          {"fc.bias",
                           ElementType::Float32,
                           b,
                           {{whole_box(b), arrow::Buffer::copy_of(std::vector<float>{base, 2})}},
                           true}}});
    }
    save_sharded(step_dir, ranks, step, {.durable = false});
}

}  // namespace

TEST(CheckpointsDamage, ADamagedShardOrShardIndexDamagesItsStep) {
    const fs::path pristine = lftest::scratch_path("checkpoints_damage/sharded_pristine");
    {
        CheckpointManager run(pristine, last_two());
        run.save(1, row_of(1));
        for (const int64_t step : {2, 3}) {
            legolasflux::detail::ShardedSteps::check_new(run, step);
            save_two_ranks(legolasflux::detail::ShardedSteps::path(run, step), step, static_cast<float>(step));
            legolasflux::detail::ShardedSteps::record(run, step);
        }
        ASSERT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
    }
    const std::string step3 = sharded_step_name(3);
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(pristine / step3)) files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), 3u) << "index.arrow and two shard files";
    const fs::path dir = lftest::scratch_path("checkpoints_damage/sharded");
    for (const std::string& file : files) {
        const size_t size = fs::file_size(pristine / step3 / file);
        const bool shard = file != kShardIndexFile;
        const std::vector<detail::FileRange> values =
            shard ? value_ranges(pristine / step3 / file) : std::vector<detail::FileRange>{};
        int saves = 0;
        for (size_t offset = 0; offset < size; offset += shard ? 31 : 11) {
            SCOPED_TRACE(file + " offset " + std::to_string(offset));
            copy_run(pristine, dir);
            lftest::flip_byte(dir / step3 / file, offset);
            std::vector<DamagedCheckpoint> damaged;
            const std::vector<int64_t> steps = steps_of(list_checkpoints(dir, &damaged));
            EXPECT_THROW(verify_checkpoint(dir / step3), FormatError);
            if (in_values(values, offset)) {
                EXPECT_EQ(steps, (std::vector<int64_t>{2, 3}));
                continue;  // found when loaded (verify_checkpoint above)
            }
            EXPECT_EQ(steps, (std::vector<int64_t>{2}));
            ASSERT_EQ(damaged.size(), 1u);
            EXPECT_EQ(damaged[0].file, step3);
            if (saves++ % 8 != 0) continue;
            // The sharded save of the damaged step's number sets the directory aside and commits.
            CheckpointManager run(dir, last_two());
            EXPECT_EQ(run.latest(), 2);
            legolasflux::detail::ShardedSteps::check_new(run, 3);
            save_two_ranks(legolasflux::detail::ShardedSteps::path(run, 3), 3, 30.0f);
            legolasflux::detail::ShardedSteps::record(run, 3);
            EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
            EXPECT_TRUE(run.damaged().empty());
            EXPECT_EQ(set_aside_checkpoints(dir), std::vector<std::string>{step3 + ".damaged"});
            verify_checkpoint(run.path(3));
        }
    }
}

// A shard index written before index checksums existed (no key) still loads: a shard index cannot
// be rebuilt, and such steps must stay readable. One whose key was damaged (its value still there
// under another name) is damage.
TEST(CheckpointsDamage, AShardIndexOfAnOlderVersionLoadsOneWithADamagedKeyDoesNot) {
    const fs::path dir = lftest::scratch_path("checkpoints_damage/older_shard_index");
    save_two_ranks(dir, 4, 4.0f);
    const fs::path index = dir / kShardIndexFile;
    const std::vector<std::string> tensors = ShardIndex(dir).tensors();

    // Rewritten as the older version wrote it: the same table, no checksums key.
    legolas::ReadResult as_written = legolas::read(index);
    auto schema = std::make_shared<arrow::Schema>(*as_written.table.schema);
    arrow::KeyValueMetadata kept;
    for (const auto& kv : schema->metadata)
        if (kv.first != kChecksumsMetadataKey) kept.push_back(kv);
    ASSERT_EQ(kept.size() + 1, schema->metadata.size());
    schema->metadata = kept;
    arrow::Table older = as_written.table;
    older.schema = schema;
    for (auto& batch : older.batches) batch.schema = schema;
    arrow::write_file(index, older);
    EXPECT_EQ(ShardIndex(dir).tensors(), tensors);
    verify_checkpoint(dir);

    // The same bytes with one letter of the key changed: the value is there, its key is not.
    std::string bytes = slurp(index);
    const size_t at = bytes.find(std::string(kChecksumsMetadataKey));
    ASSERT_EQ(at, std::string::npos);
    arrow::KeyValueMetadata renamed = as_written.table.schema->metadata;
    for (auto& kv : renamed)
        if (kv.first == kChecksumsMetadataKey) kv.first = "legolasflux.chacksums";
    schema->metadata = renamed;
    arrow::write_file(index, older);
    EXPECT_THROW(ShardIndex{dir}, CorruptionError);
}
