// FlatArray and Weights: sizes, conversions and Julia's promotion rules.
#include <gtest/gtest.h>

#include <cmath>

#include "legolasflux/errors.hpp"
#include "legolasflux/weights.hpp"

using namespace legolasflux;

TEST(FlatArray, ChecksValueCountAgainstSize) {
    EXPECT_NO_THROW(FlatArray::from_values<float>({2, 3}, std::vector<float>(6, 1.f)));
    EXPECT_THROW(FlatArray::from_values<float>({2, 3}, std::vector<float>(5, 1.f)), InvalidArgument);
    EXPECT_THROW(FlatArray::from_values<float>({-1}, std::vector<float>{}), InvalidArgument);
    const auto zero_dim = FlatArray::from_values<double>({}, std::vector<double>{4.0});
    EXPECT_EQ(zero_dim.element_count(), 1);
}

TEST(FlatArray, TypedAccessChecksTheElementType) {
    const auto a = FlatArray::from_values<int32_t>({3}, std::vector<int32_t>{1, 2, 3});
    EXPECT_EQ(a.data<int32_t>()[2], 3);
    EXPECT_THROW(a.data<float>(), InvalidArgument);
}

TEST(FlatArray, ConversionsAreExactLikeJulia) {
    const auto ints = FlatArray::from_values<int8_t>({2}, std::vector<int8_t>{-3, 7});
    const auto floats = ints.converted_to(ElementType::Float32);
    EXPECT_EQ(floats.data<float>()[0], -3.f);
    EXPECT_EQ(floats.converted_to(ElementType::Int16).data<int16_t>()[1], 7);
    const auto fraction = FlatArray::from_values<float>({1}, std::vector<float>{0.5f});
    EXPECT_THROW(fraction.converted_to(ElementType::Int32), InvalidArgument);
    const auto big = FlatArray::from_values<int64_t>({1}, std::vector<int64_t>{300});
    EXPECT_THROW(big.converted_to(ElementType::UInt8), InvalidArgument);
    const auto huge = FlatArray::from_values<int64_t>({1}, std::vector<int64_t>{(int64_t{1} << 62) + 1});
    EXPECT_EQ(huge.converted_to(ElementType::UInt64).data<uint64_t>()[0], (uint64_t{1} << 62) + 1);
}

TEST(Float16, ConvertsBothWays) {
    for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.103515625e-05f, 5.9604645e-08f})
        EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
    EXPECT_EQ(float_to_half(1.f), 0x3c00);
    EXPECT_EQ(float_to_half(1e6f), 0x7c00);  // overflows to infinity
    EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
    EXPECT_EQ(float_to_half(1.0009765625f + 0.00048828125f), 0x3c02);  // a tie rounds to even
}

// LegolasFlux.jl test/runtests.jl, testset "`Weights`": Int8 + Float32 arrays make Weights{Float32}.
TEST(Weights, PromotesAsJulia) {
    std::vector<FlatArray> v{FlatArray::from_values<int8_t>({5}, std::vector<int8_t>{1, -2, 3, 4, 5}),
                             FlatArray::from_values<float>({5, 5}, std::vector<float>(25, 0.25f))};
    const Weights w(v);
    EXPECT_EQ(w.element_type, ElementType::Float32);
    EXPECT_EQ(w[0].data<float>()[1], -2.f);
    EXPECT_EQ(w[1].size, (std::vector<int64_t>{5, 5}));

    EXPECT_EQ(promote(ElementType::Float32, ElementType::Float64), ElementType::Float64);
    EXPECT_EQ(promote(ElementType::Int32, ElementType::Int64), ElementType::Int64);
    EXPECT_EQ(promote(ElementType::Int8, ElementType::UInt8), ElementType::UInt8);
    EXPECT_EQ(promote(ElementType::Int64, ElementType::UInt8), ElementType::Int64);
    EXPECT_EQ(promote(ElementType::Bool, ElementType::Float32), ElementType::Float32);
    EXPECT_EQ(promote(ElementType::Float16, ElementType::Int64), ElementType::Float16);
    EXPECT_EQ(Weights({FlatArray::from_values<float>({1}, std::vector<float>{1}),
                       FlatArray::from_values<double>({1}, std::vector<double>{2})})
                  .element_type,
              ElementType::Float64);
    EXPECT_THROW(Weights(std::vector<FlatArray>{}), InvalidArgument);
}

TEST(Weights, JuliaSizeFormatting) {
    EXPECT_EQ(format_julia_size(std::vector<int64_t>{3, 3, 1, 32}), "(3, 3, 1, 32)");
    EXPECT_EQ(format_julia_size(std::vector<int64_t>{10}), "(10,)");
    EXPECT_EQ(format_julia_size(std::vector<int64_t>{}), "()");
}
