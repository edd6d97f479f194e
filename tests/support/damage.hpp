// Where to damage an Arrow file written by write_model_row, for the tests of `verify`: its parts as
// named byte ranges (found by the test-side IPC decoder, not the library's reader), and copies of
// a file with one byte flipped.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/ipc_walk.hpp"

namespace lftest {

struct FileRegion {
    std::string name;
    size_t begin = 0, end = 0;  // [begin, end) of the file
};

// The parts of a model file of one record batch whose first column holds the weights:
// its magic numbers, the schema message's metadata, the record batch's metadata, the weights'
// values — one region per array (`array_bytes` each) when uncompressed, the compressed buffer as a
// whole otherwise —, the rest of the record batch's body and the footer.
inline std::vector<FileRegion> model_file_regions(const Bytes& file, const std::vector<size_t>& array_bytes) {
    const FileWalk walk = walk_file(file);
    std::vector<FileRegion> out{{"leading magic", 0, 6}};
    for (const FramedMessage& m : walk.messages) {
        const size_t metadata = m.marker_offset + 8;
        if (m.message.header_type != kHeaderRecordBatch) {
            out.push_back({"schema message metadata", metadata, metadata + static_cast<size_t>(m.metadata_length)});
            continue;
        }
        out.push_back({"record batch metadata", metadata, metadata + static_cast<size_t>(m.metadata_length)});
        // Buffer 7: the values of the `vec` lists (the weights struct, its list, the FlatArray
        // struct and the vec list hold buffers 0-5, then the values' validity and data).
        const RawBuffer values = m.message.batch.buffers.at(7);
        const size_t begin = m.body_offset + static_cast<size_t>(values.offset);
        const size_t end = begin + static_cast<size_t>(values.length);
        if (m.message.batch.compression_present) {
            out.push_back({"weights' values (compressed)", begin, end});
        } else {
            size_t at = begin;
            for (size_t k = 0; k < array_bytes.size(); ++k) {
                out.push_back({"weight array " + std::to_string(k) + " values", at, at + array_bytes[k]});
                at += array_bytes[k];
            }
        }
        out.push_back({"record batch body before the values", m.body_offset, begin});
    }
    out.push_back({"footer", walk.footer_offset, walk.footer_offset + static_cast<size_t>(walk.footer_length)});
    out.push_back({"trailing magic", file.size() - 6, file.size()});
    std::erase_if(out, [](const FileRegion& r) { return r.end <= r.begin; });
    return out;
}

// Up to `count` offsets spread over the region, its first and last byte included.
inline std::vector<size_t> offsets_in(const FileRegion& r, size_t count) {
    const size_t size = r.end - r.begin;
    std::vector<size_t> out;
    for (size_t i = 0; i < std::min(count, size); ++i)
        out.push_back(r.begin + (count >= size || count == 1 ? i : i * (size - 1) / (count - 1)));
    return out;
}

inline Bytes flipped(Bytes bytes, size_t offset) {
    bytes.at(offset) ^= 0xFF;
    return bytes;
}

// Flips every bit of the byte at `offset` of the file at `path`, in place.
inline void flip_byte(const std::filesystem::path& path, size_t offset) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(offset));
    const char c = static_cast<char>(f.get() ^ 0xff);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(c);
}

// Lines as one text, each ended by a newline: what a test prints of the cases that went unnoticed.
inline std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
}

}  // namespace lftest
