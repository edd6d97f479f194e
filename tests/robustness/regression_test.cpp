// Minimal reproductions of problems the truncation and corruption runs found, one test each.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "legolasflux/arrow/pretty_print.hpp"
#include "support/fuzz.hpp"

namespace {

using namespace legolasflux::arrow;
using lftest::Bytes;

int64_t peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;  // KiB on Linux
}

// Julia's table written compressed, with the uncompressed-length prefix of the first non-empty
// buffer (the int32 offsets of weights.weights, really 8 bytes) replaced by `claimed`.
Bytes with_lying_length(Compression codec, int64_t claimed) {
    const Table t = read_file(lftest::julia_fixture_path());
    WriteOptions o;
    o.alignment = 8;
    o.compression = codec;
    Bytes bytes = write_file(t, o);
    const lftest::FileWalk w = lftest::walk_file(bytes);
    const auto& batch = w.messages.at(1);
    for (const auto& b : batch.message.batch.buffers)
        if (b.length >= 8) {
            lftest::store_le<int64_t>(bytes, batch.body_offset + static_cast<uint64_t>(b.offset), claimed);
            return bytes;
        }
    throw std::runtime_error("no compressed buffer found");
}

// Runs in a child process (a death test), so that the peak RSS it measures is this read's alone.
[[noreturn]] void read_in_child(const Bytes& bytes) {
    const int64_t before = peak_rss_kib();
    int code = 0;
    const char* outcome = "legolasflux::Error";
    try {
        (void)read_any(lftest::exact_buffer(bytes));
        code = 2;
        outcome = "a table";
    } catch (const legolasflux::Error&) {
    } catch (const std::exception& e) {
        code = 3;
        outcome = typeid(e).name();
    }
    const int64_t grown_mib = (peak_rss_kib() - before) / 1024;
    if (code == 0 && grown_mib > 512) code = 4;
    std::fprintf(stderr, "outcome: %s; peak RSS grew by %lld MiB\n", outcome, static_cast<long long>(grown_mib));
    std::fflush(stderr);
    std::_Exit(code);
}

// Found by Corruption.CorpusFiles (corpus/many_batches.json:file:lz4#9): a 3.5 KB file whose
// compressed buffer claims 12 GB made the reader allocate and zero-fill 12 GB before the LZ4 frame
// said it was corrupt (28 s, 12 GB peak RSS); where the allocation fails, std::bad_alloc escapes.
// A buffer's claim must be checked against what its frame can hold before memory is committed.
TEST(Regression, LyingCompressedLengthLz4) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const Bytes bytes = with_lying_length(Compression::Lz4Frame, int64_t{2} << 30);
    EXPECT_EXIT(read_in_child(bytes), ::testing::ExitedWithCode(0), "outcome: legolasflux::Error");
}

TEST(Regression, LyingCompressedLengthZstd) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const Bytes bytes = with_lying_length(Compression::Zstd, int64_t{2} << 30);
    EXPECT_EXIT(read_in_child(bytes), ::testing::ExitedWithCode(0), "outcome: legolasflux::Error");
}

// Points the vector field `slot` of `table` (a table inside the flatbuffer that starts at file
// offset `base`) at the first later position that is 8-aligned (so the vector's elements are 4
// bytes off their 8-byte alignment) and whose uint32 there, read as the element count, keeps the
// vector inside the flatbuffer. The FlatBuffers 2.0.8 verifier checks the alignment of a vector's
// length but not that of its struct elements, so such a vector passes verification.
void misalign_vector(Bytes& bytes, uint64_t base, const lftest::FbTable& table, int slot, uint64_t elem_size) {
    const auto fb = table.buffer();
    const uint64_t field = *table.field(slot);
    for (uint64_t v = (field + 8) & ~uint64_t{7}; v + 4 <= fb.size(); v += 8) {
        const uint32_t count = lftest::load_le<uint32_t>(fb, v);
        if (count >= 1 && v + 4 + count * elem_size <= fb.size()) {
            lftest::store_le<uint32_t>(bytes, base + field, static_cast<uint32_t>(v - field));
            return;
        }
    }
    throw std::runtime_error("no place to misalign the vector");
}

// Julia's file with a struct vector of the record batch (slot 1: nodes, slot 2: buffers) misaligned.
Bytes with_misaligned_batch_vector(int slot) {
    Bytes bytes = lftest::load_bytes(lftest::julia_fixture_path());
    const lftest::FileWalk w = lftest::walk_file(bytes);
    const auto& m = w.messages.at(1);
    const uint64_t meta = m.marker_offset + 8;
    const std::span<const uint8_t> metadata(bytes.data() + meta, static_cast<size_t>(m.metadata_length));
    misalign_vector(bytes, meta, *lftest::FbTable::root(metadata).table(2), slot, 16);
    return bytes;
}

// Julia's file with the footer's recordBatches Block vector misaligned.
Bytes with_misaligned_footer_blocks() {
    Bytes bytes = lftest::load_bytes(lftest::julia_fixture_path());
    const lftest::FileWalk w = lftest::walk_file(bytes);
    const std::span<const uint8_t> footer(bytes.data() + w.footer_offset, static_cast<size_t>(w.footer_length));
    misalign_vector(bytes, w.footer_offset, lftest::FbTable::root(footer), 3, 24);
    return bytes;
}

// Found by Corruption.CorpusFiles in the ASan+UBSan build (corpus/decimal.json:stream:lz4#33):
// ipc_read_batch.cpp:66 binds a `const fbs::FieldNode&` to a 4-byte aligned address ("reference
// binding to misaligned address … requires 8 byte alignment"). Same for the Buffer structs.
TEST(Regression, MisalignedFieldNodeVector) {
    const Bytes bytes = with_misaligned_batch_vector(1);
    lftest::install_crash_reporter();
    EXPECT_NE(lftest::check_read("Julia file, nodes vector misaligned",
                                 [&] { return read_any(lftest::exact_buffer(bytes)); }),
              lftest::Outcome::Failure);
}

TEST(Regression, MisalignedBufferVector) {
    const Bytes bytes = with_misaligned_batch_vector(2);
    lftest::install_crash_reporter();
    EXPECT_NE(lftest::check_read("Julia file, buffers vector misaligned",
                                 [&] { return read_any(lftest::exact_buffer(bytes)); }),
              lftest::Outcome::Failure);
}

// Found by Corruption.CorpusFiles in the ASan+UBSan build (corpus/fixed_size_binary.json:file:zstd#8,
// once the two above were patched out locally): ipc_reader.cpp:241 binds a `const fbs::Block&` to
// a 4-byte aligned address.
TEST(Regression, MisalignedFooterBlockVector) {
    const Bytes bytes = with_misaligned_footer_blocks();
    lftest::install_crash_reporter();
    EXPECT_NE(lftest::check_read("Julia file, footer blocks misaligned",
                                 [&] { return read_file(lftest::exact_buffer(bytes)); }),
              lftest::Outcome::Failure);
}

// Found by Corruption.CorpusFiles (corpus/lists.json:stream:none#64 [remove 29 bytes at 1623]): a
// second record batch of length 0 whose list offsets buffer holds the single value -16777216.
// validate() accepts it (nothing addresses the offsets of an empty array), but write_json slices
// the child at offs.front() and reads its offsets at index -16777216 (SEGV in
// json_write.cpp raw_offsets). Zero-length arrays must not trust their one offset.
Table empty_list_with_wild_offset(TypeId child_type) {
    auto child = std::make_shared<Array>();
    child->type = child_type == TypeId::Utf8 ? utf8() : int32();
    child->buffers = {Buffer(), Buffer()};
    // As in the file found: the empty utf8 child keeps its one offset, 0.
    if (child_type == TypeId::Utf8) child->buffers = {Buffer(), Buffer::copy_of(std::vector<int32_t>{0}), Buffer()};
    auto list = std::make_shared<Array>();
    list->type = legolasflux::arrow::list(field("item", child->type));
    list->buffers = {Buffer(), Buffer::copy_of(std::vector<int32_t>{-16777216})};
    list->children = {child};
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("l", list->type)};
    Table t;
    t.schema = schema;
    t.batches.push_back(RecordBatch{schema, 0, {list}});
    return t;
}

TEST(Regression, EmptyListWithWildOffsetToJson) {
    lftest::install_crash_reporter();
    for (TypeId id : {TypeId::Int, TypeId::Utf8}) {
        const Table t = empty_list_with_wild_offset(id);
        ASSERT_NO_THROW(validate(t, ValidationLevel::Full));
        lftest::set_current_case("write_json of an empty list with offset -16777216");
        EXPECT_FALSE(write_json(t).empty());
    }
}

TEST(Regression, EmptyListWithWildOffsetRewritten) {
    lftest::install_crash_reporter();
    for (TypeId id : {TypeId::Int, TypeId::Utf8}) {
        const Table t = empty_list_with_wild_offset(id);
        lftest::set_current_case("write_file + read_any of an empty list with offset -16777216");
        const Table back = read_any(lftest::exact_buffer(write_file(t)));
        EXPECT_TRUE(table_equals(back, t));
    }
}

// Found by fuzz_json (libFuzzer): a JSON number beyond a double's range ("96E672076616" in a
// column's VALIDITY) made nlohmann's parser throw json::out_of_range, which escaped read_json as
// a foreign exception. Every failure of the JSON parser must be a FormatError.
TEST(Regression, JsonNumberBeyondDouble) {
    for (const char* text :
         {"1E400", "[-1e999]", R"({"schema": {"fields": []}, "batches": [{"count": 96E672076616, "columns": []}]})"}) {
        try {
            (void)read_json(text);
            ADD_FAILURE() << text << ": read without an error";
        } catch (const legolasflux::FormatError& e) {
            EXPECT_NE(std::string(e.what()).find("number overflow"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << text << ": threw " << typeid(e).name() << " (not a FormatError): " << e.what();
        }
    }
}

// A one-column, one-row table of `type` whose values buffer holds `value_bytes`.
Table one_value_table(const DataType& type, const std::vector<uint8_t>& value_bytes) {
    auto array = std::make_shared<Array>();
    array->type = type;
    array->length = 1;
    array->buffers = {Buffer(), Buffer::copy_of(value_bytes)};
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("v", type)};
    Table t;
    t.schema = schema;
    t.batches.push_back(RecordBatch{schema, 1, {array}});
    return t;
}

// Found by fuzz_ipc_file (libFuzzer): pretty_print of a nanosecond timestamp below
// -106751 days computed days * nanoseconds-per-day = -106752 * 86400e9, below INT64_MIN (UBSan:
// signed integer overflow at pretty_print.cpp timestamp_text); unsanitized, the time of day was
// garbage.
TEST(Regression, PrettyPrintEarliestTimestamp) {
    std::vector<uint8_t> bytes(8);
    const int64_t earliest = INT64_MIN;
    std::memcpy(bytes.data(), &earliest, 8);
    const Table t = one_value_table(timestamp(TimeUnit::Nanosecond), bytes);
    ASSERT_NO_THROW(validate(t, ValidationLevel::Full));
    const std::string text = pretty_print(t);
    EXPECT_NE(text.find("1677-09-21T00:12:43.145224192"), std::string::npos) << text;
}

// Found by fuzz_ipc_stream (libFuzzer, out of memory): pretty_print of a decimal whose scale the
// file set to about -2^31 appended that many zeros (2 GB). Far-out scales print as an exponent.
TEST(Regression, PrettyPrintDecimalWithHugeScale) {
    std::vector<uint8_t> five(16, 0);
    five[0] = 5;
    for (const auto& [scale, expected] :
         {std::pair{INT32_MIN, "5E2147483648"}, std::pair{INT32_MAX, "5E-2147483647"}}) {
        const Table t = one_value_table(decimal(128, 38, scale), five);
        const std::string text = pretty_print(t);
        EXPECT_LT(text.size(), 1000u);
        EXPECT_NE(text.find(expected), std::string::npos) << text;
    }
}

}  // namespace
