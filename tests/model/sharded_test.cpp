// Sharded checkpoints without a process group: partitions, the interval index, saves by any number
// of ranks loaded by any other number, consolidation, failures that commit nothing, corruption.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "../support/scratch.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/sharded.hpp"
#include "model/sharded_internal.hpp"

namespace lf = legolasflux;
using lf::ChunkBox;

namespace {

std::vector<int64_t> flat_indices(std::span<const int64_t> shape, const ChunkBox& box) {
    std::vector<int64_t> out;
    const size_t n = shape.size();
    if (box.element_count() == 0) return out;
    std::vector<int64_t> idx(n, 0);
    for (;;) {
        int64_t flat = 0;
        for (size_t d = 0; d < n; ++d) flat = flat * shape[d] + box.offset[d] + idx[d];
        out.push_back(flat);
        size_t d = n;
        while (d > 0) {
            --d;
            if (++idx[d] < box.shape[d]) break;
            idx[d] = 0;
            if (d == 0) return out;
        }
        if (n == 0) return out;
    }
}

TEST(ShardedLayout, FlatRangesAreContiguousBoxesInOrder) {
    const std::vector<std::vector<int64_t>> shapes = {{10}, {4, 5}, {3, 4, 5}, {2, 3, 4, 5}, {7, 1, 3}};
    std::mt19937 rng(7);
    for (const auto& shape : shapes) {
        const int64_t total = lf::detail::shape_element_count(shape);
        for (int trial = 0; trial < 200; ++trial) {
            int64_t a = std::uniform_int_distribution<int64_t>(0, total)(rng);
            int64_t b = std::uniform_int_distribution<int64_t>(0, total)(rng);
            if (a > b) std::swap(a, b);
            const auto boxes = lf::flat_range_boxes(shape, a, b);
            EXPECT_LE(boxes.size(), 2 * shape.size() - 1);
            std::vector<int64_t> covered;
            for (const auto& box : boxes) {
                const auto f = flat_indices(shape, box);
                ASSERT_FALSE(f.empty());
                // Each box is one contiguous run of the row-major order.
                EXPECT_EQ(f.back() - f.front() + 1, static_cast<int64_t>(f.size()));
                covered.insert(covered.end(), f.begin(), f.end());
            }
            std::vector<int64_t> expected;
            for (int64_t i = a; i < b; ++i) expected.push_back(i);
            ASSERT_EQ(covered, expected) << lf::detail::describe_shape(shape) << " [" << a << ", " << b << ")";
        }
    }
}

TEST(ShardedLayout, EvenSplits) {
    const std::vector<int64_t> shape{10, 7};
    EXPECT_EQ(lf::row_split(shape, 0, 3), (ChunkBox{{0, 0}, {4, 7}}));
    EXPECT_EQ(lf::row_split(shape, 1, 3), (ChunkBox{{4, 0}, {3, 7}}));
    EXPECT_EQ(lf::row_split(shape, 2, 3), (ChunkBox{{7, 0}, {3, 7}}));
    EXPECT_EQ(lf::column_split(shape, 2, 3), (ChunkBox{{0, 5}, {10, 2}}));
    EXPECT_EQ(lf::row_split(std::vector<int64_t>{2, 3}, 3, 4).element_count(), 0);
    const auto flat = lf::flat_split(shape, 1, 3);
    EXPECT_EQ(flat.begin, 24);
    EXPECT_EQ(flat.end, 47);
    EXPECT_THROW(lf::row_split(shape, 3, 3), lf::InvalidArgument);
    EXPECT_THROW(lf::column_split(std::vector<int64_t>{5}, 0, 2), lf::InvalidArgument);
}

TEST(ShardedLayout, IntervalIndexFindsWhatTestingEveryPairFinds) {
    std::mt19937 rng(11);
    const std::vector<int64_t> shape{64, 48};
    for (int trial = 0; trial < 30; ++trial) {
        // A random tiling: rows cut at random, each band cut into columns at random.
        std::vector<ChunkBox> boxes;
        for (int64_t r = 0; r < shape[0];) {
            const int64_t h = std::min<int64_t>(shape[0] - r, std::uniform_int_distribution<int64_t>(1, 9)(rng));
            for (int64_t c = 0; c < shape[1];) {
                const int64_t w = std::min<int64_t>(shape[1] - c, std::uniform_int_distribution<int64_t>(1, 13)(rng));
                boxes.push_back({{r, c}, {h, w}});
                c += w;
            }
            r += h;
        }
        const lf::detail::BoxIndex index(boxes);
        lf::detail::check_tiling("t", shape, index, [](size_t i) { return std::to_string(i); });
        for (int q = 0; q < 50; ++q) {
            const int64_t r0 = std::uniform_int_distribution<int64_t>(0, 63)(rng);
            const int64_t c0 = std::uniform_int_distribution<int64_t>(0, 47)(rng);
            const ChunkBox query{{r0, c0},
                                 {std::uniform_int_distribution<int64_t>(1, 64 - r0)(rng),
                                  std::uniform_int_distribution<int64_t>(1, 48 - c0)(rng)}};
            std::vector<size_t> brute;
            for (size_t i = 0; i < boxes.size(); ++i)
                if (lf::detail::boxes_overlap(boxes[i], query)) brute.push_back(i);
            EXPECT_EQ(index.overlapping(query), brute);
        }
    }
}

TEST(ShardedLayout, TilingErrorsNameTheChunks) {
    const std::vector<int64_t> shape{4, 4};
    const auto describe = [](size_t i) { return "#" + std::to_string(i); };
    try {
        lf::detail::check_tiling("w", shape, lf::detail::BoxIndex({{{0, 0}, {3, 4}}, {{2, 0}, {2, 4}}}), describe);
        FAIL();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("'w': the chunks #0 and #1 overlap"), std::string::npos) << e.what();
    }
    try {
        lf::detail::check_tiling("w", shape, lf::detail::BoxIndex({{{0, 0}, {3, 4}}}), describe);
        FAIL();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("in no chunk"), std::string::npos) << e.what();
    }
}

// --- A model split over any number of ranks --------------------------------------------------------

enum class Split { Rows, Columns, Flat, Replicated };
struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    Split split;
};
const std::vector<TensorSpec> kModel = {
    {"layers.0.weight", {13, 6}, Split::Rows},    {"layers.0.bias", {13}, Split::Replicated},
    {"layers.1.weight", {5, 13}, Split::Columns}, {"layers.1.bias", {5}, Split::Replicated},
    {"norm.weight", {5}, Split::Replicated},      {"embedding", {3, 7, 4}, Split::Flat},
};

float value_of(const std::string& name, int64_t flat) {
    return static_cast<float>(flat) * 0.25f + static_cast<float>(std::hash<std::string>{}(name) % 1000);
}

std::vector<float> global_values(const TensorSpec& t) {
    std::vector<float> v(static_cast<size_t>(lf::detail::shape_element_count(t.shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = value_of(t.name, static_cast<int64_t>(i));
    return v;
}

std::vector<ChunkBox> boxes_for(const TensorSpec& t, int rank, int world, Split split) {
    switch (split) {
        case Split::Rows: return {lf::row_split(t.shape, rank, world)};
        case Split::Columns: return {lf::column_split(t.shape, rank, world)};
        case Split::Flat: return lf::flat_split(t.shape, rank, world).boxes;
        case Split::Replicated: return {lf::whole_box(t.shape)};
    }
    return {};
}

std::vector<float> box_values(const TensorSpec& t, const ChunkBox& box) {
    std::vector<float> out;
    for (const int64_t f : flat_indices(t.shape, box)) out.push_back(value_of(t.name, f));
    return out;
}

lf::RankShards shards_of(int rank, int world) {
    lf::RankShards shards{rank, world, {}};
    for (const TensorSpec& t : kModel) {
        lf::ShardTensor st{t.name, lf::ElementType::Float32, t.shape, {}, t.split == Split::Replicated};
        for (const ChunkBox& box : boxes_for(t, rank, world, t.split))
            st.chunks.push_back({box, lf::arrow::Buffer::copy_of(box_values(t, box))});
        shards.tensors.push_back(std::move(st));
    }
    return shards;
}

std::vector<lf::RankShards> all_shards(int world) {
    std::vector<lf::RankShards> out;
    for (int r = 0; r < world; ++r) out.push_back(shards_of(r, world));
    return out;
}

// Loads rank `rank` of `world`'s partition (each tensor split another way than it was saved) and
// checks every value.
std::vector<lf::ShardReadRange> load_and_check(const lf::ShardIndex& index, int rank, int world) {
    std::vector<lf::WantedTensor> wanted;
    std::vector<std::vector<float>> memory;
    std::vector<std::vector<float>> expected;
    memory.reserve(64);
    for (const TensorSpec& t : kModel) {
        const Split other = t.split == Split::Rows      ? Split::Columns
                            : t.split == Split::Columns ? Split::Flat
                                                        : Split::Rows;
        lf::WantedTensor w{t.name, lf::ElementType::Float32, t.shape, {}};
        for (const ChunkBox& box :
             boxes_for(t, rank, world, t.shape.size() > 1 || other != Split::Columns ? other : Split::Rows)) {
            memory.emplace_back(static_cast<size_t>(box.element_count()), -1.0f);
            expected.push_back(box_values(t, box));
            w.chunks.push_back({box, {reinterpret_cast<uint8_t*>(memory.back().data()), memory.back().size() * 4}});
        }
        wanted.push_back(std::move(w));
    }
    const auto ranges = lf::load_sharded(index, wanted);
    for (size_t i = 0; i < memory.size(); ++i) EXPECT_EQ(memory[i], expected[i]) << "chunk " << i;
    return ranges;
}

}  // namespace

TEST(Sharded, SavedByAnyWorldLoadedByAnyWorld) {
    for (const int saved_by : {1, 2, 3, 4, 8}) {
        const auto dir = lftest::scratch_dir("sharded/any") / lf::sharded_step_name(7);
        lf::save_sharded(dir, all_shards(saved_by), 7, {.durable = false});
        ASSERT_TRUE(lf::is_sharded_step(dir));
        EXPECT_FALSE(std::filesystem::exists(lf::pending_step_dir(dir)));
        const lf::ShardIndex index(dir);
        // Replicated tensors are written once, whatever the number of ranks holding them.
        int bias_rows = 0;
        for (const auto& row : index.chunks()) bias_rows += row.tensor == "layers.0.bias";
        EXPECT_EQ(bias_rows, 1);
        for (const int loaded_by : {1, 2, 3, 4})
            for (int r = 0; r < loaded_by; ++r) {
                SCOPED_TRACE("saved by " + std::to_string(saved_by) + ", rank " + std::to_string(r) + " of " +
                             std::to_string(loaded_by));
                load_and_check(index, r, loaded_by);
            }
        // Consolidated: one ordinary model row, tensors whole in name order.
        const auto out = dir.parent_path() / "whole.arrow";
        lf::consolidate_sharded(dir, out);
        const lf::ModelRow row = lf::read_model_row(out);
        ASSERT_TRUE(row.weights && row.weight_names);
        std::vector<std::string> names;
        for (const auto& t : kModel) names.push_back(t.name);
        std::sort(names.begin(), names.end());
        EXPECT_EQ(*row.weight_names, names);
        for (size_t i = 0; i < names.size(); ++i) {
            const auto spec =
                std::find_if(kModel.begin(), kModel.end(), [&](const TensorSpec& t) { return t.name == names[i]; });
            const auto& a = row.weights->arrays[i];
            EXPECT_EQ(a.size, std::vector<int64_t>(spec->shape.rbegin(), spec->shape.rend()));
            const auto values = a.data<float>();
            EXPECT_EQ(std::vector<float>(values.begin(), values.end()), global_values(*spec)) << names[i];
        }
    }
}

TEST(Sharded, ShardFilesAreModelRows) {
    const auto dir = lftest::scratch_dir("sharded/rows") / lf::sharded_step_name(3);
    lf::save_sharded(dir, all_shards(2), 3);
    lf::legolas::ensure_declared<lf::ShardV1>();
    std::vector<std::string> names;
    const auto shard = lf::read_model_row<lf::ShardV1>(dir / lf::shard_file_name(1, 2), &names);
    EXPECT_EQ(shard.rank, 1);
    EXPECT_EQ(shard.world_size, 2);
    EXPECT_EQ(shard.step, 3);
    ASSERT_TRUE(shard.weights);
    EXPECT_EQ(names.size(), shard.weights->size());
    EXPECT_EQ(shard.global_shapes.size(), names.size());
    EXPECT_EQ(lf::read_model_row(dir / lf::shard_file_name(0, 2)).qualified_identifier.substr(0, 20),
              "legolas-flux.shard@1");
}

TEST(Sharded, ReadsOnlyTheChunksItNeeds) {
    const auto dir = lftest::scratch_dir("sharded/ranges") / lf::sharded_step_name(1);
    lf::save_sharded(dir, all_shards(4), 1, {.durable = false});
    const lf::ShardIndex index(dir);
    // Rows 4..6 of layers.0.weight (13 rows over 4 ranks: 4, 3, 3, 3): rank 1's chunk only.
    std::vector<float> memory(3 * 6);
    const lf::WantedTensor w{
        "layers.0.weight",
        lf::ElementType::Float32,
        {13, 6},
        {{ChunkBox{{4, 0}, {3, 6}}, {reinterpret_cast<uint8_t*>(memory.data()), memory.size() * 4}}}};
    const auto ranges = lf::load_sharded(index, std::span(&w, 1));
    ASSERT_EQ(ranges.size(), 1u);
    const auto rows = index.overlapping("layers.0.weight", ChunkBox{{4, 0}, {3, 6}});
    ASSERT_EQ(rows.size(), 1u);
    const auto& saved = index.chunks()[rows[0]];
    EXPECT_EQ(saved.rank, 1);
    EXPECT_EQ(ranges[0], (lf::ShardReadRange{lf::shard_file_name(1, 4), saved.byte_offset, 3 * 6 * 4}));
    // Rows 3..4 straddle ranks 0 and 1: both chunks, nothing else.
    std::vector<float> two(2 * 6);
    const lf::WantedTensor w2{"layers.0.weight",
                              lf::ElementType::Float32,
                              {13, 6},
                              {{ChunkBox{{3, 0}, {2, 6}}, {reinterpret_cast<uint8_t*>(two.data()), two.size() * 4}}}};
    const auto ranges2 = lf::load_sharded(index, std::span(&w2, 1));
    ASSERT_EQ(ranges2.size(), 2u);
    EXPECT_EQ(ranges2[0].file, lf::shard_file_name(0, 4));
    EXPECT_EQ(ranges2[1].file, lf::shard_file_name(1, 4));
    EXPECT_EQ(two[0], value_of("layers.0.weight", 18));
}

TEST(Sharded, CorruptShardIsNamedAndNothingIsWritten) {
    const auto dir = lftest::scratch_dir("sharded/corrupt") / lf::sharded_step_name(1);
    lf::save_sharded(dir, all_shards(2), 1, {.durable = false});
    const lf::ShardIndex index(dir);
    const auto rows = index.overlapping("layers.0.weight", lf::whole_box(std::vector<int64_t>{13, 6}));
    ASSERT_EQ(rows.size(), 2u);
    const auto& second = index.chunks()[rows[1]];
    {
        std::fstream f(dir / second.file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(second.byte_offset + 5);
        f.put('\x7f');
    }
    std::vector<float> memory(13 * 6, -1.0f);
    const lf::WantedTensor w{
        "layers.0.weight",
        lf::ElementType::Float32,
        {13, 6},
        {{lf::whole_box(std::vector<int64_t>{13, 6}), {reinterpret_cast<uint8_t*>(memory.data()), memory.size() * 4}}}};
    try {
        lf::load_sharded(index, std::span(&w, 1));
        FAIL() << "no error";
    } catch (const lf::CorruptionError& e) {
        EXPECT_NE(std::string(e.what()).find(second.file), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("layers.0.weight"), std::string::npos) << e.what();
    }
    EXPECT_EQ(memory, std::vector<float>(13 * 6, -1.0f));
    // The first rank's rows are intact, and a load that needs only them succeeds.
    std::vector<float> first(7 * 6);
    const lf::WantedTensor w1{
        "layers.0.weight",
        lf::ElementType::Float32,
        {13, 6},
        {{ChunkBox{{0, 0}, {7, 6}}, {reinterpret_cast<uint8_t*>(first.data()), first.size() * 4}}}};
    lf::load_sharded(index, std::span(&w1, 1));
    EXPECT_EQ(first[0], value_of("layers.0.weight", 0));
}

TEST(Sharded, WrongRequestsAreRefusedBeforeAnyCopy) {
    const auto dir = lftest::scratch_dir("sharded/wrong") / lf::sharded_step_name(1);
    lf::save_sharded(dir, all_shards(2), 1, {.durable = false});
    const lf::ShardIndex index(dir);
    std::vector<float> memory(5, -1.0f);
    const std::span<uint8_t> dest{reinterpret_cast<uint8_t*>(memory.data()), memory.size() * 4};
    std::vector<lf::WantedTensor> wanted = {
        {"norm.weight", lf::ElementType::Float32, {5}, {{ChunkBox{{0}, {5}}, dest}}},
        {"nope", lf::ElementType::Float32, {5}, {}}};
    EXPECT_THROW(lf::load_sharded(index, wanted), lf::ShapeError);
    wanted[1] = {"layers.1.bias", lf::ElementType::Float64, {5}, {}};
    EXPECT_THROW(lf::load_sharded(index, wanted), lf::ShapeError);
    wanted[1] = {"layers.1.bias", lf::ElementType::Float32, {6}, {}};
    EXPECT_THROW(lf::load_sharded(index, wanted), lf::ShapeError);
    wanted[1] = {"layers.1.bias", lf::ElementType::Float32, {5}, {{ChunkBox{{3}, {3}}, dest}}};
    EXPECT_THROW(lf::load_sharded(index, wanted), lf::InvalidArgument);
    EXPECT_EQ(memory, std::vector<float>(5, -1.0f));
}

TEST(Sharded, InconsistentPlansCommitNothing) {
    const auto run = lftest::scratch_dir("sharded/plans");
    const auto dir = run / lf::sharded_step_name(2);
    auto shards = all_shards(2);
    shards[1].tensors[0].chunks[0].box.offset[0] -= 1;  // overlaps rank 0's rows
    EXPECT_THROW(lf::save_sharded(dir, shards, 2), lf::InvalidArgument);
    shards = all_shards(2);
    shards[1].tensors[0].chunks.clear();  // a gap
    try {
        lf::save_sharded(dir, shards, 2);
        FAIL();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("layers.0.weight"), std::string::npos) << e.what();
    }
    shards = all_shards(2);
    shards[1].tensors[1].global_shape = {14};  // the ranks disagree on a shape
    shards[1].tensors[1].chunks[0] = {lf::whole_box(std::vector<int64_t>{14}),
                                      lf::arrow::Buffer::copy_of(std::vector<float>(14))};
    EXPECT_THROW(lf::save_sharded(dir, shards, 2), lf::InvalidArgument);
    shards = all_shards(2);
    shards[0].tensors[0].element_type = lf::ElementType::Float64;  // and values of the wrong size
    EXPECT_THROW(lf::save_sharded(dir, shards, 2), lf::InvalidArgument);
    shards = all_shards(2);
    shards[0].tensors[0].element_type = lf::ElementType::Bool;
    EXPECT_THROW(lf::save_sharded(dir, shards, 2), lf::InvalidArgument);
    EXPECT_TRUE(std::filesystem::is_empty(run));
}

TEST(Sharded, FailedWritesCommitNothingAndStepsAreNeverOverwritten) {
    const auto run = lftest::scratch_dir("sharded/commit");
    const auto dir = run / lf::sharded_step_name(5);
    lf::save_sharded(dir, all_shards(2), 5, {.durable = false});
    EXPECT_THROW(lf::save_sharded(dir, all_shards(2), 5), lf::IoError);
    // A save whose write fails half-way (the directory made unwritable is no test as root, so a rank
    // that does not hold what the plan says it holds): no step directory, no pending directory left.
    const auto dir6 = run / lf::sharded_step_name(6);
    auto shards = all_shards(2);
    std::vector<std::vector<uint8_t>> plans{lf::shard_plan(shards[0]), lf::shard_plan(shards[1])};
    const lf::SavePlan plan = lf::make_save_plan(plans);
    lf::begin_sharded_step(dir6);
    lf::write_shard_file(lf::pending_step_dir(dir6), plan, shards[0], 6);
    shards[1].tensors[2].chunks[0].box.offset[1] += 1;
    EXPECT_THROW(lf::write_shard_file(lf::pending_step_dir(dir6), plan, shards[1], 6), lf::InvalidArgument);
    EXPECT_THROW(lf::commit_sharded_step(dir6), lf::IoError);  // no index: nothing to commit
    lf::abandon_sharded_step(dir6);
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(run)) names.insert(e.path().filename().string());
    EXPECT_EQ(names, std::set<std::string>{lf::sharded_step_name(5)});
    // What a killed save left is cleared by the next attempt at the step.
    std::filesystem::create_directories(lf::pending_step_dir(dir6) / "junk");
    lf::save_sharded(dir6, all_shards(3), 6, {.durable = false});
    EXPECT_FALSE(std::filesystem::exists(lf::pending_step_dir(dir6)));
    load_and_check(lf::ShardIndex(dir6), 0, 1);
}

TEST(Sharded, StepsOfACheckpointManagerRunDirectory) {
    const auto dir = lftest::scratch_dir("sharded/manager");
    lf::CheckpointOptions options;
    options.max_to_keep = 2;
    {
        lf::CheckpointManager run(dir, options);
        lf::ModelV1 row;
        row.weights = lf::Weights({lf::FlatArray::from_values<float>({2}, {1, 2})});
        run.save(1, row);
        lf::save_sharded(lf::detail::ShardedSteps::path(run, 2), all_shards(2), 2, {.durable = false});
        lf::detail::ShardedSteps::record(run, 2);
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{1, 2}));
        EXPECT_EQ(run.info(2).schema, "legolas-flux.shard-index@1");
        EXPECT_GT(run.info(2).bytes, 0u);
        EXPECT_THROW(run.read(2), lf::InvalidArgument);
        EXPECT_THROW(lf::detail::ShardedSteps::record(run, 2), lf::InvalidArgument);
        EXPECT_THROW(lf::detail::ShardedSteps::record(run, 7), lf::InvalidArgument);  // nothing there
        // Retention deletes sharded steps like files: the last 2 are 2 and 3, then 3 and 4.
        lf::save_sharded(lf::detail::ShardedSteps::path(run, 3), all_shards(3), 3, {.durable = false});
        lf::detail::ShardedSteps::record(run, 3);
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{2, 3}));
        run.save(4, row);
        EXPECT_EQ(run.steps(), (std::vector<int64_t>{3, 4}));
        EXPECT_FALSE(std::filesystem::exists(dir / lf::sharded_step_name(2)));
        for (const std::string& note : run.notes())  // the first open's "missing index" only
            EXPECT_EQ(note.find("sharded"), std::string::npos) << note;
    }
    // Reopened: the index agrees with the directory (no note), and a sharded step is latest-able.
    lf::CheckpointManager again(dir, options);
    EXPECT_EQ(again.steps(), (std::vector<int64_t>{3, 4}));
    EXPECT_TRUE(again.notes().empty()) << ::testing::PrintToString(again.notes());
    load_and_check(lf::ShardIndex(again.path(3)), 1, 2);
    // Without its index file a sharded step is found again from the directory.
    std::filesystem::remove(dir / lf::kCheckpointIndexFile);
    const auto listed = lf::list_checkpoints(dir);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].file, lf::sharded_step_name(3));
}

TEST(Sharded, RanksThatDisagreeOnAnElementTypeCommitNothing) {
    const auto run = lftest::scratch_dir("sharded/types");
    auto shards = all_shards(2);
    // Rank 1 holds its rows of layers.0.weight as Float64 (values of the right size for it): the
    // first rank's type is not the only one checked.
    lf::ShardTensor& t = shards[1].tensors[0];
    t.element_type = lf::ElementType::Float64;
    t.chunks[0].values =
        lf::arrow::Buffer::copy_of(std::vector<double>(static_cast<size_t>(t.chunks[0].box.element_count())));
    try {
        lf::save_sharded(run / lf::sharded_step_name(1), shards, 1);
        FAIL();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("rank 1 as Float64"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(run));
}

TEST(Sharded, ShapesWhoseElementCountsOverflowAreRefused) {
    const auto run = lftest::scratch_dir("sharded/overflow");
    // (2^62 + 1) × 4 elements wraps to 4 in 64 bits: one chunk of 4 would look like the whole.
    const std::vector<int64_t> huge{(int64_t{1} << 62) + 1, 4};
    lf::RankShards shards{0, 1, {}};
    shards.tensors.push_back({"w", lf::ElementType::Float32, huge, {}, false});
    shards.tensors[0].chunks.push_back({ChunkBox{{0, 0}, {1, 4}}, lf::arrow::Buffer::copy_of(std::vector<float>(4))});
    try {
        lf::save_sharded(run / lf::sharded_step_name(1), std::vector<lf::RankShards>{shards}, 1);
        FAIL();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("more than 2^60 elements"), std::string::npos) << e.what();
    }
    EXPECT_THROW(lf::detail::check_shape("t", std::vector<int64_t>{int64_t{1} << 31, int64_t{1} << 31, 4}),
                 lf::InvalidArgument);
    EXPECT_NO_THROW(lf::detail::check_shape("t", std::vector<int64_t>{int64_t{1} << 30, int64_t{1} << 30}));
    EXPECT_TRUE(std::filesystem::is_empty(run));
}

TEST(Sharded, StepPathsWithATrailingSlashOrNoDirectory) {
    const auto run = lftest::scratch_dir("sharded/paths");
    const std::string name = lf::sharded_step_name(3);
    EXPECT_EQ(lf::pending_step_dir(run / (name + "/")), run / ("." + name + ".pending"));
    lf::save_sharded((run / name).string() + "/", all_shards(2), 3, {.durable = true});
    load_and_check(lf::ShardIndex(run / name), 0, 1);
    // A bare name is a step directory of the working directory.
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(run);
    const std::string name4 = lf::sharded_step_name(4);
    EXPECT_EQ(lf::pending_step_dir(name4), std::filesystem::path(".") / ("." + name4 + ".pending"));
    EXPECT_NO_THROW(lf::save_sharded(name4, all_shards(1), 4, {.durable = true}));
    std::filesystem::current_path(cwd);
    EXPECT_EQ(lf::sharded_steps(run), (std::vector<int64_t>{3, 4}));
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(run)) names.insert(e.path().filename().string());
    EXPECT_EQ(names, (std::set<std::string>{name, name4}));
}

TEST(Sharded, StepsOfElevenDigitsAreSteps) {
    const auto run = lftest::scratch_dir("sharded/big_steps");
    const int64_t step = 12'345'678'901;
    EXPECT_EQ(lf::sharded_step_name(step), "step-12345678901.sharded");
    EXPECT_EQ(lf::detail::sharded_step_of("step-12345678901.sharded"), step);
    EXPECT_EQ(lf::detail::sharded_step_of("step-0000000042.sharded"), 42);
    EXPECT_FALSE(lf::detail::sharded_step_of("step-042.sharded"));
    EXPECT_FALSE(lf::detail::sharded_step_of("step-012345678901.sharded"));  // not the canonical spelling
    EXPECT_FALSE(lf::detail::sharded_step_of("step-99999999999999999999.sharded"));
    lf::CheckpointManager manager(run);
    lf::save_sharded(lf::detail::ShardedSteps::path(manager, step), all_shards(2), step, {.durable = false});
    lf::detail::ShardedSteps::record(manager, step);
    EXPECT_EQ(manager.steps(), std::vector<int64_t>{step});
    EXPECT_EQ(lf::sharded_steps(run), std::vector<int64_t>{step});
}

TEST(Sharded, AManagerRefusesTakenStepsAndClearsWhatDeadSavesLeft) {
    const auto run = lftest::scratch_dir("sharded/leftovers");
    lf::CheckpointOptions options;
    options.max_to_keep = 1;
    {
        lf::CheckpointManager manager(run, options);
        lf::ModelV1 row;
        row.weights = lf::Weights({lf::FlatArray::from_values<float>({2}, {1, 2})});
        manager.save(1, row);
        manager.wait();
        EXPECT_THROW(lf::detail::ShardedSteps::check_new(manager, 1), lf::InvalidArgument);
        EXPECT_NO_THROW(lf::detail::ShardedSteps::check_new(manager, 2));
        // Retention deletes a sharded step by renaming it first: nothing is left of it.
        lf::save_sharded(lf::detail::ShardedSteps::path(manager, 2), all_shards(2), 2, {.durable = false});
        lf::detail::ShardedSteps::record(manager, 2);
        manager.save(3, row);
        manager.wait();
        EXPECT_EQ(manager.steps(), std::vector<int64_t>{3});
    }
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(run))
        if (e.path().filename().string().find("sharded") != std::string::npos)
            names.insert(e.path().filename().string());
    EXPECT_TRUE(names.empty()) << ::testing::PrintToString(names);
    // What a killed rank 0 (a pending directory) and a killed deletion left is removed on opening,
    // with a note; other hidden directories are not touched.
    std::filesystem::create_directories(lf::pending_step_dir(run / lf::sharded_step_name(4)) / "x");
    std::filesystem::create_directories(run / ("." + lf::sharded_step_name(2) + ".deleting") / "y");
    std::filesystem::create_directories(run / ".step-7.sharded.pending");
    lf::CheckpointManager manager(run, options);
    EXPECT_FALSE(std::filesystem::exists(lf::pending_step_dir(run / lf::sharded_step_name(4))));
    EXPECT_FALSE(std::filesystem::exists(run / ("." + lf::sharded_step_name(2) + ".deleting")));
    EXPECT_TRUE(std::filesystem::exists(run / ".step-7.sharded.pending"));
    int notes = 0;
    for (const std::string& note : manager.notes()) notes += note.find("sharded save or deletion") != std::string::npos;
    EXPECT_EQ(notes, 2) << ::testing::PrintToString(manager.notes());
}
