// The IPC readers on damaged and hostile input: each case must end in the right exception type
// with a message that says what is wrong, never in a crash or a wrong table.
#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>

#include "arrow/ipc/ipc_test_support.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "support/ipc_walk.hpp"

namespace {

using namespace legolasflux::arrow;
using ipctest::BatchSpec;
using ipctest::Bytes;
using ipctest::Pair;
using legolasflux::FormatError;
using legolasflux::UnsupportedError;

Buffer to_buffer(const Bytes& bytes) { return Buffer::copy_of(bytes.data(), static_cast<int64_t>(bytes.size())); }

// Runs `f`, expecting exception E whose message contains every one of `parts`.
template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
    try {
        f();
        ADD_FAILURE() << "no exception";
    } catch (const E& e) {
        const std::string what = e.what();
        for (const std::string& p : parts)
            EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
    }
}

Table int_table(std::vector<int64_t> values) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("i", int64())};
    Table t;
    t.schema = schema;
    auto column = make_primitive(int64(), values);
    t.batches.push_back(RecordBatch{schema, column->length, {column}});
    return t;
}

Bytes i64_bytes(int64_t v) {
    Bytes b;
    ipctest::append_value(b, v);
    return b;
}

Schema one_field(Field f) {
    Schema s;
    s.fields = {std::move(f)};
    return s;
}

TEST(IpcErrors, BadMagic) {
    Bytes file = write_file(int_table({1, 2}));
    Bytes front = file;
    front[0] = 'X';
    // Without the leading magic read_any takes it for a stream, which then fails too.
    expect_error<FormatError>([&] { read_file(to_buffer(front)); }, {"not an Arrow file or stream"});
    EXPECT_THROW(read_any(to_buffer(front)), FormatError);
    Bytes back = file;
    back[back.size() - 1] = 'X';
    expect_error<FormatError>([&] { read_file(to_buffer(back)); },
                              {"truncated or damaged Arrow file", "the closing ARROW1 magic"});
}

// Another kind of file is said to be one, by every reader, rather than read as a damaged stream
// whose "metadata length" is four bytes of text.
TEST(IpcErrors, AnotherKindOfFileIsNotAnArrowFileOrStream) {
    const std::string text = "hello, this is a text file renamed .arrow\n";
    const Bytes zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0x55, 0x66, 0x77, 0x12, 0, 0, 0, 0, 0, 0, 0, 0};
    const Bytes json = {'{', '"', 'a', '"', ':', ' ', '1', '}'};
    for (const Bytes& b : {Bytes(text.begin(), text.end()), zip, json, Bytes{1, 2}}) {
        for (const auto& read :
             {+[](const Buffer& x) { return read_any(x); }, +[](const Buffer& x) { return read_file(x); },
              +[](const Buffer& x) { return read_stream(x); }}) {
            try {
                read(to_buffer(b));
                ADD_FAILURE() << "read";
            } catch (const FormatError& e) {
                EXPECT_STREQ(e.what(), "not an Arrow file or stream");
            }
        }
        std::istringstream in(std::string(b.begin(), b.end()));
        expect_error<FormatError>([&] { read_stream(in); }, {"not an Arrow file or stream"});
    }
    expect_error<FormatError>([&] { read_any(to_buffer({})); }, {"not an Arrow file or stream: the input is empty"});
    // A stream read as a file is named for what it is.
    const Bytes stream = lftest::file_to_stream(write_file(int_table({1, 2})));
    expect_error<FormatError>([&] { read_file(to_buffer(stream)); }, {"an Arrow stream, not an Arrow file"});
}

// A cut file says where its messages stop and that the footer is missing, in the same words
// whether it is read as a file or as whatever it looks like.
TEST(IpcErrors, ATruncatedFileSaysWhatIsMissing) {
    const Bytes file = write_file(int_table({1, 2, 3}));
    for (size_t n = 6; n + 1 < file.size(); ++n) {
        const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
        std::string by_file, by_any;
        try {
            read_file(to_buffer(cut));
        } catch (const FormatError& e) {
            by_file = e.what();
        }
        try {
            read_any(to_buffer(cut));
        } catch (const FormatError& e) {
            by_any = e.what();
        }
        EXPECT_EQ(by_file, by_any) << n;
        EXPECT_NE(by_file.find("truncated or damaged Arrow file: the file is " + std::to_string(n) + " bytes long"),
                  std::string::npos)
            << by_file;
        EXPECT_NE(by_file.find("the footer and the closing ARROW1 magic are missing"), std::string::npos) << by_file;
    }
    // Cut inside the record batch's body: where it stops is named.
    const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(file.size() / 2));
    expect_error<FormatError>([&] { read_file(to_buffer(cut)); }, {"it ends inside the message at offset "});
}

// A stream cut short says it is truncated, and where, whether read from memory or an istream.
TEST(IpcErrors, ATruncatedStreamSaysSoInTheSameWords) {
    const Bytes stream = lftest::file_to_stream(write_file(int_table({1, 2, 3})));
    for (size_t n = 1; n + 8 < stream.size(); ++n) {
        const Bytes cut(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n));
        std::string from_memory, from_istream;
        try {
            read_stream(to_buffer(cut));
        } catch (const FormatError& e) {
            from_memory = e.what();
        }
        std::istringstream in(std::string(cut.begin(), cut.end()));
        try {
            read_stream(in);
        } catch (const FormatError& e) {
            from_istream = e.what();
        }
        EXPECT_EQ(from_memory, from_istream) << n;
        // (Cut between messages, the stream is whole without its end marker: no error.)
        if (!from_memory.empty())
            EXPECT_NE(from_memory.find("truncated: the input ends inside "), std::string::npos)
                << n << ": " << from_memory;
    }
}

TEST(IpcErrors, EveryTruncationIsAFormatError) {
    const Bytes file = write_file(int_table({1, 2, 3}));
    for (size_t n = 0; n < file.size(); ++n) {
        const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_THROW(read_file(to_buffer(cut)), FormatError) << n;
    }
    // A stream cut inside a message is an error; cut between messages it is a shorter stream.
    const Bytes stream = write_stream(int_table({1, 2, 3}));
    const lftest::StreamWalk w = lftest::walk_stream(stream);
    for (size_t n = 0; n < stream.size(); ++n) {
        const Bytes cut(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n));
        const bool boundary = n == w.messages[1].marker_offset || n + 8 == stream.size();
        if (boundary) {
            EXPECT_NO_THROW(read_stream(to_buffer(cut))) << n;
        } else {
            EXPECT_THROW(read_stream(to_buffer(cut)), FormatError) << n;
            std::istringstream in(std::string(cut.begin(), cut.end()));
            EXPECT_THROW(read_stream(in), FormatError) << n;
        }
    }
}

TEST(IpcErrors, FooterLengthAndBlocksOutsideTheFile) {
    const Bytes file = write_file(int_table({1, 2, 3}));
    Bytes huge = file;
    lftest::store_le<int32_t>(huge, huge.size() - 10, 1 << 30);
    expect_error<FormatError>([&] { read_file(to_buffer(huge)); }, {"footer length"});

    const lftest::FileWalk w = lftest::walk_file(file);
    const auto& block = w.footer.record_batches.at(0);
    // Find the Block struct in the footer: int64 offset, int32 metaDataLength, 4 zero bytes, int64 bodyLength.
    Bytes pattern = i64_bytes(block.offset);
    ipctest::append_value<int32_t>(pattern, block.metadata_length);
    ipctest::append_value<int32_t>(pattern, 0);
    ipctest::append(pattern, i64_bytes(block.body_length));
    const size_t at = ipctest::find(file, pattern, w.footer_offset);
    ASSERT_NE(at, std::string::npos);

    Bytes outside = file;
    lftest::store_le<int64_t>(outside, at, static_cast<int64_t>(file.size()) + 100);
    expect_error<FormatError>([&] { read_file(to_buffer(outside)); }, {"lies outside"});
    Bytes body_lie = file;
    lftest::store_le<int64_t>(body_lie, at + 16, block.body_length - 8);
    expect_error<FormatError>([&] { read_file(to_buffer(body_lie)); }, {"block says"});
    Bytes wrong_kind = file;  // points at the schema message
    lftest::store_le<int64_t>(wrong_kind, at, 8);
    EXPECT_THROW(read_file(to_buffer(wrong_kind)), FormatError);
}

TEST(IpcErrors, BufferOutsideTheBody) {
    const Bytes schema = ipctest::schema_message(one_field(field("i", int64())));
    BatchSpec s;
    s.length = 2;
    s.nodes = {{2, 0}};
    s.buffers = {{0, 0}, {0, 1000}};
    const Bytes stream = ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0)), ipctest::eos()});
    expect_error<FormatError>([&] { read_stream(to_buffer(stream)); },
                              {"record batch 0 (message 1", "outside the message body", "values of field i"});
    s.buffers = {{0, 0}, {-8, 16}};
    EXPECT_THROW(read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0))}))),
                 FormatError);
    // Node and buffer counts must match the schema.
    s.buffers = {{0, 0}, {0, 16}};
    s.nodes = {{2, 0}, {2, 0}};
    expect_error<FormatError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0))})));
        },
        {"field nodes"});
    s.nodes = {{2, 0}};
    s.buffers = {{0, 0}};
    expect_error<FormatError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0))})));
        },
        {"too few buffers"});
    // A body that runs past the input.
    s.buffers = {{0, 0}, {0, 16}};
    s.body_length = 4096;
    EXPECT_THROW(read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0))}))),
                 FormatError);
}

TEST(IpcErrors, BigEndianSchema) {
    Table t = int_table({1});
    auto schema = std::make_shared<Schema>(*t.schema);
    schema->endianness = Endianness::Big;
    t.schema = schema;
    t.batches[0].schema = schema;
    expect_error<UnsupportedError>([&] { read_file(to_buffer(write_file(t))); }, {"big-endian"});
    expect_error<UnsupportedError>([&] { read_stream(to_buffer(write_stream(t))); }, {"big-endian"});
}

TEST(IpcErrors, UnknownCompressionCodec) {
    const Bytes schema = ipctest::schema_message(one_field(field("i", int64())));
    BatchSpec s;
    s.length = 1;
    s.nodes = {{1, 0}};
    s.buffers = {{0, 0}, {0, 16}};
    s.codec = 5;
    expect_error<UnsupportedError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(16, 0))})));
        },
        {"compression codec 5"});
}

TEST(IpcErrors, DecompressedSizeLie) {
    std::vector<int64_t> values;
    for (int64_t i = 0; i < 1000; ++i) values.push_back(i % 7);
    for (Compression codec : {Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        WriteOptions o;
        o.compression = codec;
        const Bytes file = write_file(int_table(values), o);
        ASSERT_TRUE(table_equals(read_file(to_buffer(file)), int_table(values)));
        const Bytes magic = codec == Compression::Zstd ? Bytes{0x28, 0xB5, 0x2F, 0xFD} : Bytes{0x04, 0x22, 0x4D, 0x18};
        const size_t at = ipctest::find(file, ipctest::concat({i64_bytes(8000), magic}));
        ASSERT_NE(at, std::string::npos);
        for (int64_t lie : {7999, 8001}) {
            Bytes bad = file;
            lftest::store_le<int64_t>(bad, at, lie);
            expect_error<FormatError>([&] { read_file(to_buffer(bad)); },
                                      {"record batch 0", "does not decompress to its declared " + std::to_string(lie)});
        }
        ReadOptions tight;
        tight.limits.max_decompressed_buffer = 4000;
        expect_error<FormatError>([&] { read_file(to_buffer(file), tight); }, {"over the limit"});
        Bytes corrupt = file;
        corrupt[at + 14] ^= 0xFF;  // inside the frame
        EXPECT_THROW(read_file(to_buffer(corrupt)), FormatError);
    }
}

// A V4 sparse union<i: int32> of three slots: validity, type ids, then the child.
Bytes v4_union_stream(int64_t union_nulls, int64_t validity_length) {
    const Schema schema = one_field(field("u", union_(UnionMode::Sparse, {field("i", int32())})));
    Bytes body(32, 0);
    body[0] = 0b101;  // slot 1 null when the null count says so
    // type ids at 8: all 0; child values at 16: 7, 8, 9
    for (int k = 0; k < 3; ++k) body[16 + 4 * static_cast<size_t>(k)] = static_cast<uint8_t>(7 + k);
    BatchSpec s;
    s.version = ipctest::kV4;
    s.length = 3;
    s.nodes = {{3, union_nulls}, {3, 0}};
    s.buffers = {{0, validity_length}, {8, 3}, {16, 0}, {16, 12}};
    return ipctest::concat(
        {ipctest::schema_message(schema, MetadataVersion::V4), ipctest::record_batch_message(s, body), ipctest::eos()});
}

TEST(IpcErrors, V4UnionValidityIsDroppedOrRefused) {
    const Table ok = read_stream(to_buffer(v4_union_stream(0, 8)));
    ASSERT_EQ(ok.batches.size(), 1u);
    const Array& u = *ok.batches[0].columns[0];
    ASSERT_EQ(u.buffers.size(), 1u);  // the V5 layout: type ids only
    EXPECT_EQ(u.children[0]->values<int32_t>()[2], 9);
    EXPECT_NO_THROW(read_stream(to_buffer(v4_union_stream(0, 0))));
    expect_error<UnsupportedError>([&] { read_stream(to_buffer(v4_union_stream(1, 8))); }, {"V4 union", "field u"});
}

TEST(IpcErrors, OldAndUnknownMetadataVersions) {
    const Bytes schema = ipctest::raw_schema_message(2 /* Int */, {}, ipctest::kV3);
    expect_error<UnsupportedError>([&] { read_stream(to_buffer(ipctest::concat({schema, ipctest::eos()}))); }, {"V3"});
    const Bytes future = ipctest::raw_schema_message(2, {}, 9);
    expect_error<UnsupportedError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({future, ipctest::eos()})));
        },
        {"unknown metadata version"});
}

// Three int64 values, with the extremes that a lossy path would change, in one record batch.
Bytes int64_batch_message(int16_t version) {
    Bytes body;
    for (int64_t v : {std::numeric_limits<int64_t>::min(), int64_t{-1}, std::numeric_limits<int64_t>::max()})
        ipctest::append_value(body, v);
    BatchSpec s;
    s.version = version;
    s.length = 3;
    s.nodes = {{3, 0}};
    s.buffers = {{0, 0}, {0, 24}};
    return ipctest::record_batch_message(s, body);
}

Bytes old_footer_file(int16_t footer_version, int16_t message_version) {
    return ipctest::int64_file(footer_version,
                               {ipctest::int64_schema_message(message_version), int64_batch_message(message_version)});
}

void expect_int64_values(const Table& t) {
    ASSERT_EQ(t.schema->fields.size(), 1u);
    EXPECT_EQ(t.schema->fields[0].name, "x");
    EXPECT_EQ(t.schema->fields[0].type, int64());
    ASSERT_EQ(t.batches.size(), 1u);
    const Array& x = *t.batches[0].columns.at(0);
    ASSERT_EQ(x.length, 3);
    EXPECT_EQ(x.null_count, 0);
    EXPECT_EQ(x.values<int64_t>()[0], std::numeric_limits<int64_t>::min());
    EXPECT_EQ(x.values<int64_t>()[1], -1);
    EXPECT_EQ(x.values<int64_t>()[2], std::numeric_limits<int64_t>::max());
}

// Arrow C++ 0.14 wrote footers recording an older version than their messages; the messages decide.
TEST(IpcErrors, FooterOlderThanItsMessagesReads) {
    for (const int16_t footer_version : {ipctest::kV1, ipctest::kV3, ipctest::kV4}) {
        for (const int16_t message_version : {ipctest::kV4, ipctest::kV5}) {
            if (footer_version >= message_version) continue;
            SCOPED_TRACE("footer " + std::to_string(footer_version) + ", messages " + std::to_string(message_version));
            const Bytes file = old_footer_file(footer_version, message_version);
            IpcFileInfo info;
            const Table t = read_file(to_buffer(file), {}, &info);
            expect_int64_values(t);
            EXPECT_TRUE(info.is_file_format);
            EXPECT_EQ(info.metadata_version, static_cast<MetadataVersion>(message_version));
            EXPECT_EQ(info.num_dictionary_batches, 0);
            EXPECT_NO_THROW(read_any(to_buffer(file)));
        }
    }
    // The V1 footer is the absent field: the footer holds no version at all.
    const Bytes v1 = old_footer_file(ipctest::kV1, ipctest::kV5);
    const Bytes v5 = old_footer_file(ipctest::kV5, ipctest::kV5);
    EXPECT_EQ(v1.size() + 8, v5.size()) << "a V1 footer should omit the version field";
    IpcFileInfo info;
    expect_int64_values(read_file(to_buffer(v5), {}, &info));
    EXPECT_EQ(info.metadata_version, MetadataVersion::V5);
}

TEST(IpcErrors, MessagesBeforeV4AreRefusedWhateverTheFooterSays) {
    for (const int16_t footer_version : {ipctest::kV1, ipctest::kV3, ipctest::kV5}) {
        SCOPED_TRACE("footer " + std::to_string(footer_version));
        expect_error<UnsupportedError>([&] { read_file(to_buffer(old_footer_file(footer_version, ipctest::kV3))); },
                                       {"metadata version V3", "Arrow before 0.8", "message 0 at offset 8"});
        // A V5 schema message does not vouch for an older record batch.
        const Bytes mixed = ipctest::int64_file(
            footer_version, {ipctest::int64_schema_message(ipctest::kV5), int64_batch_message(ipctest::kV1)});
        expect_error<UnsupportedError>([&] { read_file(to_buffer(mixed)); },
                                       {"metadata version V1", "Arrow before 0.8", "record batch block 0"});
    }
    // A footer version newer than any we know is still refused.
    expect_error<UnsupportedError>([&] { read_file(to_buffer(old_footer_file(9, ipctest::kV5))); },
                                   {"file footer", "unknown metadata version 9"});
}

// The same messages as a stream read as before: the stream has no footer.
TEST(IpcErrors, StreamsOfTheOldFooterFilesMessages) {
    for (const int16_t version : {ipctest::kV4, ipctest::kV5}) {
        IpcFileInfo info;
        const Bytes stream =
            ipctest::concat({ipctest::int64_schema_message(version), int64_batch_message(version), ipctest::eos()});
        expect_int64_values(read_stream(to_buffer(stream), {}, &info));
        EXPECT_FALSE(info.is_file_format);
        EXPECT_EQ(info.metadata_version, static_cast<MetadataVersion>(version));
    }
    const Bytes old = ipctest::concat(
        {ipctest::int64_schema_message(ipctest::kV3), int64_batch_message(ipctest::kV3), ipctest::eos()});
    expect_error<UnsupportedError>([&] { read_stream(to_buffer(old)); }, {"metadata version V3", "Arrow before 0.8"});
}

TEST(IpcErrors, UnknownTypeAndFeature) {
    const Bytes schema = ipctest::raw_schema_message(27);
    expect_error<UnsupportedError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({schema, ipctest::eos()})));
        },
        {"Type union member 27", "field x"});
    const Bytes feature = ipctest::raw_schema_message(1 /* Null */, {1, 2, 8});
    expect_error<UnsupportedError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({feature, ipctest::eos()})));
        },
        {"feature 8"});
    const Bytes known = ipctest::raw_schema_message(1, {1, 2});
    EXPECT_NO_THROW(read_stream(to_buffer(ipctest::concat({known, ipctest::eos()}))));
}

TEST(IpcErrors, LimitsAreEnforced) {
    // list<list<list<int32>>>: depth 3.
    DataType t = int32();
    for (int i = 0; i < 3; ++i) t = list(field("", t));
    const Bytes stream = ipctest::concat({ipctest::schema_message(one_field(field("deep", t))), ipctest::eos()});
    ReadOptions shallow;
    shallow.limits.max_nesting_depth = 2;
    expect_error<FormatError>([&] { read_stream(to_buffer(stream), shallow); }, {"nests deeper"});
    EXPECT_NO_THROW(read_stream(to_buffer(stream)));
    ReadOptions small;
    small.limits.max_metadata_size = 16;
    expect_error<FormatError>([&] { read_stream(to_buffer(stream), small); }, {"exceeds the limit"});
    ReadOptions few;
    few.limits.max_fields = 2;
    expect_error<FormatError>([&] { read_stream(to_buffer(stream), few); }, {"more than 2 fields"});
}

TEST(IpcErrors, ErrorsNameBatchAndFieldPath) {
    // struct{vals: list<int32>} whose list offsets decrease: caught by full validation.
    const DataType lt = list(field("", int32()));
    const Schema schema = one_field(field("outer", struct_({field("vals", lt)})));
    Bytes body(48, 0);
    const int32_t offsets[] = {0, 2, 1};
    std::memcpy(body.data(), offsets, sizeof offsets);
    BatchSpec s;
    s.length = 2;
    s.nodes = {{2, 0}, {2, 0}, {2, 0}};
    s.buffers = {{0, 0}, {0, 0}, {0, 12}, {16, 0}, {16, 8}};
    const Bytes good_schema = ipctest::schema_message(schema);
    const Bytes stream = ipctest::concat({good_schema, ipctest::record_batch_message(s, body), ipctest::eos()});
    expect_error<FormatError>([&] { read_stream(to_buffer(stream)); }, {"record batch 0 (message 1", "outer.vals"});
    ReadOptions structural;
    structural.validation = ValidationLevel::Minimal;
    EXPECT_NO_THROW(read_stream(to_buffer(stream), structural));
}

TEST(IpcErrors, MissingDictionaryAndStrayMessages) {
    Field f = field("d", utf8());
    f.dictionary = DictionaryEncoding{4, int8(), false};
    const Bytes schema = ipctest::schema_message(one_field(f));
    BatchSpec s;
    s.length = 1;
    s.nodes = {{1, 0}};
    s.buffers = {{0, 0}, {0, 1}};
    expect_error<FormatError>(
        [&] {
            read_stream(to_buffer(ipctest::concat({schema, ipctest::record_batch_message(s, Bytes(8, 0))})));
        },
        {"no dictionary with id 4", "field d"});
    // A dictionary batch for an id the schema does not use.
    BatchSpec d;
    d.length = 0;
    d.nodes = {{0, 0}};
    d.buffers = {{0, 0}, {0, 4}, {8, 0}};
    expect_error<FormatError>(
        [&] {
            read_stream(
                to_buffer(ipctest::concat({schema, ipctest::dictionary_batch_message(9, false, d, Bytes(8, 0))})));
        },
        {"id 9"});
    // A stream that does not start with a schema, and one with two.
    expect_error<FormatError>([&] { read_stream(to_buffer(ipctest::record_batch_message(s, Bytes(8, 0)))); },
                              {"schema"});
    expect_error<FormatError>([&] { read_stream(to_buffer(ipctest::concat({schema, schema}))); }, {"second schema"});
    EXPECT_THROW(read_stream(to_buffer(Bytes{})), FormatError);
}

TEST(IpcErrors, FooterSchemaMustMatchTheSchemaMessage) {
    Table t = int_table({1, 2});
    const Bytes file = write_file(t);
    const lftest::FileWalk w = lftest::walk_file(file);
    // Rename the field in the schema message only ("i" → "j"): the footer still says "i".
    Bytes bad = file;
    const size_t name = ipctest::find(bad, Bytes{1, 0, 0, 0, 'i', 0}, 8);
    ASSERT_NE(name, std::string::npos);
    ASSERT_LT(name, w.messages[1].marker_offset);
    bad[name + 4] = 'j';
    expect_error<FormatError>([&] { read_file(to_buffer(bad)); }, {"differs from the footer"});
}

}  // namespace
