// Every truncation of Julia's file (every length 0 … size-1), through every reader: each must end
// in a valid table or a legolasflux::Error. Each prefix is copied into a heap block of exactly its
// length, so under AddressSanitizer a single byte read past the end is reported.
#include <gtest/gtest.h>

#include <sstream>

#include "support/fuzz.hpp"

namespace {

using namespace legolasflux::arrow;
using lftest::Outcome;

struct Counts {
    int64_t tables = 0, errors = 0, failures = 0;
    void add(Outcome o) { (o == Outcome::Table ? tables : o == Outcome::Error ? errors : failures)++; }
};

TEST(Truncation, JuliaFileEveryPrefix) {
    lftest::install_crash_reporter();
    const lftest::Bytes file = lftest::load_bytes(lftest::julia_fixture_path());
    ASSERT_EQ(file.size(), 33578u);
    Counts by_file, by_any, by_stream;
    for (size_t n = 0; n < file.size(); ++n) {
        const Buffer prefix = lftest::exact_buffer(file.data(), n);
        const std::string tag = "Julia file truncated to " + std::to_string(n) + " bytes";
        by_file.add(lftest::check_read(tag + ", read_file", [&] { return read_file(prefix); }));
        by_any.add(lftest::check_read(tag + ", read_any", [&] { return read_any(prefix); }));
        by_stream.add(lftest::check_read(tag + ", read_stream", [&] { return read_stream(prefix); }));
        if (by_file.failures + by_any.failures + by_stream.failures > 20) FAIL() << "too many failures, stopping";
    }
    // A file without its trailing magic is never a valid file; these bytes never start a stream.
    EXPECT_EQ(by_file.tables, 0);
    EXPECT_EQ(by_any.tables, 0);
    EXPECT_EQ(by_stream.tables, 0);
    EXPECT_EQ(by_file.errors, static_cast<int64_t>(file.size()));
}

TEST(Truncation, JuliaStreamEveryPrefix) {
    lftest::install_crash_reporter();
    const lftest::Bytes stream = lftest::file_to_stream(lftest::load_bytes(lftest::julia_fixture_path()));
    ASSERT_EQ(stream.size(), 32384u);
    Counts by_stream, by_any, by_istream;
    std::vector<size_t> table_lengths;
    for (size_t n = 0; n < stream.size(); ++n) {
        const Buffer prefix = lftest::exact_buffer(stream.data(), n);
        const std::string tag = "Julia stream truncated to " + std::to_string(n) + " bytes";
        const Outcome o = lftest::check_read(tag + ", read_stream", [&] { return read_stream(prefix); });
        by_stream.add(o);
        if (o == Outcome::Table) table_lengths.push_back(n);
        by_any.add(lftest::check_read(tag + ", read_any", [&] { return read_any(prefix); }));
        by_istream.add(lftest::check_read(tag + ", read_stream(istream)", [&] {
            std::istringstream in(std::string(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n)));
            return read_stream(in);
        }));
        if (by_stream.failures + by_any.failures + by_istream.failures > 20) FAIL() << "too many failures, stopping";
    }
    // Only prefixes that end on a message boundary can be whole streams (without the EOS marker):
    // 0 bytes is not one (no schema); after the schema message (1152 bytes) and after the batch
    // (32376 bytes) a reader may accept the stream as ended. Nothing else may read as a table.
    for (size_t n : table_lengths) EXPECT_TRUE(n == 1152 || n == 32376) << "a " << n << "-byte prefix read as a table";
    EXPECT_EQ(by_stream.tables, by_any.tables);
    EXPECT_EQ(by_stream.tables, by_istream.tables);
    RecordProperty("stream_prefixes_read_as_tables", static_cast<int>(by_stream.tables));
}

}  // namespace
