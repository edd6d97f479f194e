// Arrow IPC: the file format ("ARROW1" … footer … "ARROW1") and the stream format (a sequence of
// encapsulated messages ending with an end-of-stream marker).
//
// Readers validate every message before trusting a byte of it: flatbuffer verification, bounds of
// every buffer inside the body, then (by default) a full validation of every array. Every failure
// is a FormatError (or UnsupportedError for a valid feature we do not implement) that names the
// message, the field path and the buffer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "legolasflux/arrow/array.hpp"
#include "legolasflux/arrow/validate.hpp"

namespace legolasflux::arrow {

class Decompressor;  // ipc_body.hpp
class BodyEncoder;   // ipc_body.hpp

// Limits applied to untrusted input. Everything a file could use to make us allocate or recurse is
// bounded here, and checked before any allocation it sizes.
struct IpcLimits {
    int max_nesting_depth = 64;
    int64_t max_metadata_size = int64_t{64} << 20;        // one message's flatbuffer
    int64_t max_fields = 100'000;                         // fields in a schema, all levels
    int64_t max_buffers = 1'000'000;                      // buffers in one record batch
    int64_t max_decompressed_buffer = int64_t{16} << 30;  // bytes a compressed buffer may claim
};

// How a file path is brought into memory. Map (the default) maps the file read-only: arrays of an
// uncompressed file with aligned buffers are views into the mapping (kept alive by shared
// ownership), so opening costs the metadata and untouched columns cost no memory. The mapping sees
// the file as it is: replacing it by rename (as every writer of this library does) is safe, but a
// program that truncates or rewrites the same file in place while it is mapped makes later reads
// of the vanished part fault (SIGBUS). Read copies the file into memory instead. Files that cannot
// be mapped (pipes, devices) are read either way.
enum class FileAccess : uint8_t { Map, Read };

struct ReadOptions {
    IpcLimits limits;
    FileAccess file_access = FileAccess::Map;
    // How far every array is validated before it is returned (validate.hpp). Framing, metadata and
    // the bounds of every buffer inside the message body are always checked.
    ValidationLevel validation = ValidationLevel::Full;
    // How compressed body buffers are decoded (ipc_body.hpp); null: each into memory of its own.
    std::shared_ptr<Decompressor> decompressor;
};

enum class Compression : uint8_t { None, Lz4Frame, Zstd };

enum class MetadataVersion : int16_t { V1 = 0, V2 = 1, V3 = 2, V4 = 3, V5 = 4 };

struct WriteOptions {
    // Every buffer starts at a multiple of this within the body (8, 16, 32 or 64).
    int32_t alignment = 64;
    Compression compression = Compression::None;
    // Codec level; 0 means the codec's default as Arrow C++ has it: LZ4's fast mode, Zstandard
    // level 1 (libzstd's own default is 3; level 1 decodes about 1.5 times faster).
    int compression_level = 0;
    // Threads that compress a large buffer (8 MiB and more); 0 means one per core. The output bytes
    // do not depend on it: a large buffer is always an LZ4 frame of independent 4 MiB blocks, or a
    // sequence of Zstandard frames of 4 MiB of content each, so that any reader can decode it on
    // several threads.
    int compression_threads = 0;
    MetadataVersion metadata_version = MetadataVersion::V5;
    // Writing to a path always goes through a temporary file in the same directory that is then
    // renamed over the target, so a crash or a full disk never leaves a partial file there. With
    // `durable`, the temporary file is fsynced before the rename and the directory after it, so
    // the new content also survives a system crash or power loss once the write returns. Turning
    // it off saves those syncs (e.g. for scratch files); ignored by writes to memory or streams.
    bool durable = true;
};

// What a read returns besides the table.
struct IpcFileInfo {
    // The version of the first message (the schema message). A file's footer may record an older
    // one (Arrow C++ 0.14 wrote V1 footers): it is reported only for a file without any message.
    MetadataVersion metadata_version = MetadataVersion::V5;
    bool is_file_format = true;
    int64_t num_dictionary_batches = 0;
    // Some record or dictionary batch declares body compression (its buffers are compressed).
    bool compressed = false;
};

// --- reading ---------------------------------------------------------------------------------
// The bytes must stay valid as long as the returned table: arrays may be views into them.
Table read_file(const Buffer& bytes, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);
Table read_stream(const Buffer& bytes, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);
// File or stream, told apart by the leading "ARROW1" magic.
Table read_any(const Buffer& bytes, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);
Table read_file(const std::filesystem::path& path, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);
Table read_any(const std::filesystem::path& path, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);
Table read_stream(std::istream& in, const ReadOptions& options = {}, IpcFileInfo* info = nullptr);

// The whole content of a file as a Buffer (see FileAccess). IoError with the path and the system's
// message when it cannot be opened or read.
Buffer read_whole_file(const std::filesystem::path& path, FileAccess access = FileAccess::Map);

// --- writing ---------------------------------------------------------------------------------
// The file format as Arrow.jl reads it: schema message first, every message with the FF FF FF FF
// continuation marker, dictionaries before the batches that use them, no end-of-stream marker
// before the footer. Writing to a path replaces the file atomically (see WriteOptions::durable);
// on any error (IoError naming the path, with the system's message) the previous file is untouched
// and no temporary file is left.
std::vector<uint8_t> write_file(const Table& table, const WriteOptions& options = {});
void write_file(const std::filesystem::path& path, const Table& table, const WriteOptions& options = {});
void write_file(std::ostream& out, const Table& table, const WriteOptions& options = {});
// The stream format, ending with the end-of-stream marker.
std::vector<uint8_t> write_stream(const Table& table, const WriteOptions& options = {});
void write_stream(std::ostream& out, const Table& table, const WriteOptions& options = {});

// Where a writer's bytes go, in order: the writers above are these with an output of their own.
class OutputStream {
public:
    virtual ~OutputStream() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};
// The file or stream format to `out`, each body buffer written as `encoder` says (ipc_body.hpp;
// null: the buffer's own bytes, compressed as `options` say).
void write_file(OutputStream& out, const Table& table, const WriteOptions& options = {},
                BodyEncoder* encoder = nullptr);
void write_stream(OutputStream& out, const Table& table, const WriteOptions& options = {},
                  BodyEncoder* encoder = nullptr);

}  // namespace legolasflux::arrow
