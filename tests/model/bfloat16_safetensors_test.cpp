// safetensors BF16 ↔ BFloat16 arrays, without widening when asked (BFloat16Storage::Native), and
// the promotion of files that mix BF16 with other dtypes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "support/bytes.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;
using D = SafetensorsDtype;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("legolasflux_bf16_safetensors_" + std::to_string(::getpid()) + "_" + name);
}

SafetensorsFile through_bytes(const SafetensorsFile& f) {
    return read_safetensors(lftest::exact_buffer(write_safetensors(f)));
}

SafetensorsFile bf16_file() {
    SafetensorsFile f;
    // 1.5, -2, the smallest normal, a NaN with a payload; then a 2x3 matrix.
    f.tensors.push_back(
        {"a.bias", D::BF16, {4}, la::Buffer::copy_of(std::vector<uint16_t>{0x3FC0, 0xC000, 0x0080, 0x7FC1})});
    f.tensors.push_back({"a.weight",
                         D::BF16,
                         {2, 3},
                         la::Buffer::copy_of(std::vector<uint16_t>{0x3f80, 0x4000, 0x4040, 0xbf80, 0xc000, 0xc040})});
    f.metadata = {{"format", "pt"}};
    return f;
}

}  // namespace

TEST(BFloat16Safetensors, DtypeMapsToTheElementType) {
    EXPECT_EQ(element_type_for(D::BF16), ElementType::BFloat16);
    EXPECT_EQ(dtype_for(ElementType::BFloat16), D::BF16);
    EXPECT_EQ(dtype_for(ElementType::Float32), D::F32);
    EXPECT_EQ(dtype_for(ElementType::UInt16), D::U16);
}

TEST(BFloat16Safetensors, NativeReadKeepsTheBytesAndWritesBF16Back) {
    const SafetensorsFile f = through_bytes(bf16_file());
    const ModelRow row = from_safetensors(f, BFloat16Storage::Native);
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, ElementType::BFloat16);
    ASSERT_EQ(row.weights->size(), 2u);
    EXPECT_EQ((*row.weights)[1].size, (std::vector<int64_t>{3, 2}));
    for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(la::same_bytes((*row.weights)[i].values, f.tensors[i].data)) << i;

    const SafetensorsFile back = to_safetensors(row);
    ASSERT_EQ(back.tensors.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(back.tensors[i].dtype, D::BF16);
        EXPECT_EQ(back.tensors[i].shape, f.tensors[i].shape);
        EXPECT_TRUE(la::same_bytes(back.tensors[i].data, f.tensors[i].data)) << i;
    }
}

TEST(BFloat16Safetensors, DefaultReadIsFloat32AsBefore) {
    const ModelRow row = from_safetensors(through_bytes(bf16_file()));
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, ElementType::Float32);
    EXPECT_EQ((*row.weights)[1].to_doubles(), (std::vector<double>{1, 2, 3, -1, -2, -3}));
    EXPECT_EQ(to_safetensors(row).tensors[0].dtype, D::F32);
}

TEST(BFloat16Safetensors, ConvertsToANativeModelFileAtTwoBytesAValue) {
    const auto native = temp_path("native.arrow");
    const auto widened = temp_path("widened.arrow");
    const ModelRow row = from_safetensors(through_bytes(bf16_file()), BFloat16Storage::Native);
    write_model_row(native, row, {.bfloat16 = BFloat16Storage::Native});
    write_model_row(widened, row);
    const ModelRow n = read_model_row(native);
    ASSERT_TRUE(n.weights);
    EXPECT_EQ(n.weights->element_type, ElementType::BFloat16);
    EXPECT_EQ(*n.weights, *row.weights);
    EXPECT_EQ(n.weight_names, (std::vector<std::string>{"a.bias", "a.weight"}));
    const ModelRow w = read_model_row(widened);
    EXPECT_EQ(w.weights->element_type, ElementType::Float32);
    EXPECT_EQ((*w.weights)[0].converted_to(ElementType::BFloat16), (*row.weights)[0]) << "NaN payload kept too";
    // And back to safetensors from the native file: the original bytes.
    const SafetensorsFile back = to_safetensors(n);
    EXPECT_TRUE(la::same_bytes(back.tensors[1].data, bf16_file().tensors[1].data));
    std::filesystem::remove(native);
    std::filesystem::remove(widened);
}

TEST(BFloat16Safetensors, MixedDtypesPromoteWithoutRoundingIntoBFloat16) {
    // The writer orders tensors by dtype alignment, then name; a foreign file's rows follow it.
    auto named = [](const ModelRow& row, const std::string& name) {
        const auto& names = *row.weight_names;
        return (*row.weights)[static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
    };
    auto with = [](D dtype, la::Buffer data) {
        SafetensorsFile f = bf16_file();
        f.tensors.push_back({"extra", dtype, {1}, std::move(data)});
        return from_safetensors(through_bytes(f), BFloat16Storage::Native);
    };
    const ModelRow counter = with(D::I64, la::Buffer::copy_of(std::vector<int64_t>{12}));
    EXPECT_EQ(counter.weights->element_type, ElementType::BFloat16) << "12 is a bfloat16";
    EXPECT_EQ(named(counter, "extra").to_doubles(), std::vector<double>{12});

    const ModelRow big = with(D::I64, la::Buffer::copy_of(std::vector<int64_t>{1001}));
    EXPECT_EQ(big.weights->element_type, ElementType::Float32) << "1001 is not: widened instead";
    EXPECT_EQ(named(big, "extra").to_doubles(), std::vector<double>{1001});
    EXPECT_EQ(named(big, "a.weight").to_doubles(), (std::vector<double>{1, 2, 3, -1, -2, -3}));

    const ModelRow f32 = with(D::F32, la::Buffer::copy_of(std::vector<float>{0.1f}));
    EXPECT_EQ(f32.weights->element_type, ElementType::Float32);
    const ModelRow f16 = with(D::F16, la::Buffer::copy_of(std::vector<uint16_t>{float_to_half(0.5f)}));
    EXPECT_EQ(f16.weights->element_type, ElementType::Float32) << "neither half type holds the other";
    const ModelRow f64 = with(D::F64, la::Buffer::copy_of(std::vector<double>{0.1}));
    EXPECT_EQ(f64.weights->element_type, ElementType::Float64);
}
