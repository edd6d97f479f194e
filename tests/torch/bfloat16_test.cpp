// bfloat16 models: fetched as BFloat16 arrays when asked (FetchOptions::bfloat16 = Native), through
// a native model file and back into a model bit for bit; BFloat16 rows into float32 models and the
// other way round.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstring>

#include "legolasflux/model.hpp"
#include "legolasflux/torch/pytorch_file.hpp"
#include "legolasflux/torch/weights.hpp"

using legolasflux::BFloat16Storage;
using legolasflux::ElementType;
using legolasflux::FlatArray;
using legolasflux::Weights;
namespace lt = legolasflux::torch;
namespace nn = ::torch::nn;

namespace {

nn::Sequential make_model() { return nn::Sequential(nn::Linear(3, 8), nn::Linear(8, 8), nn::Linear(8, 2)); }

lt::FetchOptions native_fetch() {
    lt::FetchOptions o;
    o.bfloat16 = BFloat16Storage::Native;
    return o;
}

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("legolasflux_torch_bf16_" + std::to_string(::getpid()) + "_" + name);
}

// Weights through a model file written with `storage`, and back.
Weights through_file(const Weights& w, BFloat16Storage storage) {
    const auto path = temp_path("row.arrow");
    legolasflux::ModelWriteOptions options;
    options.bfloat16 = storage;
    legolasflux::write_model_row(path, legolasflux::ModelV1{w, 1}, options);
    const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(path);
    std::filesystem::remove(path);
    return *row.weights;
}

// The tensors' bytes, in order: bit-exact comparisons (NaN included).
std::vector<std::vector<uint8_t>> bytes_of(const nn::Module& m) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& nt : lt::named_weights(m)) {
        const at::Tensor t = nt.tensor.detach().contiguous();
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        out.emplace_back(p, p + t.nbytes());
    }
    return out;
}

}  // namespace

TEST(BFloat16Torch, DtypesMapBothWays) {
    EXPECT_EQ(lt::to_dtype(ElementType::BFloat16), ::torch::kBFloat16);
    EXPECT_EQ(lt::to_element_type(::torch::kBFloat16), ElementType::BFloat16);
    const at::Tensor t = ::torch::tensor({1.5f, -2.f}).to(::torch::kBFloat16);
    EXPECT_EQ(lt::to_flat_array(t).element_type, ElementType::Float32) << "the default, as before";
    const FlatArray a = lt::to_flat_array(t, BFloat16Storage::Native);
    EXPECT_EQ(a.element_type, ElementType::BFloat16);
    EXPECT_EQ(a.to_doubles(), (std::vector<double>{1.5, -2.0}));
    const at::Tensor back = lt::to_tensor(a);
    EXPECT_EQ(back.scalar_type(), ::torch::kBFloat16);
    EXPECT_TRUE(back.equal(t));
}

TEST(BFloat16Torch, NativeFetchViewsTheTensors) {
    auto m = make_model();
    m->to(::torch::kBFloat16);
    const Weights w = lt::fetch_weights(*m, nullptr, native_fetch());
    EXPECT_EQ(w.element_type, ElementType::BFloat16);
    const auto named = lt::named_weights(*m);
    ASSERT_EQ(w.size(), named.size());
    for (size_t i = 0; i < w.size(); ++i) {
        EXPECT_EQ(static_cast<const void*>(w[i].values.data()), named[i].tensor.data_ptr()) << i;
        EXPECT_EQ(w[i].byte_count(), static_cast<int64_t>(named[i].tensor.nbytes())) << "2 bytes a value";
    }
}

TEST(BFloat16Torch, RoundTripsBitExactThroughANativeFile) {
    ::torch::manual_seed(11);
    auto model = make_model();
    model->to(::torch::kBFloat16);
    {  // values bfloat16 rounding would change if they went through anything lossy
        ::torch::NoGradGuard no_grad;
        model[0]->as<nn::Linear>()->bias.copy_(
            ::torch::tensor({1e-40f, -0.f, 3.3895314e38f, -1e-3f, 0.1f, 7.f, -65504.f, 1.f / 3})
                .to(::torch::kBFloat16));
    }
    const Weights fetched = lt::fetch_weights(*model, nullptr, native_fetch());
    const Weights read = through_file(fetched, BFloat16Storage::Native);
    EXPECT_EQ(read.element_type, ElementType::BFloat16);
    EXPECT_EQ(read, fetched);

    auto fresh = make_model();
    fresh->to(::torch::kBFloat16);
    lt::load_weights(*fresh, read);
    EXPECT_EQ(bytes_of(*fresh), bytes_of(*model));
    EXPECT_EQ(fresh->parameters()[0].scalar_type(), ::torch::kBFloat16);

    // The default file (Float32) loads back bit for bit too.
    auto again = make_model();
    again->to(::torch::kBFloat16);
    const Weights widened = through_file(fetched, BFloat16Storage::Float32);
    EXPECT_EQ(widened.element_type, ElementType::Float32);
    lt::load_weights(*again, widened);
    EXPECT_EQ(bytes_of(*again), bytes_of(*model));
}

TEST(BFloat16Torch, BFloat16RowsLoadIntoFloat32ModelsAndBack) {
    ::torch::manual_seed(12);
    auto bf16 = make_model();
    bf16->to(::torch::kBFloat16);
    const Weights w = through_file(lt::fetch_weights(*bf16, nullptr, native_fetch()), BFloat16Storage::Native);

    auto f32 = make_model();
    lt::load_weights(*f32, w);
    const auto a = lt::named_weights(*bf16), b = lt::named_weights(*f32);
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(b[i].tensor.scalar_type(), ::torch::kFloat);
        EXPECT_TRUE(b[i].tensor.equal(a[i].tensor.to(::torch::kFloat))) << "exact: " << a[i].name;
    }

    // A float32 row into a bfloat16 model rounds to nearest even, as torch's copy_.
    const Weights f32_weights = lt::fetch_weights(*f32);
    EXPECT_EQ(f32_weights.element_type, ElementType::Float32);
    auto back = make_model();
    back->to(::torch::kBFloat16);
    lt::load_weights(*back, f32_weights);
    EXPECT_EQ(bytes_of(*back), bytes_of(*bf16));
}

TEST(BFloat16Torch, IntegerBuffersDecideWhetherBFloat16IsKept) {
    // A bfloat16 model as Python's Module.to makes it: floats converted, the int64 counter kept
    // (C++'s Module::to converts every buffer, so the counter is put back).
    auto bfloat16_model = [] {
        nn::Sequential m(nn::Linear(2, 3), nn::BatchNorm1d(3));
        m->to(::torch::kBFloat16);
        m[1]->as<nn::BatchNorm1d>()->num_batches_tracked.set_data(::torch::zeros({}, ::torch::kLong));
        return m;
    };
    nn::Sequential m = bfloat16_model();
    const Weights fresh = lt::fetch_weights(*m, nullptr, native_fetch());
    EXPECT_EQ(fresh.element_type, ElementType::BFloat16) << "a counter at 0 is a bfloat16";
    EXPECT_EQ(fresh[6].to_doubles(), std::vector<double>{0});

    m[1]->as<nn::BatchNorm1d>()->num_batches_tracked.fill_(1001);
    const Weights trained = lt::fetch_weights(*m, nullptr, native_fetch());
    EXPECT_EQ(trained.element_type, ElementType::Float32) << "1001 is no bfloat16: widened, as by default";
    EXPECT_EQ(trained[6].to_doubles(), std::vector<double>{1001});
    nn::Sequential fresh_model = bfloat16_model();
    lt::load_weights(*fresh_model, trained);
    EXPECT_EQ(fresh_model[1]->as<nn::BatchNorm1d>()->num_batches_tracked.item<int64_t>(), 1001);
    EXPECT_EQ(bytes_of(*fresh_model), bytes_of(*m));
}

TEST(BFloat16Torch, NamedTensorsFollowTheStorageAsked) {
    std::vector<lt::NamedTensor> tensors{{"w", ::torch::tensor({0.25f, 3.f}).to(::torch::kBFloat16)},
                                         {"b", ::torch::tensor({-1.f}).to(::torch::kBFloat16)}};
    std::vector<std::string> names;
    const Weights native = lt::weights_from_named_tensors(tensors, &names, BFloat16Storage::Native);
    EXPECT_EQ(native.element_type, ElementType::BFloat16);
    EXPECT_EQ(names, (std::vector<std::string>{"w", "b"}));
    EXPECT_EQ(native[0].to_doubles(), (std::vector<double>{0.25, 3.0}));
    EXPECT_EQ(lt::weights_from_named_tensors(tensors).element_type, ElementType::Float32);
}
