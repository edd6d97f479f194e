// The pieces of ipc_body.hpp: a Decompressor plugged into a read (which buffers it is given, what it
// may leave undecoded, what a wrong answer does), a BodyEncoder plugged into a write, and the
// decoders of decompress.hpp that decode a buffer later, whole or part by part.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/ipc_body.hpp"
#include "legolasflux/errors.hpp"

namespace {

using namespace legolasflux::arrow;
using legolasflux::FormatError;

// A big float32 column "w" (12 MiB, compressible) and a small int64 column "n".
Table table_of(int64_t n) {
    std::vector<float> values(static_cast<size_t>(n));
    uint64_t x = 7;
    for (int64_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        values[static_cast<size_t>(i)] = static_cast<float>((x >> 58) % 9) * 0.5f;
    }
    std::vector<int64_t> small(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) small[static_cast<size_t>(i)] = i % 5;
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("w", float32(), false), field("n", int64(), false)};
    RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {make_primitive(float32(), values), make_primitive(int64(), small)};
    return Table{schema, {batch}};
}

// Columns of every kind of buffer: values of floats and integers (also inside lists, structs and
// as the values of a run-end encoded array), offsets, strings, validity, run ends, dictionary
// indices and dictionary values. 4096 rows, so that every buffer is worth compressing.
Table mixed_table() {
    const int64_t n = 4096;
    std::vector<float> f(n);
    std::vector<int32_t> i32(n);
    std::vector<std::string> s(n);
    std::vector<int64_t> lengths(n, 2), indices(n);
    std::vector<double> inner(2 * n);
    std::vector<bool> valid(n);
    for (int64_t k = 0; k < n; ++k) {
        f[k] = static_cast<float>(k % 7);
        i32[k] = static_cast<int32_t>(k % 11);
        s[k] = "s" + std::to_string(k % 13);
        indices[k] = k % 3;
        valid[k] = k % 5 != 0;
        inner[2 * k] = inner[2 * k + 1] = static_cast<double>(k % 17);
    }
    const Field item = field("item", float64(), false);
    const DataType ree = run_end_encoded(int32(), field("values", float32()));
    std::vector<int32_t> run_ends(n / 2);
    for (int64_t k = 0; k < n / 2; ++k) run_ends[k] = static_cast<int32_t>(2 * (k + 1));
    Field dict = field("d", float32(), false);
    dict.dictionary = DictionaryEncoding{0, int16(), false};
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("f", float32()),
                      field("i", int32(), false),
                      field("s", utf8(), false),
                      field("l", list(item), false),
                      field("st", struct_({field("x", int32(), false)}), false),
                      field("r", ree, false),
                      dict};
    RecordBatch batch;
    batch.schema = schema;
    batch.length = n;
    batch.columns = {
        make_primitive(float32(), f, valid),
        make_primitive(int32(), i32),
        make_strings(s),
        make_list(list(item), lengths, make_primitive(float64(), inner)),
        make_struct(struct_({field("x", int32(), false)}), n, {make_primitive(int32(), i32)}),
        make_run_end_encoded(ree, n, make_primitive(int32(), run_ends),
                             make_primitive(float32(), std::vector<float>(f.begin(), f.begin() + n / 2))),
        make_dictionary(int16(), indices, make_primitive(float32(), std::vector<float>{1.5f, 2.5f, 3.5f})),
    };
    return Table{schema, {batch}};
}

Buffer written(const Table& t, Compression codec) {
    WriteOptions o;
    o.compression = codec;
    return Buffer::from_vector(write_file(t, o));
}

Buffer reserved(int64_t size) {
    void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto length = static_cast<size_t>(size);
    return Buffer(std::shared_ptr<const void>(p, [length](const void* q) { ::munmap(const_cast<void*>(q), length); }),
                  static_cast<const uint8_t*>(p), size);
}

// Decodes every buffer, noting what it was given; with `leave`, returns unreadable memory for every
// buffer it may leave undecoded instead, keeping its frame.
class Recording final : public Decompressor {
public:
    explicit Recording(bool leave = false) : leave_(leave) {}
    struct Seen {
        std::string path;
        Compression codec;
        int64_t size;
        bool values_unread;
        Buffer frame, given;
    };
    std::vector<Seen> seen;
    Buffer decompress(const CompressedBuffer& b) override {
        Buffer out = leave_ && b.values_unread
                         ? reserved(b.decoded_size)
                         : legolasflux::arrow::decompress(b.codec, b.frame.span(), b.decoded_size);
        seen.push_back({std::string(b.path), b.codec, b.decoded_size, b.values_unread, b.frame, out});
        return out;
    }

private:
    bool leave_;
};

TEST(IpcBody, ADecompressorIsGivenEveryCompressedBufferAndToldWhichValuesNoReadLooksAt) {
    const Table t = mixed_table();
    for (const Compression codec : {Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        auto recording = std::make_shared<Recording>();
        ReadOptions options;
        options.decompressor = recording;
        EXPECT_TRUE(table_equals(read_file(written(t, codec), options), t));
        std::map<std::string, int> unread;
        for (const auto& s : recording->seen) {
            EXPECT_EQ(s.codec, codec);
            EXPECT_EQ(s.given.size(), s.size);
            if (s.values_unread) ++unread[s.path];
        }
        // Exactly the values of the float and integer arrays of record batches: not the strings'
        // offsets or bytes, the validity bitmap, the lists' offsets, a run-end encoded array's run
        // ends (nor its values, which are read with them), the dictionary's indices or its values.
        const std::map<std::string, int> expected{{"f", 1}, {"i", 1}, {"l.item", 1}, {"st.x", 1}};
        EXPECT_EQ(unread, expected);
        EXPECT_GT(recording->seen.size(), expected.size());
    }
}

TEST(IpcBody, ValuesLeftUndecodedAreNeverReadAtAnyValidationLevel) {
    const Table t = mixed_table();
    for (const ValidationLevel level : {ValidationLevel::Minimal, ValidationLevel::Full}) {
        auto leaving = std::make_shared<Recording>(/*leave=*/true);
        ReadOptions options;
        options.decompressor = leaving;
        options.validation = level;
        const Table read = read_file(written(t, Compression::Zstd), options);  // a read of one would fault
        int left = 0;
        for (const auto& s : leaving->seen)
            if (s.values_unread) {
                ++left;
                if (s.path == "f") EXPECT_EQ(read.batches[0].columns[0]->buffers[1].data(), s.given.data());
            }
        EXPECT_EQ(left, 4);
        EXPECT_TRUE(array_equals(*read.batches[0].columns[2], *t.batches[0].columns[2]));  // strings, decoded
    }
}

TEST(IpcBody, ADecompressorGivingTheWrongSizeIsAFormatErrorNamingTheBuffer) {
    class Short final : public Decompressor {
    public:
        Buffer decompress(const CompressedBuffer& b) override { return Buffer::allocate(b.decoded_size - 1); }
    };
    ReadOptions options;
    options.decompressor = std::make_shared<Short>();
    try {
        (void)read_file(written(table_of(1024), Compression::Lz4Frame), options);
        FAIL() << "no error";
    } catch (const FormatError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("field w"), std::string::npos) << what;
        EXPECT_NE(what.find("the decompressor gave 4095 bytes, not the 4096"), std::string::npos) << what;
    }
}

// An encoder that counts its calls and takes the bytes of one buffer from elsewhere.
class Substituting final : public BodyEncoder {
public:
    Substituting(const uint8_t* replace, Buffer with) : replace_(replace), with_(std::move(with)) {}
    int calls = 0;
    BodyPieces encode(const Buffer& buffer, const WriteOptions& options) override {
        ++calls;
        if (buffer.data() != replace_) return encode_body_buffer({&buffer, 1}, options);
        // The same bytes in two pieces, from another place.
        const Buffer pieces[2] = {with_.slice(0, with_.size() / 3),
                                  with_.slice(with_.size() / 3, with_.size() - with_.size() / 3)};
        return encode_body_buffer(pieces, options);
    }

private:
    const uint8_t* replace_;
    Buffer with_;
};

class Collecting final : public OutputStream {
public:
    std::vector<uint8_t> bytes;
    void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

TEST(IpcBody, AnEncoderDecidesWhereEachBodyBuffersBytesComeFrom) {
    const Table t = table_of(int64_t{1} << 16);
    const Buffer& w = t.batches[0].columns[0]->buffers[1];
    std::vector<float> other(static_cast<size_t>(w.size() / 4));
    for (size_t k = 0; k < other.size(); ++k) other[k] = static_cast<float>(k);
    for (const Compression codec : {Compression::None, Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        WriteOptions options;
        options.compression = codec;
        // The default encoding: the same file as write_file, file and stream format alike.
        Collecting file, stream;
        Substituting same(nullptr, Buffer());
        write_file(file, t, options, &same);
        write_stream(stream, t, options, &same);
        EXPECT_EQ(file.bytes, write_file(t, options));
        EXPECT_EQ(stream.bytes, write_stream(t, options));
        EXPECT_EQ(same.calls, 4);  // two columns, values only (no validity), twice
        // The values of "w" taken from `other`, in two pieces.
        Collecting out;
        Substituting swap(w.data(), Buffer::copy_of(std::span<const float>(other)));
        write_file(out, t, options, &swap);
        const Table read = read_file(Buffer::from_vector(out.bytes));
        EXPECT_TRUE(array_equals(*read.batches[0].columns[0], *make_primitive(float32(), other)));
        EXPECT_TRUE(array_equals(*read.batches[0].columns[1], *t.batches[0].columns[1]));
    }
}

// Deferred by a decompressor, then decoded whole or part by part, in any order.
TEST(IpcBody, LargeBuffersLeftUndecodedDecodeLaterWholeOrPartByPart) {
    const int64_t n = int64_t{3} << 20;  // 12 MiB of float32
    const Table t = table_of(n);
    for (const Compression codec : {Compression::Lz4Frame, Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        auto leaving = std::make_shared<Recording>(/*leave=*/true);
        ReadOptions options;
        options.decompressor = leaving;
        (void)read_file(written(t, codec), options);
        ASSERT_EQ(leaving->seen.at(0).path, "w");
        const Buffer frame = leaving->seen[0].frame;

        const Buffer whole = decompress(codec, frame.span(), n * 4);
        ASSERT_EQ(whole.size(), n * 4);
        EXPECT_EQ(std::memcmp(whole.data(), t.batches[0].columns[0]->buffers[1].data(), size_t(n * 4)), 0);

        const auto parts = independent_parts(codec, frame.span(), n * 4);
        ASSERT_TRUE(parts.has_value());
        ASSERT_GE(parts->size(), 3u);
        std::vector<uint8_t> out(static_cast<size_t>(n * 4), 0xAB);
        int64_t covered = 0;
        for (size_t i = parts->size(); i-- > 0;) {
            const FramePart& p = (*parts)[i];
            EXPECT_TRUE(decode_part(codec, frame.span(), p, out.data() + p.out_offset));
            covered += p.out_size;
        }
        EXPECT_EQ(covered, n * 4);
        EXPECT_EQ(std::memcmp(out.data(), whole.data(), out.size()), 0);

        // A size that is not what the buffer holds: no parts, and decompress says why.
        EXPECT_FALSE(independent_parts(codec, frame.span(), n * 4 + 4).has_value());
        EXPECT_THROW(decompress(codec, frame.span(), n * 4 + 4), FormatError);
        // A damaged part does not decode to its size.
        std::vector<uint8_t> damaged(frame.data(), frame.data() + frame.size());
        const FramePart& p = (*parts)[1];
        ASSERT_FALSE(p.stored);
        for (int64_t k = 0; k < p.in_size; k += 97) damaged[size_t(p.in_offset + k)] ^= 0x5A;
        std::vector<uint8_t> part(static_cast<size_t>(p.out_size));
        EXPECT_FALSE(decode_part(codec, damaged, p, part.data()));
        EXPECT_THROW(decompress(codec, damaged, n * 4), FormatError);
        // A part beyond the buffer is refused without reading.
        FramePart outside = p;
        outside.in_offset = static_cast<int64_t>(damaged.size());
        EXPECT_FALSE(decode_part(codec, damaged, outside, part.data()));
    }
    // Bytes that are no frame at all.
    const std::vector<uint8_t> junk(64, 0x11);
    EXPECT_FALSE(independent_parts(Compression::Zstd, junk, 1 << 20).has_value());
    EXPECT_FALSE(independent_parts(Compression::Lz4Frame, junk, 1 << 20).has_value());
}

}  // namespace
