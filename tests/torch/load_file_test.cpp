// load_weights(module, path): a model file straight into a module — compressed values decoded into
// the tensors — with the checks and results of read_model_row + load_weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "../support/module_snapshot.hpp"
#include "../support/scratch.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/torch/weights.hpp"

namespace lf = legolasflux;
namespace lt = legolasflux::torch;
namespace la = legolasflux::arrow;
namespace nn = ::torch::nn;

namespace {

// About 20 MiB of float32 parameters with a BatchNorm (an int64 counter among its buffers).
nn::Sequential make_model() {
    return nn::Sequential(nn::Linear(1500, 1700), nn::BatchNorm1d(1700), nn::Linear(1700, 1300), nn::Linear(1300, 9));
}

void randomize(nn::Module& m, int seed) {
    ::torch::manual_seed(seed);
    ::torch::NoGradGuard no_grad;
    for (auto& p : m.parameters()) p.uniform_(-1, 1);
    for (auto& b : m.buffers())
        if (b.is_floating_point()) b.uniform_(0, 2);
}

using lftest::expect_same;
using lftest::snapshot;

std::filesystem::path saved(const nn::Module& m, la::Compression codec, const std::string& name,
                            bool with_names = false) {
    const auto path = lftest::scratch_dir("load_file") / name;
    lf::ModelWriteOptions o;
    o.ipc.compression = codec;
    std::vector<std::string> names;
    const lf::Weights w = lt::fetch_weights(m, &names);
    if (with_names) o.weight_names = names;
    lf::write_model_row(path, lf::ModelV1{w, 1}, o);
    return path;
}

TEST(LoadFile, EveryCodecLoadsWhatTheModelSaved) {
    nn::Sequential source = make_model();
    randomize(*source, 1);
    const auto want = snapshot(*source);
    for (const la::Compression codec : {la::Compression::None, la::Compression::Lz4Frame, la::Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        const auto path = saved(*source, codec, "m.arrow");
        nn::Sequential target = make_model();
        randomize(*target, 2);
        std::vector<int64_t> versions;
        for (const auto& p : target->parameters()) versions.push_back(p._version());
        lt::load_weights(*target, path);
        expect_same(snapshot(*target), want);
        size_t i = 0;
        for (const auto& p : target->parameters()) EXPECT_GT(p._version(), versions[i++]);
        // On one thread too, and the same as through read_model_row.
        nn::Sequential other = make_model();
        lt::LoadOptions one;
        one.threads = 1;
        lt::load_weights(*other, path, one);
        expect_same(snapshot(*other), want);
    }
}

TEST(LoadFile, TensorsOfAnotherDtypeOrByNameGoTheOrdinaryWay) {
    nn::Sequential source = make_model();
    randomize(*source, 3);
    const auto path = saved(*source, la::Compression::Zstd, "named.arrow", true);
    // Another dtype: converted as load_weights converts.
    nn::Sequential doubled = make_model();
    doubled->to(::torch::kFloat64);
    lt::load_weights(*doubled, path);
    nn::Sequential reference = make_model();
    reference->to(::torch::kFloat64);
    lt::load_weights(*reference, *lf::read_model_row(path).weights);
    expect_same(snapshot(*doubled), snapshot(*reference));
    // By name, with the names the row stores.
    nn::Sequential target = make_model();
    lt::LoadOptions by_name;
    by_name.by_name = true;
    lt::load_weights(*target, path, by_name);
    expect_same(snapshot(*target), snapshot(*source));
}

TEST(LoadFile, MismatchesAndDamageLeaveTheModelUnchanged) {
    nn::Sequential source = make_model();
    randomize(*source, 4);
    const auto path = saved(*source, la::Compression::Lz4Frame, "bad.arrow");
    // A model of another shape.
    nn::Sequential other(nn::Linear(1500, 1700), nn::BatchNorm1d(1700), nn::Linear(1700, 1301), nn::Linear(1301, 9));
    const auto before = snapshot(*other);
    EXPECT_THROW(lt::load_weights(*other, path), lf::ShapeError);
    expect_same(snapshot(*other), before);
    // Damaged compressed bytes, with and without the file checksum's check.
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        const auto size = static_cast<std::streamoff>(std::filesystem::file_size(path));
        for (std::streamoff at = size / 2; at < size / 2 + 2048; at += 31) {
            f.seekp(at);
            f.put('\x5a');
        }
    }
    nn::Sequential target = make_model();
    randomize(*target, 5);
    const auto kept = snapshot(*target);
    EXPECT_THROW(lt::load_weights(*target, path), lf::CorruptionError);
    expect_same(snapshot(*target), kept);
    lf::ModelReadOptions unchecked;
    unchecked.verify_metadata = false;
    EXPECT_THROW(lt::load_weights(*target, path, {}, unchecked), lf::Error);
    expect_same(snapshot(*target), kept);
}

TEST(LoadFile, MissingWeightsAreASchemaError) {
    const auto path = lftest::scratch_dir("load_file") / "none.arrow";
    lf::write_model_row(path, lf::ModelV1{std::nullopt, 1});
    nn::Sequential target = make_model();
    EXPECT_THROW(lt::load_weights(*target, path), lf::SchemaError);
}

}  // namespace
