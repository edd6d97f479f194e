// Rows that hold tensors of several dtypes: promotion that never changes a value
// (Weights::promoted_exactly), the weight_dtypes column (written, read, refused when malformed), and
// safetensors files of mixed dtypes → row → safetensors with every tensor's dtype and bytes back.
#include <gtest/gtest.h>

#include <algorithm>

#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;
using D = SafetensorsDtype;
using E = ElementType;

namespace {

template <class T>
FlatArray array(std::vector<T> values) {
    const auto n = static_cast<int64_t>(values.size());
    return FlatArray::from_values<T>({n}, values);
}
// std::vector<bool> holds bits: Bool arrays from bytes.
FlatArray bools(std::vector<uint8_t> values) {
    const auto n = static_cast<int64_t>(values.size());
    return FlatArray(ElementType::Bool, {n}, la::Buffer::copy_of(values.data(), values.size()));
}

SafeTensor tensor(std::string name, const FlatArray& a) {
    return {std::move(name), dtype_for(a.element_type), {a.size.rbegin(), a.size.rend()}, a.values};
}

}  // namespace

TEST(WeightDtypes, PromotionWidensUntilNoValueChanges) {
    const auto f16 = array<Float16>({{float_to_half(0.5f)}});
    const auto f32 = array<float>({0.1f});
    // Julia: Float16 + Int64 → Float16, which holds integers up to 2048 exactly.
    EXPECT_EQ(Weights::promoted_exactly({f16, array<int64_t>({2048, -7})}).element_type, E::Float16);
    EXPECT_EQ(Weights::promoted_exactly({f16, array<int64_t>({2049})}).element_type, E::Float32);
    EXPECT_EQ(Weights::promoted_exactly({f16, array<int64_t>({100000})}).element_type, E::Float32)
        << "past Float16's range";
    EXPECT_EQ(Weights::promoted_exactly({f32, array<int64_t>({1 << 24})}).element_type, E::Float32);
    const Weights wide = Weights::promoted_exactly({f32, array<int64_t>({(1 << 24) + 1})});
    EXPECT_EQ(wide.element_type, E::Float64);
    EXPECT_EQ(wide[1].to_doubles(), std::vector<double>{(1 << 24) + 1});
    EXPECT_EQ(wide[0].to_doubles(), std::vector<double>{double{0.1f}});
    // Unsigned promotion with negative values: a wider signed type.
    EXPECT_EQ(Weights::promoted_exactly({array<int8_t>({-1}), array<uint8_t>({200})}).element_type, E::Int16);
    EXPECT_EQ(Weights::promoted_exactly({array<int8_t>({1}), array<uint8_t>({200})}).element_type, E::UInt8);
    EXPECT_EQ(Weights::promoted_exactly({array<int64_t>({-1}), array<uint64_t>({5})}).element_type, E::Float64);
    EXPECT_EQ(Weights::promoted_exactly({bools({1}), f16}).element_type, E::Float16);
    EXPECT_THROW(Weights::promoted_exactly({f32, array<int64_t>({(int64_t{1} << 53) + 1})}), InvalidArgument);
}

TEST(WeightDtypes, ColumnIsWrittenAndReadOnePerArray) {
    const auto dir = lftest::scratch_dir("weight_dtypes");
    ModelV1 row;
    row.weights = Weights({array<float>({0.5f, 2}), array<float>({3, -4})});
    ModelWriteOptions options;
    options.weight_names = {"a", "b"};
    options.weight_dtypes = {E::Float16, E::Int64};
    write_model_row(dir / "row.arrow", row, options);
    const ModelRow back = read_model_row(dir / "row.arrow");
    ASSERT_TRUE(back.weight_dtypes);
    EXPECT_EQ(*back.weight_dtypes, (std::vector<E>{E::Float16, E::Int64}));
    const std::vector<SafeTensor> tensors = row_tensors(back);
    ASSERT_EQ(tensors.size(), 2u);
    EXPECT_EQ(tensors[0].dtype, D::F16);
    EXPECT_EQ(tensors[1].dtype, D::I64);
    EXPECT_EQ(FlatArray(E::Int64, {2}, tensors[1].data).to_doubles(), (std::vector<double>{3, -4}));
    EXPECT_EQ(to_safetensors(back).tensors[1].dtype, D::I64);

    // A row without the column: the row's element type.
    write_model_row(dir / "plain.arrow", row);
    const ModelRow plain = read_model_row(dir / "plain.arrow");
    EXPECT_FALSE(plain.weight_dtypes);
    EXPECT_EQ(row_tensors(plain)[1].dtype, D::F32);

    options.weight_dtypes = {E::Float16};
    EXPECT_THROW(write_model_row(dir / "short.arrow", row, options), InvalidArgument);
    // A value the recorded dtype cannot hold (the row was changed): refused, naming the weight.
    options.weight_dtypes = {E::Float16, E::Int8};
    row.weights = Weights({array<float>({0.5f, 2}), array<float>({3.5f, 1})});
    write_model_row(dir / "changed.arrow", row, options);
    try {
        (void)row_tensors(read_model_row(dir / "changed.arrow"));
        ADD_FAILURE() << "3.5 restored as an Int8";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("weight 'b'"), std::string::npos) << e.what();
    }
}

TEST(WeightDtypes, MixedSafetensorsComeBackInTheirOwnDtypes) {
    SafetensorsFile file;
    const auto h = array<Float16>({{float_to_half(0.1f)}, {float_to_half(-3.0f)}});
    const auto f = array<float>({0.1f, 1e-30f, -2.5f});
    const auto i = array<int64_t>({(1 << 24) + 1, -7});
    const auto b = bools({1, 0});
    const auto bf = array<BFloat16>({{0x3f81}, {0xc000}});
    file.tensors = {tensor("h", h), tensor("f", f), tensor("i", i), tensor("b", b), tensor("bf", bf)};
    for (const BFloat16Storage storage : {BFloat16Storage::Float32, BFloat16Storage::Native}) {
        const ModelRow row = from_safetensors(read_safetensors(la::Buffer::copy_of(write_safetensors(file))), storage);
        EXPECT_EQ(row.weights->element_type, E::Float64) << "2^24 + 1 needs Float64";
        ASSERT_TRUE(row.weight_dtypes && row.weight_names);
        // The file stores its tensors by dtype then name: compare by name.
        for (size_t k = 0; k < row.weight_dtypes->size(); ++k) {
            const std::string& name = (*row.weight_names)[k];
            const auto original = std::find_if(file.tensors.begin(), file.tensors.end(),
                                               [&](const SafeTensor& t) { return t.name == name; });
            ASSERT_NE(original, file.tensors.end());
            EXPECT_EQ((*row.weight_dtypes)[k], element_type_for(original->dtype)) << name;
        }
        const SafetensorsFile back = to_safetensors(row);
        ASSERT_EQ(back.tensors.size(), file.tensors.size());
        for (const SafeTensor& t : back.tensors) {
            const auto original = std::find_if(file.tensors.begin(), file.tensors.end(),
                                               [&](const SafeTensor& o) { return o.name == t.name; });
            ASSERT_NE(original, file.tensors.end()) << t.name;
            EXPECT_EQ(t.dtype, original->dtype) << t.name;
            EXPECT_EQ(t.shape, original->shape) << t.name;
            EXPECT_TRUE(la::same_bytes(t.data, original->data)) << t.name;
        }
        // Through a model file and back: the column travels with the row.
        const auto path = lftest::scratch_dir("weight_dtypes_mixed") / "row.arrow";
        write_model_row(path, row);
        EXPECT_EQ(read_model_row(path).weight_dtypes, row.weight_dtypes);
        const ModelRow again = from_safetensors(to_safetensors(read_model_row(path)));
        EXPECT_EQ(again.weight_dtypes, row.weight_dtypes);
    }
    // One dtype: nothing recorded (the row's element type is every tensor's).
    SafetensorsFile one;
    one.tensors = {tensor("f", f), tensor("g", f)};
    EXPECT_FALSE(from_safetensors(one).weight_dtypes);
}
