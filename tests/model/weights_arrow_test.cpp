// Weights <-> Arrow, in Julia's encoding; and the weights of the Julia-written fixture.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/weights.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;

namespace {

Weights sample() {
    return Weights({FlatArray::from_values<float>({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6}),
                    FlatArray::from_values<float>({3}, std::vector<float>{-1, -2, -3}),
                    FlatArray::from_values<float>({}, std::vector<float>{9})});
}

}  // namespace

TEST(WeightsArrow, TypeTreeIsJuliasExactly) {
    const la::Field f = weights_field("weights", ElementType::Float32, false);
    EXPECT_EQ(f.extension_name().value_or(""), "JuliaLang.LegolasFlux.Weights");
    EXPECT_EQ(la::find_metadata(f.metadata, "ARROW:extension:metadata").value_or("x"), "");
    ASSERT_EQ(f.type.children.size(), 1u);
    const la::Field& list = f.type.children[0];
    EXPECT_EQ(list.name, "weights");
    EXPECT_FALSE(list.nullable);
    EXPECT_EQ(list.type.id, la::TypeId::List);
    const la::Field& item = list.type.children[0];
    EXPECT_EQ(item.name, "");
    EXPECT_FALSE(item.nullable);
    EXPECT_EQ(item.extension_name().value_or(""), "JuliaLang.LegolasFlux.FlatArray");
    ASSERT_EQ(item.type.children.size(), 2u);
    EXPECT_EQ(item.type.children[0].name, "vec");
    EXPECT_EQ(item.type.children[1].name, "size");
    EXPECT_EQ(item.type.children[0].type.children[0].type, la::float32());
    EXPECT_FALSE(item.type.children[0].type.children[0].nullable);
    EXPECT_EQ(item.type.children[1].type.children[0].type, la::int64());
    EXPECT_EQ(weights_type(ElementType::Float64, true).children[0].type.children[0].type.children[0].type.id,
              la::TypeId::LargeList);
}

TEST(WeightsArrow, RoundTripsRowsAndMissingRows) {
    const Weights a = sample();
    const Weights b({FlatArray::from_values<float>({1}, std::vector<float>{42})});
    const Weights* rows[] = {&a, nullptr, &b};
    const la::ArrayPtr column = weights_to_arrow(rows);
    la::validate(*column, "weights");
    EXPECT_EQ(column->length, 3);
    EXPECT_EQ(column->null_count, 1);
    const la::Field f = weights_field("weights", ElementType::Float32, true);
    EXPECT_EQ(column->type, f.type);
    EXPECT_EQ(weights_from_arrow(f, *column, 0), a);
    EXPECT_FALSE(weights_from_arrow(f, *column, 1).has_value());
    EXPECT_EQ(weights_from_arrow(f, *column, 2), b);
}

TEST(WeightsArrow, EveryElementTypeRoundTrips) {
    auto check = [](const Weights& w) {
        const Weights* rows[] = {&w};
        const la::ArrayPtr column = weights_to_arrow(rows);
        la::validate(*column, "weights");
        const la::Field f = weights_field("weights", w.element_type, false);
        EXPECT_EQ(column->type, f.type) << element_type_name(w.element_type);
        EXPECT_EQ(weights_from_arrow(f, *column, 0), w) << element_type_name(w.element_type);
    };
    check(Weights({FlatArray::from_values<int8_t>({2}, std::vector<int8_t>{-1, 2})}));
    check(Weights({FlatArray::from_values<int16_t>({2}, std::vector<int16_t>{-1, 2})}));
    check(Weights({FlatArray::from_values<int32_t>({2}, std::vector<int32_t>{-1, 2})}));
    check(Weights({FlatArray::from_values<int64_t>({2}, std::vector<int64_t>{-1, 2})}));
    check(Weights({FlatArray::from_values<uint8_t>({2}, std::vector<uint8_t>{1, 2})}));
    check(Weights({FlatArray::from_values<uint16_t>({2}, std::vector<uint16_t>{1, 2})}));
    check(Weights({FlatArray::from_values<uint32_t>({2}, std::vector<uint32_t>{1, 2})}));
    check(Weights({FlatArray::from_values<uint64_t>({2}, std::vector<uint64_t>{1, 2})}));
    check(Weights({FlatArray::from_values<Float16>({2}, std::vector<Float16>{{0x3c00}, {0xc000}})}));
    check(Weights({FlatArray::from_values<double>({2, 1}, std::vector<double>{0.5, 1e300})}));
    // Bool: one byte per value in memory, bit-packed in Arrow.
    const uint8_t bits[] = {1, 0, 1, 1, 0, 0, 0, 1, 1};
    check(Weights({FlatArray(ElementType::Bool, {9}, la::Buffer::copy_of(bits, 9)),
                   FlatArray(ElementType::Bool, {2}, la::Buffer::copy_of(bits, 2))}));
}

TEST(WeightsArrow, MalformedSizesAreFormatErrors) {
    const Weights w = sample();
    const Weights* rows[] = {&w};
    la::ArrayPtr column = weights_to_arrow(rows);
    // Point array 0's size at (2, 4): 8 values claimed, 6 stored.
    auto broken = std::make_shared<la::Array>(*column);
    auto list = std::make_shared<la::Array>(*broken->children[0]);
    auto flat = std::make_shared<la::Array>(*list->children[0]);
    auto size = std::make_shared<la::Array>(*flat->children[1]);
    auto dims = std::make_shared<la::Array>(*size->children[0]);
    la::Buffer copy = la::Buffer::copy_of(dims->buffers[1].data(), dims->buffers[1].size());
    reinterpret_cast<int64_t*>(copy.mutable_data())[1] = 4;
    dims->buffers[1] = copy;
    size->children[0] = dims;
    flat->children[1] = size;
    list->children[0] = flat;
    broken->children[0] = list;
    const la::Field f = weights_field("weights", ElementType::Float32, false);
    try {
        (void)weights_from_arrow(f, *broken, 0);
        FAIL() << "expected a FormatError";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("array 0 has size (2, 4)"), std::string::npos) << e.what();
    }
}

// The weights column of Julia's file decodes to the 14 arrays listed in fixtures/julia/README.md.
TEST(WeightsArrow, DecodesTheJuliaFixture) {
    const la::Table t = la::read_file(std::filesystem::path(LEGOLASFLUX_JULIA_FIXTURES "/test.digits-model.arrow"));
    ASSERT_EQ(t.batches.size(), 1u);
    const la::Field& field = t.schema->fields[0];
    ASSERT_TRUE(is_weights_field(field));
    const auto w = weights_from_arrow(field, *t.batches[0].columns[0], 0);
    ASSERT_TRUE(w.has_value());
    ASSERT_EQ(w->size(), 14u);
    EXPECT_EQ(w->element_type, ElementType::Float32);
    EXPECT_EQ(w->element_count(), 7542);
    const std::vector<std::vector<int64_t>> sizes = {{3, 3, 1, 32},  {32}, {32},           {32}, {32},     {32},
                                                     {3, 3, 32, 16}, {16}, {3, 3, 16, 10}, {10}, {10, 90}, {10},
                                                     {10, 10},       {10}};
    const double sums[] = {0.715672037, 0.0776231076,   -0.0846068974, 31.893577,    1.39437326,
                           11.2124002,  -6.66395014,    -0.0364561137, -1.5625874,   -0.0395106333,
                           1.62471617,  -0.00720195821, 0.0496683645,  0.00525941455};
    for (size_t i = 0; i < 14; ++i) {
        EXPECT_EQ((*w)[i].size, sizes[i]) << i;
        const auto v = (*w)[i].to_doubles();
        EXPECT_NEAR(std::accumulate(v.begin(), v.end(), 0.0), sums[i], 1e-6 * std::max(1.0, std::abs(sums[i]))) << i;
    }
    EXPECT_FLOAT_EQ((*w)[0].data<float>()[0], -0.0473921262f);
}
