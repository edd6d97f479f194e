// Our writer against Julia's rules (docs/julia-format.md §5.2, §5.3, §7, §8): the table read from
// Julia's file is written back, read again, and the written bytes are walked with the test-only
// decoder of common/ipc_walk.hpp, which shares no code with the library's reader. The same checks
// run on Julia's own file first, to prove the checker itself accepts what Julia writes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <sstream>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/validate.hpp"
#include "support/bytes.hpp"
#include "support/ipc_walk.hpp"

namespace {

using namespace legolasflux::arrow;
using lftest::Bytes;
using lftest::FileWalk;
using lftest::RawField;
using lftest::RawSchema;

// Number of buffers of one node of this type (Arrow's IPC layout), for the types Julia's file uses.
int buffer_count(const RawField& f) {
    switch (f.type_type) {
        case lftest::kTypeNull: return 0;
        case lftest::kTypeStruct: return 1;
        case lftest::kTypeList:
        case lftest::kTypeLargeList:
        case lftest::kTypeInt:
        case lftest::kTypeFloatingPoint:
        case lftest::kTypeBool: return 2;
        case lftest::kTypeUtf8:
        case lftest::kTypeBinary: return 3;
        default: throw lftest::ParseFailure("type " + std::to_string(f.type_type) + " not handled by this test");
    }
}

// Fields depth-first, parent before children: the order of FieldNodes and of their buffers.
void flatten(const std::vector<RawField>& fields, std::vector<const RawField*>& out) {
    for (const RawField& f : fields) {
        out.push_back(&f);
        flatten(f.children, out);
    }
}

// Presence flags of empty vectors and strings are a FlatBuffers builder choice, not content.
RawSchema content_of(RawSchema s) {
    struct Norm {
        static void field(RawField& f) {
            f.name_present = f.children_present = false;
            f.metadata_present = false;
            for (RawField& c : f.children) field(c);
        }
    };
    for (RawField& f : s.fields) Norm::field(f);
    s.metadata_present = false;
    return s;
}

uint64_t round_up8(uint64_t n) { return (n + 7) / 8 * 8; }

// Every MUST of julia-format.md §8 that can be seen in the bytes, plus the framing of §5.2/§7.
// `alignment` is the writer's buffer alignment within the body (Julia: 8).
FileWalk check_julia_rules(const Bytes& bytes, int alignment) {
    FileWalk walk;
    EXPECT_GE(bytes.size(), 18u);
    if (bytes.size() < 18) return walk;
    EXPECT_EQ(std::memcmp(bytes.data(), "ARROW1\0\0", 8), 0) << lftest::hex({bytes.data(), 8});
    EXPECT_EQ(std::memcmp(bytes.data() + bytes.size() - 6, "ARROW1", 6), 0) << "no trailing magic";
    try {
        walk = lftest::walk_file(bytes);
    } catch (const lftest::ParseFailure& e) {
        ADD_FAILURE() << "file framing: " << e.what();
        return walk;
    }
    EXPECT_TRUE(walk.eos_offsets.empty()) << "EOS marker before the footer at " << walk.eos_offsets.front();
    EXPECT_EQ(walk.footer_offset % 8, 0u);
    EXPECT_EQ(lftest::load_le<int32_t>(bytes, bytes.size() - 10), walk.footer_length);
    EXPECT_EQ(walk.footer.version, lftest::kMetadataV5);
    EXPECT_FALSE(walk.footer.custom_metadata_present);

    EXPECT_FALSE(walk.messages.empty());
    if (walk.messages.empty()) return walk;
    const auto& first = walk.messages.front();
    EXPECT_EQ(first.marker_offset, 8u) << "the first message must start right after the magic";
    EXPECT_EQ(first.message.header_type, lftest::kHeaderSchema) << "Arrow.jl needs the Schema message first";
    EXPECT_EQ(first.message.body_length, 0);
    EXPECT_EQ(walk.footer.schema, first.message.schema) << "footer schema differs from the schema message";

    // Schema metadata and nullability (§8.2–§8.5), in whatever flatbuffer layout.
    const RawSchema& schema = first.message.schema;
    EXPECT_EQ(schema.endianness, 0);
    int qualified = 0;
    for (const auto& [k, v] : schema.metadata)
        if (k == "legolas_schema_qualified") {
            ++qualified;
            EXPECT_EQ(v, "digits.model@1>legolas-flux.model@1");
        }
    EXPECT_EQ(qualified, 1);

    std::vector<const RawField*> flat;
    flatten(schema.fields, flat);

    size_t batches = 0, dictionaries = 0, schemas = 0;
    for (const auto& m : walk.messages) {
        SCOPED_TRACE("message at offset " + std::to_string(m.marker_offset));
        EXPECT_EQ(lftest::load_le<uint32_t>(bytes, m.marker_offset), 0xFFFFFFFFu);
        EXPECT_EQ(m.marker_offset % 8, 0u);
        EXPECT_GT(m.metadata_length, 0);
        EXPECT_EQ(m.metadata_length % 8, 0) << "metadata length " << m.metadata_length;
        EXPECT_EQ(m.message.version, lftest::kMetadataV5);
        EXPECT_FALSE(m.message.custom_metadata_present);
        EXPECT_EQ(m.message.body_length % 8, 0);
        switch (m.message.header_type) {
            case lftest::kHeaderSchema: ++schemas; break;
            case lftest::kHeaderDictionaryBatch:
                EXPECT_EQ(batches, 0u) << "dictionary batch after a record batch";
                ++dictionaries;
                break;
            case lftest::kHeaderRecordBatch: ++batches; break;
            default: ADD_FAILURE() << "unexpected message type " << int(m.message.header_type);
        }
        if (m.message.header_type != lftest::kHeaderRecordBatch) continue;

        // The record batch: nodes, buffers, alignment, validity rules of §5.3.
        const auto& rb = m.message.batch;
        EXPECT_FALSE(rb.compression_present);
        EXPECT_EQ(rb.nodes.size(), flat.size());
        size_t expected_buffers = 0;
        for (const RawField* f : flat) expected_buffers += static_cast<size_t>(buffer_count(*f));
        EXPECT_EQ(rb.buffers.size(), expected_buffers);
        if (rb.nodes.size() != flat.size() || rb.buffers.size() != expected_buffers) continue;

        int64_t end = 0;
        for (size_t i = 0; i < rb.buffers.size(); ++i) {
            const auto& b = rb.buffers[i];
            SCOPED_TRACE("buffer " + std::to_string(i));
            EXPECT_EQ(b.offset % alignment, 0) << "offset " << b.offset;
            EXPECT_EQ((m.body_offset + static_cast<uint64_t>(b.offset)) % 8, 0u);
            EXPECT_GE(b.offset, end) << "buffers overlap or go backwards";
            EXPECT_GE(b.length, 0);
            EXPECT_LE(b.offset + b.length, m.message.body_length);
            for (int64_t p = end; p < b.offset && p < m.message.body_length; ++p)
                EXPECT_EQ(bytes[m.body_offset + static_cast<uint64_t>(p)], 0) << "padding byte at body offset " << p;
            end = std::max(end, b.offset + b.length);
        }
        for (int64_t p = end; p < m.message.body_length; ++p)
            EXPECT_EQ(bytes[m.body_offset + static_cast<uint64_t>(p)], 0) << "trailing padding at body offset " << p;

        size_t bi = 0;
        for (size_t n = 0; n < flat.size(); ++n) {
            const RawField& f = *flat[n];
            const auto& node = rb.nodes[n];
            SCOPED_TRACE("node " + std::to_string(n) + " ('" + f.name + "')");
            if (!f.nullable) {
                EXPECT_EQ(node.null_count, 0) << "nulls in a non-nullable field";
            }
            if (buffer_count(f) > 0) {
                const auto& validity = rb.buffers[bi];
                if (node.null_count == 0) {
                    EXPECT_EQ(validity.length, 0) << "validity of a null-free node must be left out";
                } else if (validity.offset < 0 || validity.offset + validity.length > m.message.body_length) {
                    ADD_FAILURE() << "validity buffer outside the body";
                } else {
                    // Padded length recorded; LSB-first; unused bits of the last byte set; zero padding.
                    EXPECT_GT(validity.length, 0);
                    EXPECT_EQ(validity.length % 8, 0) << "validity length " << validity.length;
                    EXPECT_GE(static_cast<uint64_t>(validity.length), (static_cast<uint64_t>(node.length) + 7) / 8);
                    const uint8_t* bits = bytes.data() + m.body_offset + validity.offset;
                    int64_t nulls = 0;
                    for (int64_t k = 0; k < node.length; ++k) nulls += !((bits[k >> 3] >> (k & 7)) & 1);
                    EXPECT_EQ(nulls, node.null_count);
                    std::string unused_zero;
                    for (uint64_t k = static_cast<uint64_t>(node.length);
                         k < round_up8(static_cast<uint64_t>(node.length)); ++k)
                        if (!((bits[k >> 3] >> (k & 7)) & 1)) unused_zero += " " + std::to_string(k);
                    EXPECT_EQ(unused_zero, "") << "unused validity bits must be 1 (Julia writes them so); these are 0";
                    for (int64_t k = (node.length + 7) / 8; k < validity.length; ++k)
                        EXPECT_EQ(bits[k], 0) << "validity padding byte " << k;
                }
                // Exact recorded lengths for the other buffers (§5.3).
                int64_t exact = -1;
                if (f.type_type == lftest::kTypeList) exact = 4 * (node.length + 1);
                if (f.type_type == lftest::kTypeInt && f.type_params == "bitWidth=64 signed=1") exact = 8 * node.length;
                if (f.type_type == lftest::kTypeFloatingPoint && f.type_params == "precision=1")
                    exact = 4 * node.length;
                if (exact >= 0) {
                    EXPECT_EQ(rb.buffers[bi + 1].length, exact) << "second buffer must record its exact length";
                }
            }
            bi += static_cast<size_t>(buffer_count(f));
        }
    }
    EXPECT_EQ(schemas, 1u);
    EXPECT_EQ(batches, walk.footer.record_batches.size());
    EXPECT_EQ(dictionaries, walk.footer.dictionaries.size());

    // Footer blocks point at the messages' FF FF FF FF markers, with metaDataLength = 8 + metaLen.
    size_t block = 0;
    for (const auto& m : walk.messages) {
        if (m.message.header_type != lftest::kHeaderRecordBatch || block >= walk.footer.record_batches.size()) continue;
        const auto& b = walk.footer.record_batches[block++];
        EXPECT_EQ(b.offset, static_cast<int64_t>(m.marker_offset));
        EXPECT_EQ(b.metadata_length, 8 + m.metadata_length);
        EXPECT_EQ(b.body_length, m.message.body_length);
        if (b.offset >= 0 && static_cast<uint64_t>(b.offset) + 4 <= bytes.size()) {
            EXPECT_EQ(lftest::load_le<uint32_t>(bytes, static_cast<uint64_t>(b.offset)), 0xFFFFFFFFu);
        }
    }
    return walk;
}

class JuliaWriterRules : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        julia_ = new Bytes(lftest::load_bytes(lftest::julia_fixture_path()));
        table_ = new Table(read_file(lftest::julia_fixture_path()));
    }
    static void TearDownTestSuite() {
        delete table_;
        delete julia_;
    }
    static Bytes write(int32_t alignment) {
        WriteOptions o;
        o.alignment = alignment;
        return write_file(*table_, o);
    }
    static Bytes* julia_;
    static Table* table_;
};
Bytes* JuliaWriterRules::julia_ = nullptr;
Table* JuliaWriterRules::table_ = nullptr;

TEST_F(JuliaWriterRules, CheckerAcceptsJuliasOwnFile) {
    const FileWalk walk = check_julia_rules(*julia_, 8);
    ASSERT_EQ(walk.messages.size(), 2u);
    EXPECT_EQ(walk.messages[1].marker_offset, 1160u);
    EXPECT_EQ(walk.footer_offset, 32384u);
}

TEST_F(JuliaWriterRules, RoundTripDefaultOptions) {
    const Bytes bytes = write_file(*table_);
    const Table back = read_file(lftest::exact_buffer(bytes));
    EXPECT_EQ(table_difference(back, *table_), "");
    EXPECT_TRUE(table_equals(back, *table_));
    EXPECT_EQ(*back.schema, *table_->schema);
    check_julia_rules(bytes, WriteOptions{}.alignment);
}

TEST_F(JuliaWriterRules, RoundTripAlignment8) {
    const Bytes bytes = write(8);
    const Table back = read_file(lftest::exact_buffer(bytes));
    EXPECT_EQ(table_difference(back, *table_), "");
    EXPECT_TRUE(table_equals(back, *table_));
    EXPECT_EQ(*back.schema, *table_->schema);
    check_julia_rules(bytes, 8);
}

TEST_F(JuliaWriterRules, SchemaContentMatchesJulia) {
    // Names (the nested "weights", the "" list items), types, nullability at every level, extension
    // names with empty extension metadata, schema metadata: all as Julia wrote them.
    const RawSchema julia = lftest::walk_file(*julia_).messages.at(0).message.schema;
    for (int32_t alignment : {8, 64}) {
        SCOPED_TRACE("alignment " + std::to_string(alignment));
        const RawSchema ours = lftest::walk_file(write(alignment)).messages.at(0).message.schema;
        EXPECT_EQ(content_of(ours), content_of(julia));
        EXPECT_FALSE(ours.features_present);
        ASSERT_EQ(ours.fields.size(), 5u);
        EXPECT_FALSE(ours.fields[0].nullable);
        EXPECT_TRUE(ours.fields[1].nullable);
        EXPECT_FALSE(ours.fields[2].nullable);
        EXPECT_FALSE(ours.fields[2].children.at(0).nullable);
        EXPECT_FALSE(ours.fields[2].children.at(1).nullable);
        EXPECT_TRUE(ours.fields[3].nullable);
        EXPECT_TRUE(ours.fields[4].nullable);
    }
}

TEST_F(JuliaWriterRules, Alignment8BodyIsByteIdenticalToJulia) {
    const Bytes ours = write(8);
    const FileWalk a = lftest::walk_file(ours);
    const FileWalk j = lftest::walk_file(*julia_);
    ASSERT_EQ(a.messages.size(), 2u);
    const auto& ob = a.messages[1];
    const auto& jb = j.messages[1];
    ASSERT_EQ(ob.message.header_type, lftest::kHeaderRecordBatch);
    EXPECT_EQ(ob.message.batch.length, 1);
    EXPECT_EQ(ob.message.batch.nodes, jb.message.batch.nodes);
    EXPECT_EQ(ob.message.batch.buffers, jb.message.batch.buffers);
    ASSERT_EQ(ob.message.body_length, 30552);
    ASSERT_EQ(ob.message.body_length, jb.message.body_length);
    std::string diffs;
    size_t ndiff = 0;
    for (size_t i = 0; i < static_cast<size_t>(ob.message.body_length); ++i)
        if (ours[ob.body_offset + i] != (*julia_)[jb.body_offset + i] && ++ndiff <= 8)
            diffs += " [" + std::to_string(i) + "] ours " + lftest::hex({&ours[ob.body_offset + i], 1}) + " julia " +
                     lftest::hex({&(*julia_)[jb.body_offset + i], 1});
    EXPECT_EQ(ndiff, 0u) << "body bytes differ at (body offset):" << diffs;
    // The architecture_version validity: 8 bytes FE 00 …, as Julia wrote it.
    const auto& validity = ob.message.batch.buffers.at(12);
    EXPECT_EQ(validity.length, 8);
    EXPECT_EQ(lftest::hex({ours.data() + ob.body_offset + validity.offset, 8}), "fe 00 00 00 00 00 00 00");
}

TEST_F(JuliaWriterRules, DefaultAlignmentIs64WithinTheBody) {
    const FileWalk w = lftest::walk_file(write_file(*table_));
    ASSERT_EQ(w.messages.size(), 2u);
    for (const auto& b : w.messages[1].message.batch.buffers) EXPECT_EQ(b.offset % 64, 0);
}

TEST_F(JuliaWriterRules, WrittenToPathAndOstream) {
    const auto path =
        std::filesystem::temp_directory_path() /
        ("legolasflux-julia-rules-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".arrow");
    WriteOptions o;
    o.alignment = 8;
    write_file(path, *table_, o);
    const Bytes from_path = lftest::load_bytes(path);
    EXPECT_EQ(from_path, write(8));
    EXPECT_TRUE(table_equals(read_file(path), *table_));
    std::filesystem::remove(path);

    std::ostringstream out;
    write_file(out, *table_, o);
    const std::string s = out.str();
    EXPECT_EQ(Bytes(s.begin(), s.end()), write(8));
}

TEST_F(JuliaWriterRules, StreamFormatEndsWithEos) {
    WriteOptions o;
    o.alignment = 8;
    const Bytes stream = write_stream(*table_, o);
    const lftest::StreamWalk w = lftest::walk_stream(stream);
    EXPECT_TRUE(w.ended_with_eos);
    EXPECT_EQ(w.end, stream.size());
    ASSERT_EQ(w.messages.size(), 2u);
    EXPECT_EQ(w.messages[0].message.header_type, lftest::kHeaderSchema);
    EXPECT_EQ(w.messages[1].message.header_type, lftest::kHeaderRecordBatch);
    EXPECT_EQ(lftest::hex({stream.data() + stream.size() - 8, 8}), "ff ff ff ff 00 00 00 00");
    // The stream is the file's messages without magic and footer.
    EXPECT_EQ(stream, lftest::file_to_stream(write(8)));
    EXPECT_TRUE(table_equals(read_stream(lftest::exact_buffer(stream)), *table_));
}

TEST_F(JuliaWriterRules, CompressedRoundTrip) {
    for (Compression c : {Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(c == Compression::Lz4Frame ? "lz4" : "zstd");
        WriteOptions o;
        o.alignment = 8;
        o.compression = c;
        const Bytes bytes = write_file(*table_, o);
        const FileWalk w = lftest::walk_file(bytes);
        ASSERT_EQ(w.messages.size(), 2u);
        EXPECT_TRUE(w.messages[1].message.batch.compression_present);
        // §5.5: an empty buffer stays empty (no 8-byte length prefix).
        EXPECT_EQ(w.messages[1].message.batch.buffers.at(0).length, 0);
        EXPECT_TRUE(table_equals(read_file(lftest::exact_buffer(bytes)), *table_));
    }
}

}  // namespace
