// Reading file paths: mapped (the default) or read, and what each keeps alive.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace {

namespace fs = std::filesystem;
using namespace legolasflux;
using namespace legolasflux::arrow;

fs::path temp_dir() {
    const fs::path dir = fs::temp_directory_path() / ("lf_file_read_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

Table float_table(int64_t n) {
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f;
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("x", float32(), false)};
    RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {make_primitive(float32(), values)};
    return Table{schema, {batch}};
}

bool inside(const Buffer& outer, const uint8_t* p) { return p >= outer.data() && p < outer.data() + outer.size(); }

TEST(FileRead, MappedAndReadFilesGiveTheSameBytesAndTables) {
    const fs::path path = temp_dir() / "same.arrow";
    const Table t = float_table(1000);
    write_file(path, t);
    const Buffer mapped = read_whole_file(path, FileAccess::Map);
    const Buffer read = read_whole_file(path, FileAccess::Read);
    EXPECT_TRUE(same_bytes(mapped, read));
    EXPECT_EQ(mapped.size(), static_cast<int64_t>(fs::file_size(path)));
    ReadOptions by_read;
    by_read.file_access = FileAccess::Read;
    EXPECT_TRUE(table_equals(read_file(path), read_file(path, by_read)));
    EXPECT_TRUE(table_equals(read_file(path), t));
}

TEST(FileRead, ArraysOfAMappedFileAreViewsThatOutliveTheFileName) {
    const fs::path path = temp_dir() / "views.arrow";
    write_file(path, float_table(1 << 16));
    const Buffer bytes = read_whole_file(path);
    const Table t = read_file(bytes);
    const Buffer& values = t.batches.at(0).columns.at(0)->buffers.at(1);
    EXPECT_TRUE(inside(bytes, values.data())) << "an uncompressed, aligned buffer is not copied";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(values.data()) % 64, 0u) << "buffers sit at 64-byte file offsets";

    // Our writers replace files by rename: the mapping keeps the old content, as does removal.
    const Table by_path = read_file(path);
    write_file(path, float_table(10));
    fs::remove(path);
    EXPECT_TRUE(table_equals(by_path, float_table(1 << 16)));
}

TEST(FileRead, CompressedFilesAreDecompressedIntoMemoryOfTheirOwn) {
    const fs::path path = temp_dir() / "zstd.arrow";
    WriteOptions o;
    o.compression = Compression::Zstd;
    write_file(path, float_table(1 << 14), o);
    const Buffer bytes = read_whole_file(path);
    const Table t = read_file(bytes);
    EXPECT_FALSE(inside(bytes, t.batches.at(0).columns.at(0)->buffers.at(1).data()));
    EXPECT_TRUE(table_equals(t, float_table(1 << 14)));
}

TEST(FileRead, PipesAreReadAndErrorsNameThePath) {
    const fs::path dir = temp_dir();
    const fs::path fifo = dir / "pipe.arrow";
    fs::remove(fifo);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::vector<uint8_t> bytes = write_file(float_table(5000));
    std::thread writer([&] {
        std::ofstream out(fifo, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    });
    const Table t = read_file(fifo);
    writer.join();
    EXPECT_TRUE(table_equals(t, float_table(5000)));

    try {
        (void)read_whole_file(dir / "missing.arrow");
        ADD_FAILURE() << "no error for a missing file";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("missing.arrow"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)read_whole_file(dir), IoError);

    const fs::path empty = dir / "empty.arrow";
    std::ofstream(empty).close();
    EXPECT_EQ(read_whole_file(empty).size(), 0);
    EXPECT_THROW((void)read_file(empty), FormatError);
}

}  // namespace
