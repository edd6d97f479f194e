// bfloat16 as an element type: conversions, Julia's promotion, the native Arrow encoding (UInt16
// items marked legolasflux.bfloat16) and model rows written widened (the default) or natively.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("legolasflux_bf16_" + std::to_string(::getpid()) + "_" + name);
}

// Round to nearest even on the float's bits, the usual way (correct for every non-NaN float).
uint16_t reference_bfloat16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

FlatArray bf16_array(std::vector<int64_t> size, const std::vector<uint16_t>& bits) {
    return FlatArray(ElementType::BFloat16, std::move(size), la::Buffer::copy_of(bits));
}

std::vector<uint16_t> bits_of(const FlatArray& a) {
    std::vector<uint16_t> out(static_cast<size_t>(a.element_count()));
    std::memcpy(out.data(), a.values.data(), static_cast<size_t>(a.byte_count()));
    return out;
}

// Every bfloat16 pattern but the NaNs, in order: a model that holds every number bfloat16 has.
std::vector<uint16_t> every_number() {
    std::vector<uint16_t> out;
    for (uint32_t b = 0; b <= 0xffff; ++b)
        if ((b & 0x7f80) != 0x7f80 || (b & 0x7f) == 0) out.push_back(static_cast<uint16_t>(b));
    return out;
}

Weights bf16_weights(int64_t values_per_array, int arrays) {
    std::vector<FlatArray> out;
    for (int k = 0; k < arrays; ++k) {
        std::vector<uint16_t> bits(static_cast<size_t>(values_per_array));
        for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint16_t>(0x3c00 + (i * 37 + k * 11) % 0x0800);
        out.push_back(bf16_array({values_per_array}, bits));
    }
    return Weights(ElementType::BFloat16, std::move(out));
}

const la::Field& vec_item(const la::DataType& weights_column) {
    return weights_column.children[0].type.children[0].type.children[0].type.children[0];
}

}  // namespace

TEST(BFloat16, ConvertsToFloatExactlyAndRoundsToNearestEven) {
    EXPECT_EQ(float_to_bfloat16(1.f), 0x3f80);
    EXPECT_EQ(bfloat16_to_float(0x3fc0), 1.5f);
    EXPECT_EQ(bfloat16_to_float(0xc000), -2.f);
    EXPECT_EQ(float_to_bfloat16(1.f + 0x1p-8f), 0x3f80) << "a tie goes to the even neighbour";
    EXPECT_EQ(float_to_bfloat16(1.f + 0x3p-8f), 0x3f82) << "a tie goes to the even neighbour";
    EXPECT_EQ(float_to_bfloat16(1.f + 0x1p-8f + 0x1p-20f), 0x3f81);
    EXPECT_EQ(float_to_bfloat16(std::numeric_limits<float>::max()), 0x7f80) << "rounds past the largest";
    EXPECT_EQ(float_to_bfloat16(-std::numeric_limits<float>::infinity()), 0xff80);
    EXPECT_EQ(float_to_bfloat16(-0.f), 0x8000);
    EXPECT_EQ(float_to_bfloat16(0x1p-133f), 0x0001) << "the smallest subnormal";
    EXPECT_EQ(float_to_bfloat16(0x1p-134f), 0x0000) << "half of it ties to zero";
    EXPECT_EQ(float_to_bfloat16(0x1.8p-134f), 0x0001);
    // NaN stays NaN, even one whose payload lies only in the bits that are dropped.
    EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::bit_cast<float>(0x7f800001u)))));
    EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::bit_cast<float>(0xffc00000u)))));
    // Every bfloat16 converts to a float and back to itself.
    for (uint16_t b : every_number()) ASSERT_EQ(float_to_bfloat16(bfloat16_to_float(b)), b) << b;
    // Across the floats, as the usual bit formula.
    for (uint64_t b = 0; b <= 0xffffffffu; b += 9973) {
        const float f = std::bit_cast<float>(static_cast<uint32_t>(b));
        if (std::isnan(f)) continue;
        ASSERT_EQ(float_to_bfloat16(f), reference_bfloat16(f)) << std::hex << b;
    }
}

TEST(BFloat16, DoublesAreRoundedOnce) {
    // Through float this rounds twice: to 1 + 2^-8 (a tie), then to 1.
    const double d = 1.0 + 0x1p-8 + 0x1p-40;
    EXPECT_EQ(float_to_bfloat16(static_cast<float>(d)), 0x3f80);
    EXPECT_EQ(double_to_bfloat16(d), 0x3f81);
    EXPECT_EQ(double_to_bfloat16(1e300), 0x7f80);
    EXPECT_EQ(double_to_bfloat16(1e-300), 0x0000);
    const auto f64 = FlatArray::from_values<double>({1}, std::vector<double>{d});
    EXPECT_EQ(bits_of(f64.converted_to(ElementType::BFloat16)), std::vector<uint16_t>{0x3f81});
}

TEST(BFloat16, IsAnElementTypeOfItsOwn) {
    EXPECT_EQ(element_size(ElementType::BFloat16), 2);
    EXPECT_EQ(element_type_name(ElementType::BFloat16), "BFloat16");
    EXPECT_TRUE(is_floating(ElementType::BFloat16));
    EXPECT_EQ(element_type_of<BFloat16>(), ElementType::BFloat16);
    const auto a = FlatArray::from_values<BFloat16>({2}, std::vector<BFloat16>{{0x3fc0}, {0xc000}});
    EXPECT_EQ(a.data<BFloat16>()[1], BFloat16{0xc000});
    EXPECT_THROW(a.data<uint16_t>(), InvalidArgument);
    EXPECT_EQ(a.to_doubles(), (std::vector<double>{1.5, -2.0}));
}

TEST(BFloat16, PromotesAsBFloat16sJl) {
    EXPECT_EQ(promote(ElementType::BFloat16, ElementType::Float16), ElementType::Float32);
    EXPECT_EQ(promote(ElementType::Float16, ElementType::BFloat16), ElementType::Float32);
    EXPECT_EQ(promote(ElementType::BFloat16, ElementType::Float32), ElementType::Float32);
    EXPECT_EQ(promote(ElementType::Float64, ElementType::BFloat16), ElementType::Float64);
    EXPECT_EQ(promote(ElementType::Int64, ElementType::BFloat16), ElementType::BFloat16);
    EXPECT_EQ(promote(ElementType::BFloat16, ElementType::UInt8), ElementType::BFloat16);
    EXPECT_EQ(promote(ElementType::Bool, ElementType::BFloat16), ElementType::BFloat16);
    // Existing pairs keep their rule.
    EXPECT_EQ(promote(ElementType::Float16, ElementType::Float32), ElementType::Float32);
    EXPECT_EQ(promote(ElementType::Float16, ElementType::Int16), ElementType::Float16);
}

TEST(BFloat16, ConvertsLikeJulia) {
    const FlatArray a = bf16_array({3}, {0x3fc0, 0xc000, 0x7fc0});  // 1.5, -2, NaN
    const FlatArray f = a.converted_to(ElementType::Float32);
    EXPECT_EQ(f.data<float>()[0], 1.5f);
    EXPECT_EQ(f.data<float>()[1], -2.f);
    EXPECT_TRUE(std::isnan(f.data<float>()[2]));
    EXPECT_EQ(f.converted_to(ElementType::BFloat16), a) << "Float32 and back is the identity";
    EXPECT_THROW(a.converted_to(ElementType::Int32), InvalidArgument) << "1.5 is no Int32";
    const FlatArray ints = bf16_array({2}, {0x4380, 0xc000}).converted_to(ElementType::Int64);  // 256, -2
    EXPECT_EQ(ints.data<int64_t>()[0], 256);
    EXPECT_EQ(ints.data<int64_t>()[1], -2);
    // Int64 257 has no bfloat16: Julia's convert rounds it (to even, 256).
    const auto counter = FlatArray::from_values<int64_t>({1}, std::vector<int64_t>{257});
    EXPECT_EQ(counter.converted_to(ElementType::BFloat16).to_doubles(), std::vector<double>{256});
}

TEST(BFloat16, WeightsPromoteAsJuliaOrExactly) {
    const FlatArray w = bf16_array({2}, {0x3fc0, 0xc000});
    const auto small = FlatArray::from_values<int64_t>({}, std::vector<int64_t>{7});
    const auto large = FlatArray::from_values<int64_t>({}, std::vector<int64_t>{1001});
    const auto f16 = FlatArray::from_values<Float16>({1}, std::vector<Float16>{{float_to_half(0.5f)}});

    EXPECT_EQ(Weights({w, large}).element_type, ElementType::BFloat16) << "Julia: Int64 + BFloat16";
    EXPECT_EQ(Weights({w, large})[1].to_doubles(), std::vector<double>{1000}) << "Julia rounds the counter";
    EXPECT_EQ(Weights({w, f16}).element_type, ElementType::Float32);

    const Weights exact = Weights::promoted_exactly({w, small});
    EXPECT_EQ(exact.element_type, ElementType::BFloat16);
    EXPECT_EQ(exact[0], w) << "bfloat16 arrays keep their bytes";
    EXPECT_EQ(exact[1].to_doubles(), std::vector<double>{7});
    const Weights widened = Weights::promoted_exactly({w, large});
    EXPECT_EQ(widened.element_type, ElementType::Float32);
    EXPECT_EQ(widened[0].to_doubles(), (std::vector<double>{1.5, -2.0}));
    EXPECT_EQ(widened[1].to_doubles(), std::vector<double>{1001});
    EXPECT_EQ(Weights::promoted_exactly({w, w}).element_type, ElementType::BFloat16);
    EXPECT_THROW(Weights::promoted_exactly({}), InvalidArgument);
}

TEST(BFloat16Arrow, NativeTypeIsUInt16WithTheExtensionOnTheItemField) {
    const la::DataType t = weights_type(ElementType::BFloat16);
    const la::Field& item = vec_item(t);
    EXPECT_EQ(item.type, la::uint16());
    EXPECT_EQ(item.name, "");
    EXPECT_FALSE(item.nullable);
    EXPECT_EQ(item.metadata, (la::KeyValueMetadata{{"ARROW:extension:name", "legolasflux.bfloat16"},
                                                   {"ARROW:extension:metadata", ""}}));
    EXPECT_TRUE(vec_item(weights_type(ElementType::UInt16)).metadata.empty()) << "plain UInt16 stays plain";
    EXPECT_EQ(arrow_type(ElementType::BFloat16), la::uint16());
}

TEST(BFloat16Arrow, ColumnsAreWidenedByDefaultAndNativeWhenAsked) {
    const Weights w = bf16_weights(5, 2);
    const Weights* rows[] = {&w};
    const la::ArrayPtr widened = weights_to_arrow(rows);
    EXPECT_EQ(vec_item(widened->type).type, la::float32());
    EXPECT_TRUE(vec_item(widened->type).metadata.empty());
    const auto back32 = weights_from_arrow(weights_field("weights", ElementType::Float32, false), *widened, 0);
    ASSERT_TRUE(back32);
    EXPECT_EQ(back32->element_type, ElementType::Float32);
    EXPECT_EQ((*back32)[1], w[1].converted_to(ElementType::Float32));

    const la::ArrayPtr native = weights_to_arrow(rows, BFloat16Storage::Native);
    EXPECT_EQ(native->type, weights_type(ElementType::BFloat16));
    const auto back = weights_from_arrow(weights_field("weights", ElementType::BFloat16, false), *native, 0);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, w);
}

TEST(BFloat16Arrow, TheExtensionOnAnotherTypeIsAFormatError) {
    const Weights w = bf16_weights(3, 1);
    const Weights* rows[] = {&w};
    const la::ArrayPtr native = weights_to_arrow(rows, BFloat16Storage::Native);
    la::DataType bad = native->type;
    la::Field& item = bad.children[0].type.children[0].type.children[0].type.children[0];
    item.type = la::int16();
    auto column = std::make_shared<la::Array>(*native);
    column->type = bad;
    const la::Field field = la::field("weights", bad, false);
    try {
        (void)weights_from_arrow(field, *column, 0);
        FAIL() << "a signed item marked bfloat16 was read";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("legolasflux.bfloat16"), std::string::npos) << e.what();
    }
}

TEST(BFloat16Model, NativeRowRoundTripsBitExactWithItsMetadataAndChecksums) {
    const auto path = temp_path("native.arrow");
    const auto numbers = static_cast<int64_t>(every_number().size());  // 65536 less 254 NaNs
    std::vector<FlatArray> arrays{bf16_array({2, numbers / 2}, every_number()),
                                  bf16_array({3}, {0x7fc0, 0xff81, 0x0001})};
    const Weights w(ElementType::BFloat16, std::move(arrays));  // NaNs, subnormals, infinities
    ModelWriteOptions options;
    options.bfloat16 = BFloat16Storage::Native;
    options.weight_names = {"a", "b"};
    write_model_row(path, ModelV1{w, 3}, options);

    const ModelRow row = read_model_row(path);  // verifies the checksums (and the metadata's)
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, ElementType::BFloat16);
    EXPECT_EQ(*row.weights, w);
    EXPECT_EQ(bits_of((*row.weights)[0]), every_number());
    const ModelV1 typed = read_model_row<ModelV1>(path);
    EXPECT_EQ(*typed.weights, w);

    // The IPC writer and reader keep a child field's metadata: the file says bfloat16 itself.
    const la::Table table = la::read_file(path);
    const la::Field& item = vec_item(table.schema->fields[0].type);
    EXPECT_EQ(item.type, la::uint16());
    EXPECT_EQ(item.extension_name(), kBFloat16Extension);
    std::filesystem::remove(path);
}

TEST(BFloat16Model, TheChecksumsCoverNativeValues) {
    const auto path = temp_path("corrupt.arrow");
    const Weights w(ElementType::BFloat16, {bf16_array({4}, {0x1111, 0x2222, 0x3333, 0x4444})});
    ModelWriteOptions options;
    options.bfloat16 = BFloat16Storage::Native;
    write_model_row(path, ModelV1{w, std::nullopt}, options);
    std::vector<char> bytes(std::filesystem::file_size(path));
    {
        FILE* f = std::fopen(path.c_str(), "rb");
        ASSERT_TRUE(f);
        ASSERT_EQ(std::fread(bytes.data(), 1, bytes.size(), f), bytes.size());
        std::fclose(f);
    }
    const char needle[] = {0x33, 0x33, 0x44, 0x44};
    auto at = std::search(bytes.begin(), bytes.end(), std::begin(needle), std::end(needle));
    ASSERT_NE(at, bytes.end());
    at[1] = 0x34;  // 0x3333 becomes 0x3433: a different bfloat16, a valid file still
    {
        FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_TRUE(f);
        ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
        std::fclose(f);
    }
    EXPECT_THROW(read_model_row(path), CorruptionError);
    ModelReadOptions unchecked;
    unchecked.verify_checksums = false;
    unchecked.verify_metadata = false;
    const ModelRow row = read_model_row(path, unchecked);
    EXPECT_EQ(bits_of((*row.weights)[0])[2], 0x3433);
    std::filesystem::remove(path);
}

TEST(BFloat16Model, DefaultWritesFloat32ThatHoldsTheSameNumbers) {
    const auto path = temp_path("widened.arrow");
    const Weights w = bf16_weights(100, 3);
    write_model_row(path, ModelV1{w, 1});
    const ModelRow row = read_model_row(path);
    ASSERT_TRUE(row.weights);
    EXPECT_EQ(row.weights->element_type, ElementType::Float32);
    for (size_t i = 0; i < w.size(); ++i) {
        EXPECT_EQ((*row.weights)[i].to_doubles(), w[i].to_doubles()) << i;
        EXPECT_EQ((*row.weights)[i].converted_to(ElementType::BFloat16), w[i]) << i;
    }
    EXPECT_TRUE(vec_item(la::read_file(path).schema->fields[0].type).metadata.empty());
    std::filesystem::remove(path);
}

TEST(BFloat16Model, NativeFileIsHalfTheFloat32File) {
    const auto native_path = temp_path("large_native.arrow");
    const auto float_path = temp_path("large_float32.arrow");
    const Weights w = bf16_weights(1 << 18, 4);  // 1 Mi values
    ModelWriteOptions native;
    native.bfloat16 = BFloat16Storage::Native;
    write_model_row(native_path, ModelV1{w, 1}, native);
    write_model_row(float_path, ModelV1{w, 1});
    const auto native_size = std::filesystem::file_size(native_path);
    const auto float_size = std::filesystem::file_size(float_path);
    std::printf("1 Mi bfloat16 values: native %ju bytes, float32 %ju bytes\n", static_cast<uintmax_t>(native_size),
                static_cast<uintmax_t>(float_size));
    EXPECT_GE(native_size, 2u << 20);
    EXPECT_LT(native_size, (2u << 20) + 4096) << "2 bytes a value, and little else";
    EXPECT_GE(float_size, 4u << 20);
    EXPECT_NEAR(static_cast<double>(native_size) / static_cast<double>(float_size), 0.5, 0.001);
    EXPECT_EQ(*read_model_row(native_path).weights, w);
    std::filesystem::remove(native_path);
    std::filesystem::remove(float_path);
}

TEST(BFloat16Model, UntypedRowsAreWidenedUnlessAskedNotTo) {
    const auto path = temp_path("untyped.arrow");
    const auto again = temp_path("untyped_again.arrow");
    const Weights w = bf16_weights(10, 2);
    ModelWriteOptions native;
    native.bfloat16 = BFloat16Storage::Native;
    native.weight_names = {"x", "y"};
    write_model_row(path, ModelV1{w, 2}, native);
    const ModelRow row = read_model_row(path);

    write_model_row(again, row, {.bfloat16 = BFloat16Storage::Native});
    const ModelRow kept = read_model_row(again);
    EXPECT_EQ(*kept.weights, w);
    EXPECT_EQ(kept.weight_names, row.weight_names);

    write_model_row(again, row);
    const ModelRow widened = read_model_row(again);
    EXPECT_EQ(widened.weights->element_type, ElementType::Float32);
    EXPECT_EQ((*widened.weights)[1].converted_to(ElementType::BFloat16), w[1]);
    EXPECT_EQ(widened.architecture_version, 2);
    EXPECT_EQ(widened.weight_names, row.weight_names);
    EXPECT_EQ(widened.table.schema->fields.size(), row.table.schema->fields.size());
    std::filesystem::remove(path);
    std::filesystem::remove(again);
}
