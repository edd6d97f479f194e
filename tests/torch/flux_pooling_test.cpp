// Flux's stateless layers against plain loops over Julia's column-major arrays (from NNlib's
// definitions: src/impl/pooling_direct.jl, src/upsample.jl) and NNlib's literal test vectors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <limits>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/flux_pooling.hpp"

namespace flux = legolasflux::flux;

namespace {

using Size = std::vector<int64_t>;

int64_t prod(const Size& s) {
    int64_t p = 1;
    for (int64_t v : s) p *= v;
    return p;
}

// Calls f(index) for every Julia index (0-based) of an array of size `s`, column-major order.
void each_index(const Size& s, const std::function<void(const Size&)>& f) {
    Size i(s.size(), 0);
    for (int64_t n = 0, total = prod(s); n < total; ++n) {
        f(i);
        for (size_t d = 0; d < s.size() && ++i[d] == s[d]; ++d) i[d] = 0;
    }
}

int64_t linear(const Size& i, const Size& s) {
    int64_t l = 0, stride = 1;
    for (size_t d = 0; d < s.size(); ++d) l += i[d] * stride, stride *= s[d];
    return l;
}

// A tensor holding Julia's array of size `s` (its bytes: shape reversed).
at::Tensor julia_array(const std::vector<float>& v, const Size& s) {
    return ::torch::tensor(v).reshape(Size(s.rbegin(), s.rend()));
}
std::vector<float> values(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}
Size julia_size(const at::Tensor& t) { return Size(t.sizes().rbegin(), t.sizes().rend()); }

std::vector<float> random_values(int64_t n) { return values(::torch::randn({n})); }

void expect_near(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-5) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// NNlib's pooling: window k, stride, padding lo/hi per spatial dimension; max ignores the
// padding, mean divides by the whole window.
std::vector<float> pool_reference(bool max, const std::vector<float>& x, const Size& xs, const Size& k,
                                  const Size& stride, const Size& lo, const Size& hi, Size* out_size) {
    const size_t n = k.size();
    Size ys = xs;
    for (size_t d = 0; d < n; ++d) ys[d] = (xs[d] + lo[d] + hi[d] - k[d]) / stride[d] + 1;
    std::vector<float> y(prod(ys));
    each_index(ys, [&](const Size& o) {
        double m = max ? std::numeric_limits<float>::lowest() : 0;  // NNlib: nextfloat(typemin(Float32))
        each_index(k, [&](const Size& w) {
            Size i = o;
            for (size_t d = 0; d < n; ++d) {
                i[d] = o[d] * stride[d] - lo[d] + w[d];
                if (i[d] < 0 || i[d] >= xs[d]) return;
            }
            const double v = x[linear(i, xs)];
            m = max ? std::max(m, v) : m + v;
        });
        y[linear(o, ys)] = float(max ? m : m / prod(k));
    });
    *out_size = ys;
    return y;
}

std::string printed(const flux::Layer& l) {
    std::ostringstream s;
    l->pretty_print(s);
    return s.str();
}

std::vector<float> iota(int64_t n) {
    std::vector<float> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = float(i + 1);
    return v;
}

}  // namespace

TEST(FluxPooling, MaxAndMeanPoolAreNNlibsLoops) {
    struct Config {
        Size window;
        flux::PoolOptions options;
        Size lo, hi, stride;
        Size input;  // Julia size
    };
    const std::vector<Config> configs = {
        {{2, 2}, {}, {0, 0}, {0, 0}, {2, 2}, {6, 5, 3, 2}},
        {{3, 2}, {.pad = 1, .stride = {2, 1}}, {1, 1}, {1, 1}, {2, 1}, {7, 6, 2, 2}},
        {{3}, {.pad = {2, 0}}, {2}, {0}, {3}, {8, 2, 3}},  // asymmetric: explicit padding
        {{2, 2}, {.pad = flux::SamePad(), .stride = 1}, {1, 1}, {0, 0}, {1, 1}, {4, 5, 2, 1}},
        {{2, 2, 2}, {.pad = {0, 1, 1}}, {0, 1, 1}, {0, 1, 1}, {2, 2, 2}, {4, 3, 4, 2, 1}},
        {{2}, {.pad = 3, .stride = 2}, {3}, {3}, {2}, {5, 1, 1}},  // pad beyond half the window
    };
    for (const Config& c : configs)
        for (bool max : {true, false}) {
            const std::vector<float> xj = random_values(prod(c.input));
            flux::Layer layer = max ? flux::Layer(flux::MaxPool(c.window, c.options))
                                    : flux::Layer(flux::MeanPool(c.window, c.options));
            const at::Tensor y = layer(julia_array(xj, c.input));
            Size ys;
            const std::vector<float> want = pool_reference(max, xj, c.input, c.window, c.stride, c.lo, c.hi, &ys);
            EXPECT_EQ(julia_size(y), ys) << printed(layer);
            expect_near(values(y), want);
            EXPECT_TRUE(layer->flux_arrays().empty());  // Flux: no arrays
        }
}

// NNlib 0.9.22 test/pooling.jl: x = reshape(1:prod(size), size), window 2; "y", "y_nostride"
// (stride 1) and "y_pad" (padding 1).
TEST(FluxPooling, NNlibsPublishedValues) {
    const at::Tensor x1 = julia_array(iota(5), {5, 1, 1});
    EXPECT_EQ(values(flux::MaxPool({2})(x1)), (std::vector<float>{2, 4}));
    EXPECT_EQ(values(flux::MaxPool({2}, {.stride = 1})(x1)), (std::vector<float>{2, 3, 4, 5}));
    EXPECT_EQ(values(flux::MaxPool({2}, {.pad = 1})(x1)), (std::vector<float>{1, 3, 5}));
    EXPECT_EQ(values(flux::MeanPool({2})(x1)), (std::vector<float>{1.5, 3.5}));
    EXPECT_EQ(values(flux::MeanPool({2}, {.stride = 1})(x1)), (std::vector<float>{1.5, 2.5, 3.5, 4.5}));
    EXPECT_EQ(values(flux::MeanPool({2}, {.pad = 1})(x1)), (std::vector<float>{0.5, 2.5, 4.5}));

    const at::Tensor x2 = julia_array(iota(20), {5, 4, 1, 1});
    EXPECT_EQ(values(flux::MaxPool({2, 2})(x2)), (std::vector<float>{7, 9, 17, 19}));  // [7 17; 9 19]
    EXPECT_EQ(values(flux::MaxPool({2, 2}, {.stride = 1})(x2)),
              (std::vector<float>{7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20}));
    EXPECT_EQ(values(flux::MaxPool({2, 2}, {.pad = 1})(x2)), (std::vector<float>{1, 3, 5, 11, 13, 15, 16, 18, 20}));
    EXPECT_EQ(values(flux::MeanPool({2, 2})(x2)), (std::vector<float>{4, 6, 14, 16}));  // [4 14; 6 16]
    // y_pad = [0.25 4.25 4.0; 1.25 10.0 8.75; 2.25 12.0 9.75]
    EXPECT_EQ(values(flux::MeanPool({2, 2}, {.pad = 1})(x2)),
              (std::vector<float>{0.25, 1.25, 2.25, 4.25, 10, 12, 4, 8.75, 9.75}));

    const at::Tensor x3 = julia_array(iota(60), {5, 4, 3, 1, 1});
    EXPECT_EQ(values(flux::MaxPool({2, 2, 2})(x3)), (std::vector<float>{27, 29, 37, 39}));
    EXPECT_EQ(julia_size(flux::MaxPool({2, 2, 2}, {.pad = 1})(x3)), (Size{3, 3, 2, 1, 1}));
    // y_pad (3, 3, 2) = 1 3 5 11 13 15 16 18 20 41 43 45 51 53 55 56 58 60
    EXPECT_EQ(values(flux::MaxPool({2, 2, 2}, {.pad = 1})(x3)),
              (std::vector<float>{1, 3, 5, 11, 13, 15, 16, 18, 20, 41, 43, 45, 51, 53, 55, 56, 58, 60}));
}

TEST(FluxPooling, PrintsAsFluxAndChecksItsInput) {
    EXPECT_EQ(printed(flux::MaxPool({2, 2})), "MaxPool((2, 2))");
    EXPECT_EQ(printed(flux::MaxPool({5}, {.pad = 2, .stride = 3})), "MaxPool((5,), pad=2, stride=3)");
    EXPECT_EQ(printed(flux::MeanPool({5, 5}, {.pad = 2})), "MeanPool((5, 5), pad=2)");
    EXPECT_EQ(printed(flux::MeanPool({2, 2}, {.pad = flux::SamePad()})), "MeanPool((2, 2), pad=(1, 0, 1, 0))");
    EXPECT_EQ(printed(flux::MaxPool({3, 3}, {.stride = {1, 2}})), "MaxPool((3, 3), stride=(1, 2))");
    EXPECT_EQ(printed(flux::AdaptiveMaxPool({3, 4})), "AdaptiveMaxPool((3, 4))");
    EXPECT_EQ(printed(flux::AdaptiveMeanPool({7})), "AdaptiveMeanPool((7,))");
    EXPECT_EQ(printed(flux::GlobalMaxPool()), "GlobalMaxPool()");
    EXPECT_EQ(printed(flux::GlobalMeanPool()), "GlobalMeanPool()");
    const std::vector<int64_t> pad = flux::MaxPool({2, 2}, {.pad = 1})->pad();
    EXPECT_EQ(pad, (Size{1, 1, 1, 1}));  // Flux's field: expand(Val(2N), pad)

    EXPECT_THROW(flux::MaxPool({2, 2})(::torch::zeros({1, 4, 4})), legolasflux::ShapeError);
    EXPECT_THROW(flux::MaxPool({2, 2}, {.pad = {1, 1, 1}}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::MaxPool({0, 2}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::AdaptiveMaxPool({5})(::torch::zeros({1, 1, 3})), legolasflux::ShapeError);
    EXPECT_THROW(flux::GlobalMeanPool()(::torch::zeros({3, 4})), legolasflux::ShapeError);
}

TEST(FluxPooling, AdaptiveUsesFluxsWindowAndGlobalPoolsEverything) {
    // Flux: stride = in ÷ out, window = in - (out - 1) stride. (7, 5) → (3, 2): stride (2, 2), window (3, 3).
    const Size in = {7, 5, 2, 2};
    const std::vector<float> xj = random_values(prod(in));
    for (bool max : {true, false}) {
        flux::Layer adaptive =
            max ? flux::Layer(flux::AdaptiveMaxPool({3, 2})) : flux::Layer(flux::AdaptiveMeanPool({3, 2}));
        Size ys;
        const std::vector<float> want = pool_reference(max, xj, in, {3, 3}, {2, 2}, {0, 0}, {0, 0}, &ys);
        const at::Tensor y = adaptive(julia_array(xj, in));
        EXPECT_EQ(julia_size(y), (Size{3, 2, 2, 2}));
        expect_near(values(y), want);

        flux::Layer global = max ? flux::Layer(flux::GlobalMaxPool()) : flux::Layer(flux::GlobalMeanPool());
        const std::vector<float> gwant = pool_reference(max, xj, in, {7, 5}, {7, 5}, {0, 0}, {0, 0}, &ys);
        const at::Tensor g = global(julia_array(xj, in));
        EXPECT_EQ(julia_size(g), (Size{1, 1, 2, 2}));
        expect_near(values(g), gwant);
    }
}

// ---- Upsample ----

namespace {

// NNlib's linear interpolation with align_corners = true, separable over the spatial dimensions.
std::vector<float> linear_reference(const std::vector<float>& x, const Size& xs, const Size& ys) {
    const size_t n = xs.size() - 2;
    std::vector<float> y(prod(ys));
    each_index(ys, [&](const Size& o) {
        std::vector<int64_t> i0(n), i1(n);
        std::vector<double> l1(n);
        for (size_t d = 0; d < n; ++d) {
            const double ratio = ys[d] > 1 ? double(xs[d] - 1) / double(ys[d] - 1) : 0;
            const double src = ratio * double(o[d]);
            i0[d] = int64_t(std::floor(src));
            i1[d] = std::min(i0[d] + 1, xs[d] - 1);
            l1[d] = src - double(i0[d]);
        }
        double s = 0;
        for (int corner = 0; corner < (1 << n); ++corner) {
            Size i = o;
            double w = 1;
            for (size_t d = 0; d < n; ++d) {
                const bool up = corner >> d & 1;
                i[d] = up ? i1[d] : i0[d];
                w *= up ? l1[d] : 1 - l1[d];
            }
            s += w * x[linear(i, xs)];
        }
        y[linear(o, ys)] = float(s);
    });
    return y;
}

std::vector<float> nearest_reference(const std::vector<float>& x, const Size& xs, const Size& ys) {
    std::vector<float> y(prod(ys));
    each_index(ys, [&](const Size& o) {
        Size i = o;
        for (size_t d = 0; d + 2 < xs.size(); ++d) i[d] = o[d] / (ys[d] / xs[d]);
        y[linear(o, ys)] = x[linear(i, xs)];
    });
    return y;
}

}  // namespace

TEST(FluxUpsample, NearestAndLinearAreNNlibsLoops) {
    using flux::UpsampleMode;
    const Size in2 = {3, 4, 2, 2}, in1 = {5, 2, 1}, in3 = {2, 3, 2, 1, 2};
    const std::vector<float> x2 = random_values(prod(in2)), x1 = random_values(prod(in1)),
                             x3 = random_values(prod(in3));
    expect_near(values(flux::Upsample(2)(julia_array(x2, in2))), nearest_reference(x2, in2, {6, 8, 2, 2}));
    expect_near(values(flux::Upsample(UpsampleMode::nearest, {.scale = {2, 3}})(julia_array(x2, in2))),
                nearest_reference(x2, in2, {6, 12, 2, 2}));
    expect_near(values(flux::Upsample(UpsampleMode::nearest, {.size = {9, 4}})(julia_array(x2, in2))),
                nearest_reference(x2, in2, {9, 4, 2, 2}));
    expect_near(values(flux::Upsample(3)(julia_array(x1, in1))), nearest_reference(x1, in1, {15, 2, 1}));
    expect_near(values(flux::Upsample(UpsampleMode::nearest, {.scale = {1, 2, 3}})(julia_array(x3, in3))),
                nearest_reference(x3, in3, {2, 6, 6, 1, 2}));

    expect_near(values(flux::Upsample(UpsampleMode::bilinear, {.scale = 2})(julia_array(x2, in2))),
                linear_reference(x2, in2, {6, 8, 2, 2}));
    expect_near(values(flux::Upsample(2.5, UpsampleMode::bilinear)(julia_array(x2, in2))),
                linear_reference(x2, in2, {7, 10, 2, 2}));  // floor(2.5 × size)
    expect_near(values(flux::Upsample(UpsampleMode::bilinear, {.size = {4, 7}})(julia_array(x2, in2))),
                linear_reference(x2, in2, {4, 7, 2, 2}));
    expect_near(values(flux::Upsample(UpsampleMode::bilinear, {.scale = 3})(julia_array(x1, in1))),
                linear_reference(x1, in1, {15, 2, 1}));
    expect_near(values(flux::Upsample(UpsampleMode::trilinear, {.scale = {2, 1.5, 3}})(julia_array(x3, in3))),
                linear_reference(x3, in3, {4, 4, 6, 1, 2}));
}

// NNlib 0.9.22 test/testsuite/upsample.jl.
TEST(FluxUpsample, NNlibsPublishedValues) {
    using flux::UpsampleMode;
    const at::Tensor x = julia_array({1, 3, 2, 4}, {2, 2, 1, 1});  // Float32[1 2; 3 4]
    const at::Tensor yn = flux::Upsample(UpsampleMode::nearest, {.scale = {3, 3}})(x);
    EXPECT_EQ(values(yn.select(-1, 0).flatten()), (std::vector<float>{1, 1, 1, 2, 2, 2}));  // y[1, :]
    const at::Tensor y23 = flux::Upsample(UpsampleMode::nearest, {.scale = {2, 3}})(x);
    EXPECT_EQ(julia_size(y23), (Size{4, 6, 1, 1}));
    EXPECT_TRUE(y23.equal(flux::Upsample(UpsampleMode::nearest, {.size = {4, 6}})(x)));

    // Bilinear, scale (3, 2): "matches pytorch v1.5.0 nn.UpsamplingBilinear2d(align_corners=True)".
    const std::vector<float> y_true = {1,       7 / 5.f,   9 / 5.f,   11 / 5.f,  13 / 5.f,  3,
                                       4 / 3.f, 26 / 15.f, 32 / 15.f, 38 / 15.f, 44 / 15.f, 10 / 3.f,
                                       5 / 3.f, 31 / 15.f, 37 / 15.f, 43 / 15.f, 49 / 15.f, 11 / 3.f,
                                       2,       12 / 5.f,  14 / 5.f,  16 / 5.f,  18 / 5.f,  4};
    expect_near(values(flux::Upsample(UpsampleMode::bilinear, {.scale = {3, 2}})(x)), y_true, 1e-6);
    // Scale 2.5: y_true_2 (5 × 5).
    const std::vector<float> y_true_2 = {1, 1.5, 2,    2.5,  3,    1.25, 1.75, 2.25, 2.75, 3.25, 1.5, 2, 2.5,
                                         3, 3.5, 1.75, 2.25, 2.75, 3.25, 3.75, 2,    2.5,  3,    3.5, 4};
    expect_near(values(flux::Upsample(2.5, UpsampleMode::bilinear)(x)), y_true_2, 1e-6);
    // Linear (1D): [1, 2, 3, 4] at scale 2.5 is 1:1//3:4.
    const at::Tensor x1 = julia_array({1, 2, 3, 4}, {4, 1, 1});
    std::vector<float> y1;
    for (int i = 0; i < 10; ++i) y1.push_back(1 + i / 3.f);
    expect_near(values(flux::Upsample(2.5, UpsampleMode::bilinear)(x1)), y1, 1e-6);
    // Trilinear: constant along W and H, 1, 2, 3 along D, to size (5, 5, 5): 1, 1.5, 2, 2.5, 3 along D.
    std::vector<float> x3(27);
    for (int i = 0; i < 27; ++i) x3[i] = float(i / 9 + 1);
    const at::Tensor y3 =
        flux::Upsample(UpsampleMode::trilinear, {.size = {5, 5, 5}})(julia_array(x3, {3, 3, 3, 1, 1}));
    const std::vector<float> v3 = values(y3);
    ASSERT_EQ(v3.size(), 125u);
    for (int i = 0; i < 125; ++i) EXPECT_NEAR(v3[i], 1 + 0.5f * (i / 25), 1e-6) << i;
}

TEST(FluxUpsample, PrintsAsFluxAndRefusesWhatFluxRefuses) {
    using flux::UpsampleMode;
    EXPECT_EQ(printed(flux::Upsample(2)), "Upsample(:nearest, scale = 2)");
    EXPECT_EQ(printed(flux::Upsample(UpsampleMode::nearest, {.scale = {2, 3}})), "Upsample(:nearest, scale = (2, 3))");
    EXPECT_EQ(printed(flux::Upsample(UpsampleMode::bilinear, {.size = {4, 5}})), "Upsample(:bilinear, size = (4, 5))");
    EXPECT_EQ(printed(flux::Upsample(2.5, UpsampleMode::trilinear)), "Upsample(:trilinear, scale = 2.5)");
    EXPECT_EQ(printed(flux::Upsample(UpsampleMode::bilinear, {.scale = {1.0 / 3, 2}})),
              "Upsample(:bilinear, scale = (0.3333333333333333, 2))");
    EXPECT_THROW(flux::Upsample(UpsampleMode::nearest), legolasflux::InvalidArgument);  // neither scale nor size
    EXPECT_THROW(flux::Upsample(UpsampleMode::nearest, {.scale = 2, .size = {4, 4}}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Upsample(1.5), legolasflux::InvalidArgument);  // nearest needs integer scales
    EXPECT_THROW(flux::Upsample(UpsampleMode::nearest, {.size = {5, 4}})(::torch::zeros({1, 1, 2, 2})),
                 legolasflux::ShapeError);
    EXPECT_THROW(flux::Upsample(UpsampleMode::nearest, {.scale = {2, 2}})(::torch::zeros({1, 1, 2})),
                 legolasflux::ShapeError);
}

// ---- PixelShuffle, softmax, flatten ----

namespace {

// NNlib's pixel_shuffle, read off its reshape and permutedims: y[r s_k + i_k …, c, n] =
// x[s_k …, Σ_k i_k r^(k-1) + r^d c, n] (0-based).
std::vector<float> pixel_shuffle_reference(const std::vector<float>& x, const Size& xs, int64_t r) {
    const size_t d = xs.size() - 2;
    Size ys = xs;
    int64_t rd = 1;
    for (size_t k = 0; k < d; ++k) ys[k] *= r, rd *= r;
    ys[d] = xs[d] / rd;
    std::vector<float> y(prod(ys));
    each_index(ys, [&](const Size& o) {
        Size i = o;
        int64_t channel = 0, place = 1;
        for (size_t k = 0; k < d; ++k) {
            i[k] = o[k] / r;
            channel += (o[k] % r) * place;
            place *= r;
        }
        i[d] = channel + rd * o[d];
        y[linear(o, ys)] = x[linear(i, xs)];
    });
    return y;
}

}  // namespace

TEST(FluxPixelShuffle, IsNNlibsOrderIn1D2D3D) {
    for (const auto& [size, r] : std::vector<std::pair<Size, int64_t>>{
             {{3, 4, 2}, 2}, {{3, 4, 8, 2}, 2}, {{2, 3, 18, 1}, 3}, {{2, 3, 2, 16, 2}, 2}}) {
        const std::vector<float> xj = random_values(prod(size));
        flux::PixelShuffle ps(r);
        const at::Tensor y = ps(julia_array(xj, size));
        const std::vector<float> want = pixel_shuffle_reference(xj, size, r);
        EXPECT_EQ(values(y), want) << julia_size(y);
    }
    EXPECT_EQ(printed(flux::PixelShuffle(2)), "PixelShuffle(2)");
    EXPECT_THROW(flux::PixelShuffle(2)(::torch::zeros({1, 6, 2, 2})), legolasflux::ShapeError);
    EXPECT_THROW(flux::PixelShuffle(2)(::torch::zeros({1, 4})), legolasflux::ShapeError);
}

TEST(FluxFunctions, SoftmaxAndFlattenWorkOnJuliasFirstDimension) {
    const Size s = {4, 3};  // Julia (classes, batch)
    const std::vector<float> xj = random_values(12);
    std::vector<float> want(12), wantlog(12);
    for (int64_t n = 0; n < 3; ++n) {
        double m = -1e30, z = 0;
        for (int64_t c = 0; c < 4; ++c) m = std::max(m, double(xj[c + 4 * n]));
        for (int64_t c = 0; c < 4; ++c) z += std::exp(xj[c + 4 * n] - m);
        for (int64_t c = 0; c < 4; ++c) {
            want[c + 4 * n] = float(std::exp(xj[c + 4 * n] - m) / z);
            wantlog[c + 4 * n] = float(xj[c + 4 * n] - m - std::log(z));
        }
    }
    expect_near(values(flux::softmax(julia_array(xj, s))), want);
    expect_near(values(flux::logsoftmax(julia_array(xj, s))), wantlog);

    const at::Tensor img = julia_array(random_values(60), {5, 3, 2, 2});
    const at::Tensor f = flux::flatten(img);
    EXPECT_EQ(julia_size(f), (Size{30, 2}));
    EXPECT_EQ(values(f), values(img));  // the same bytes: Julia's reshape
    EXPECT_EQ(julia_size(flux::flatten(julia_array({1, 2, 3}, {3}))), (Size{1, 3}));

    // In a Chain, as Flux writes it.
    flux::Chain c(flux::MaxPool({2, 2}), flux::flatten, flux::Dense(12, 2), flux::softmax);
    const at::Tensor x = julia_array(random_values(96), {4, 4, 3, 2});
    EXPECT_EQ(julia_size(c(x)), (Size{2, 2}));
    std::vector<std::string> names;
    const legolasflux::Weights w = flux::fetch_weights(*c, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"2.weight", "2.bias"}));  // only Dense has arrays
    flux::Chain fresh(flux::MaxPool({2, 2}), flux::flatten, flux::Dense(12, 2), flux::softmax);
    flux::load_weights(*fresh, w);
    EXPECT_TRUE(fresh(x).equal(c(x)));
}
