// open_model_row + read_weights_into: a model file's weights read into memory the caller holds,
// compressed values decoded straight into place, with the checks read_model_row makes.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "../support/scratch.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/read_into.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;

namespace {

// Arrays whose boundaries fall anywhere in the 4 MiB parts and the 1 MiB checksum chunks, an
// empty one among them; about 21 MiB of float32 that compress.
Weights float_weights() {
    std::vector<FlatArray> arrays;
    uint64_t x = 3;
    for (const std::vector<int64_t>& size :
         std::vector<std::vector<int64_t>>{{1000003}, {7, 300001}, {0}, {2048, 1024}, {13}, {999, 1001}, {5}}) {
        int64_t n = 1;
        for (int64_t d : size) n *= d;
        std::vector<float> v(static_cast<size_t>(n));
        for (float& f : v) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            f = static_cast<float>((x >> 59) % 11) * 0.125f - 0.5f;
        }
        arrays.push_back(FlatArray::from_values<float>(size, v));
    }
    return Weights(std::move(arrays));
}

Weights int_weights() {
    std::vector<FlatArray> arrays;
    for (int k = 0; k < 3; ++k) {
        std::vector<int32_t> v(static_cast<size_t>(1500007 + k));
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>((i * 31 + k) % 1000);
        arrays.push_back(FlatArray::from_values<int32_t>({static_cast<int64_t>(v.size())}, v));
    }
    return Weights(std::move(arrays));
}

std::filesystem::path written(const std::string& name, const Weights& w, la::Compression codec) {
    const auto path = lftest::scratch_dir("read_into") / name;
    ModelWriteOptions o;
    o.ipc.compression = codec;
    write_model_row(path, ModelV1{w, 2}, o);
    return path;
}

std::vector<std::vector<uint8_t>> destinations_for(const OpenModelRow& open, uint8_t fill) {
    std::vector<std::vector<uint8_t>> out;
    for (const ArrayLayout& a : *open.arrays) out.emplace_back(static_cast<size_t>(a.byte_count), fill);
    return out;
}

std::vector<std::span<uint8_t>> spans(std::vector<std::vector<uint8_t>>& d) { return {d.begin(), d.end()}; }

void expect_values(const std::vector<std::vector<uint8_t>>& got, const Weights& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(static_cast<int64_t>(got[i].size()), want[i].byte_count()) << "array " << i;
        // An empty array's data() may be null, which memcmp must not be given even for 0 bytes.
        if (!got[i].empty())
            EXPECT_EQ(std::memcmp(got[i].data(), want[i].values.data(), got[i].size()), 0) << "array " << i;
    }
}

constexpr la::Compression kCodecs[] = {la::Compression::None, la::Compression::Lz4Frame, la::Compression::Zstd};

TEST(ReadInto, EveryCodecGivesTheValuesReadModelRowGives) {
    for (const Weights& w : {float_weights(), int_weights()})
        for (const la::Compression codec : kCodecs)
            for (const int threads : {1, 2, 0}) {
                SCOPED_TRACE("codec " + std::to_string(static_cast<int>(codec)) + ", threads " +
                             std::to_string(threads) + ", " + std::string(element_type_name(w.element_type)));
                const auto path = written("m.arrow", w, codec);
                const OpenModelRow open = open_model_row(path);
                EXPECT_FALSE(open.row.weights.has_value());
                EXPECT_EQ(open.row.architecture_version, 2);
                ASSERT_TRUE(open.arrays.has_value());
                ASSERT_EQ(open.arrays->size(), w.size());
                for (size_t i = 0; i < w.size(); ++i) {
                    EXPECT_EQ((*open.arrays)[i].element_type, w.element_type);
                    EXPECT_EQ((*open.arrays)[i].size, w[i].size);
                    EXPECT_EQ((*open.arrays)[i].byte_count, w[i].byte_count());
                }
                auto into = destinations_for(open, 0xEE);
                read_weights_into(open, spans(into), threads);
                expect_values(into, w);
                const std::optional<Weights> again = read_weights(open, threads);
                ASSERT_TRUE(again.has_value());
                EXPECT_EQ(*again, w);
                EXPECT_EQ(*read_model_row(path).weights, w);
            }
}

TEST(ReadInto, NativeBFloat16ValuesAndUncheckedReadsToo) {
    std::vector<FlatArray> arrays;
    for (int k = 0; k < 2; ++k) {
        std::vector<uint16_t> bits(static_cast<size_t>(3000017 + k));
        for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint16_t>(0x3c00 + (i * 37 + k) % 0x0400);
        arrays.emplace_back(ElementType::BFloat16, std::vector<int64_t>{static_cast<int64_t>(bits.size())},
                            la::Buffer::copy_of(bits));
    }
    const Weights w(ElementType::BFloat16, std::move(arrays));
    for (const la::Compression codec : kCodecs) {
        const auto path = lftest::scratch_dir("read_into") / "bf16.arrow";
        ModelWriteOptions o;
        o.ipc.compression = codec;
        o.bfloat16 = BFloat16Storage::Native;
        write_model_row(path, ModelV1{w, std::nullopt}, o);
        for (const bool verify : {true, false}) {
            ModelReadOptions r;
            r.verify_checksums = verify;
            r.verify_metadata = verify;
            const OpenModelRow open = open_model_row(path, r);
            EXPECT_EQ(open.arrays->at(0).element_type, ElementType::BFloat16);
            auto into = destinations_for(open, 0);
            read_weights_into(open, spans(into));
            expect_values(into, w);
        }
    }
}

TEST(ReadInto, DestinationsThatDoNotFitAreRefusedBeforeAnythingIsRead) {
    const Weights w = float_weights();
    const OpenModelRow open = open_model_row(written("m.arrow", w, la::Compression::Zstd));
    auto into = destinations_for(open, 0x77);
    std::vector<std::span<uint8_t>> fewer(into.begin(), into.end() - 1);
    EXPECT_THROW(read_weights_into(open, fewer), InvalidArgument);
    std::vector<std::span<uint8_t>> shorter = spans(into);
    shorter[1] = shorter[1].first(shorter[1].size() - 4);
    EXPECT_THROW(read_weights_into(open, shorter), InvalidArgument);
    for (const auto& d : into) EXPECT_EQ(std::count(d.begin(), d.end(), 0x77), static_cast<long>(d.size()));
    EXPECT_THROW(read_weights_into(OpenModelRow{}, shorter), InvalidArgument);
}

TEST(ReadInto, MissingWeightsHaveNoArrays) {
    const auto path = lftest::scratch_dir("read_into") / "none.arrow";
    write_model_row(path, ModelV1{std::nullopt, 1});
    const OpenModelRow open = open_model_row(path);
    EXPECT_FALSE(open.arrays.has_value());
    EXPECT_FALSE(read_weights(open).has_value());
    EXPECT_THROW(read_weights_into(open, {}), InvalidArgument);
}

// Bytes of a compressed frame changed in the middle of the file.
void damage(const std::filesystem::path& path) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(path));
    for (std::streamoff at = size / 2; at < size / 2 + 4096; at += 61) {
        f.seekg(at);
        const char c = static_cast<char>(f.get());
        f.seekp(at);
        f.put(static_cast<char>(c ^ 0x3C));
    }
}

TEST(ReadInto, ADamagedFileIsReportedAndNoDestinationIsWritten) {
    const Weights w = float_weights();
    for (const la::Compression codec : {la::Compression::Lz4Frame, la::Compression::Zstd}) {
        SCOPED_TRACE(static_cast<int>(codec));
        const auto path = written("damaged.arrow", w, codec);
        damage(path);
        // The file checksum covers every compressed byte: opening says so.
        EXPECT_THROW(open_model_row(path), CorruptionError);
        EXPECT_THROW(read_model_row(path), CorruptionError);
        // Without that check, the values are checked before any destination is written.
        ModelReadOptions r;
        r.verify_metadata = false;
        const OpenModelRow open = open_model_row(path, r);
        auto into = destinations_for(open, 0xCD);
        try {
            read_weights_into(open, spans(into));
            ADD_FAILURE() << "damaged values were read";
        } catch (const FormatError& e) {
            EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        } catch (const CorruptionError& e) {
            EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
        }
        for (const auto& d : into) EXPECT_EQ(std::count(d.begin(), d.end(), 0xCD), static_cast<long>(d.size()));
    }
}

// A file forged to pass its file checksum: compressed bytes changed, and the recorded file
// checksum replaced by the one of the changed file (the reader's own error message gives it).
// Only such a file can fail after the first destination byte, and the error says so.
TEST(ReadInto, AForgedFileThatPassesItsFileChecksumIsACorruptionErrorSayingSo) {
    const Weights w = float_weights();
    const auto path = written("forged.arrow", w, la::Compression::Lz4Frame);
    damage(path);
    std::string actual;
    try {
        (void)open_model_row(path);
        FAIL() << "the damage was not seen";
    } catch (const CorruptionError& e) {
        const std::string what = e.what();
        const auto at = what.find("actual ");
        ASSERT_NE(at, std::string::npos) << what;
        actual = what.substr(at + 7, 16);
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const std::string key = "\"file\":\"";
    int replaced = 0;
    for (size_t at = bytes.find(key); at != std::string::npos; at = bytes.find(key, at + 1), ++replaced)
        bytes.replace(at + key.size(), 16, actual);
    ASSERT_EQ(replaced, 2);  // the schema message and the footer
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

    const OpenModelRow open = open_model_row(path);  // the file checksum now matches
    auto into = destinations_for(open, 0);
    try {
        read_weights_into(open, spans(into));
        FAIL() << "forged values were read";
    } catch (const CorruptionError& e) {
        EXPECT_NE(std::string(e.what()).find("partly written"), std::string::npos) << e.what();
    }
    // Opened without the file checksum's check, it is found before anything is written.
    ModelReadOptions r;
    r.verify_metadata = false;
    const OpenModelRow unchecked = open_model_row(path, r);
    auto kept = destinations_for(unchecked, 0x42);
    EXPECT_THROW(read_weights_into(unchecked, spans(kept)), FormatError);
    for (const auto& d : kept) EXPECT_EQ(std::count(d.begin(), d.end(), 0x42), static_cast<long>(d.size()));
}

}  // namespace
