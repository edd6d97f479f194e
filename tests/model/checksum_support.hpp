// Shared by the checksum tests: small model files, where their weight values lie, and the "file"
// checksum of docs/format.md ("Integrity") computed independently of the library, from the bytes.
#pragma once

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/model.hpp"
#include "support/bytes.hpp"
#include "support/ipc_walk.hpp"

namespace lftest {

inline std::filesystem::path checksum_temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("legolasflux_checksum_" + std::to_string(::getpid()) + "_" + name);
}

// A new file each time: ext4 flushes a file truncated and rewritten when it is closed, which would
// make thousands of rewrites slow.
inline void save_bytes(const std::filesystem::path& path, const Bytes& bytes) {
    std::filesystem::remove(path);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Two arrays, 17 values in all.
inline legolasflux::Weights small_weights() {
    std::vector<float> a(12), b(5);
    for (size_t i = 0; i < a.size(); ++i) a[i] = 0.5f + static_cast<float>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = -1.25f * static_cast<float>(i + 1);
    return legolasflux::Weights(
        {legolasflux::FlatArray::from_values<float>({3, 4}, a), legolasflux::FlatArray::from_values<float>({5}, b)});
}

// The values of `w` as the file stores them, one array after another.
inline Bytes value_bytes(const legolasflux::Weights& w) {
    Bytes out;
    for (const auto& a : w.arrays) out.insert(out.end(), a.values.data(), a.values.data() + a.byte_count());
    return out;
}

inline std::string hex16(uint64_t v) {
    char s[17];
    std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
    return s;
}

// A row's checksum by the definition of "xxh3-64-chunked": XXH3-64 of each MiB of the values,
// then XXH3-64 of those hashes, each as 8 little-endian bytes.
inline uint64_t chunked_xxh3(const Bytes& values) {
    constexpr size_t chunk = size_t{1} << 20;
    Bytes digests;
    for (size_t at = 0; at < values.size(); at += chunk) {
        const uint64_t d = XXH3_64bits(values.data() + at, std::min(chunk, values.size() - at));
        for (int i = 0; i < 8; ++i) digests.push_back(static_cast<uint8_t>(d >> (8 * i)));
    }
    return XXH3_64bits(digests.data(), digests.size());
}

// The byte range of the weights' values in an uncompressed model file of one Weights column (the
// first column): buffer 7 of the record batch (the weights struct, its list, the FlatArray struct,
// the vec list: 1 + 2 + 1 + 2 buffers, then the values' validity and data), checked against the
// values themselves.
inline std::pair<size_t, size_t> values_range(const Bytes& file, const legolasflux::Weights& w) {
    const FileWalk walk = walk_file(file);
    for (const auto& m : walk.messages) {
        if (m.message.header_type != kHeaderRecordBatch) continue;
        const RawBuffer b = m.message.batch.buffers.at(7);
        const size_t begin = m.body_offset + static_cast<size_t>(b.offset);
        const Bytes expected = value_bytes(w);
        if (static_cast<size_t>(b.length) < expected.size() ||
            !std::equal(expected.begin(), expected.end(), file.begin() + static_cast<std::ptrdiff_t>(begin)))
            throw std::runtime_error("the weights' values are not where expected");
        return {begin, begin + expected.size()};
    }
    throw std::runtime_error("no record batch");
}

// `t` with the checksums metadata key set to `value` (in the schema every batch shares).
inline legolasflux::arrow::Table with_checksums_value(legolasflux::arrow::Table t, const std::string& value) {
    auto schema = std::make_shared<legolasflux::arrow::Schema>(*t.schema);
    legolasflux::arrow::set_metadata(schema->metadata, std::string(legolasflux::kChecksumsMetadataKey), value);
    t.schema = schema;
    for (auto& b : t.batches) b.schema = schema;
    return t;
}

// The checksums value a model file records.
inline std::string recorded_value(const Bytes& file) {
    const auto t = legolasflux::arrow::read_file(exact_buffer(file));
    return std::string(
        legolasflux::arrow::find_metadata(t.schema->metadata, legolasflux::kChecksumsMetadataKey).value());
}

// The "file" entry of a checksums value.
inline std::string file_entry(const std::string& value) {
    const size_t at = value.find(R"("file":")");
    if (at == std::string::npos) throw std::runtime_error("no file checksum in " + value);
    return value.substr(at + 8, 16);
}

// A "holes" entry of one range.
inline std::string holes_entry(std::pair<size_t, size_t> range) {
    return R"([[")" + hex16(range.first) + R"(",")" + hex16(range.second - range.first) + R"("]])";
}

// The "file" checksum by the definition: every occurrence of `value` in the schema message's
// metadata and in the footer hashed as '0's, the bytes of `holes` ([begin, end) ranges) left out.
inline std::string reference_file_checksum(const Bytes& file, const std::string& value,
                                           std::vector<std::pair<size_t, size_t>> holes) {
    const FileWalk walk = walk_file(file);
    if (walk.messages.empty() || walk.messages[0].marker_offset != 8)
        throw std::runtime_error("no schema message at 8");
    Bytes masked = file;
    const auto mask = [&](size_t begin, size_t end) {
        const std::string region(file.begin() + static_cast<std::ptrdiff_t>(begin),
                                 file.begin() + static_cast<std::ptrdiff_t>(end));
        for (size_t at = region.find(value); at != std::string::npos; at = region.find(value, at + value.size()))
            std::fill_n(masked.begin() + static_cast<std::ptrdiff_t>(begin + at), value.size(), uint8_t{'0'});
    };
    mask(16, 16 + static_cast<size_t>(walk.messages[0].metadata_length));
    mask(walk.footer_offset, walk.footer_offset + static_cast<size_t>(walk.footer_length));
    std::sort(holes.rbegin(), holes.rend());
    for (const auto& [begin, end] : holes)
        masked.erase(masked.begin() + static_cast<std::ptrdiff_t>(begin),
                     masked.begin() + static_cast<std::ptrdiff_t>(end));
    return hex16(XXH3_64bits(masked.data(), masked.size()));
}

}  // namespace lftest
