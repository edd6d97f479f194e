// A model row past 2^31 - 1 values (ctest label "large"; run on its own with
// `ctest --test-dir build -L large`). It needs about 5 GB of memory and 2.2 GB of disk, so the
// sanitizer build leaves it out.
//
// The weights are UInt8 so that 2^31 + 4096 values make a file of 2.1 GB rather than 8.6 GB: the
// point is the count of values, which overflows Arrow's 32-bit list offsets whatever the type.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/model.hpp"

namespace {

namespace fs = std::filesystem;
using namespace legolasflux;

constexpr int64_t kBig = (int64_t{1} << 31) + 4096;  // more values than int32 offsets can address

FlatArray pattern_array(std::vector<int64_t> size, int64_t count, uint8_t seed) {
    arrow::Buffer values = arrow::Buffer::allocate(count);
    uint8_t* out = values.mutable_data();
    for (int64_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>((i * 131 + seed) % 251);
    return FlatArray(ElementType::UInt8, std::move(size), values);
}

fs::path work_dir() {
    const fs::path dir = fs::path(LEGOLASFLUX_BINARY_DIR) / "large_tests";
    fs::create_directories(dir);
    return dir;
}

TEST(LargeRow, MoreThanInt32MaxValuesRoundTripThroughLargeList) {
    const fs::path path = work_dir() / "large_row.arrow";
    {
        // Two arrays (so the writer has to put several arrays into one values buffer), the big one
        // alone past the 32-bit limit.
        Weights w(ElementType::UInt8, {pattern_array({1024, kBig / 1024}, kBig, 7), pattern_array({3, 5}, 15, 1)});
        ModelWriteOptions options;
        options.ipc.durable = false;  // the point is the format, not the disk
        options.weight_names = {"big", "small"};
        write_model_row(path, ModelV1{w, 3}, options);
    }
    EXPECT_GT(static_cast<int64_t>(fs::file_size(path)), kBig);

    // The schema says LargeList for vec, as Arrow.jl writes it past 2^31 - 1 values.
    const arrow::Table table = arrow::read_file(path);  // fully validated, offsets included
    const arrow::DataType& vec =
        table.schema->fields.at(0).type.children.at(0).type.children.at(0).type.children.at(0).type;
    EXPECT_EQ(vec.id, arrow::TypeId::LargeList) << arrow::to_string(vec);

    const ModelRow row = read_model_row(path);  // verifies the checksums: every value is read
    ASSERT_TRUE(row.weights.has_value());
    ASSERT_EQ(row.weights->size(), 2u);
    EXPECT_EQ(row.architecture_version, 3);
    EXPECT_EQ(row.weight_names, (std::vector<std::string>{"big", "small"}));
    const FlatArray& big = (*row.weights)[0];
    EXPECT_EQ(big.size, (std::vector<int64_t>{1024, kBig / 1024}));
    ASSERT_EQ(big.element_count(), kBig);
    const uint8_t* v = big.values.data();
    int64_t wrong = 0;
    for (int64_t i = 0; i < kBig; ++i) wrong += v[i] != static_cast<uint8_t>((i * 131 + 7) % 251);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ((*row.weights)[1], pattern_array({3, 5}, 15, 1));

#if defined(LEGOLASFLUX_NODE) && defined(LEGOLASFLUX_LARGE_JS)
    // An independent reader: apache-arrow JS reads the same file and reports what it sees.
    const std::string command = std::string(LEGOLASFLUX_NODE) + " " + LEGOLASFLUX_LARGE_JS + " " + path.string();
    std::FILE* p = ::popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char chunk[256];
    while (std::fgets(chunk, sizeof chunk, p)) out += chunk;
    const int status = ::pclose(p);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("ok"), std::string::npos) << out;
    std::printf("apache-arrow JS: %s", out.c_str());
#endif
    fs::remove(path);
}

}  // namespace
