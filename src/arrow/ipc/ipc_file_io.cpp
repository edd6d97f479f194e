// The IPC entry points that touch files and iostreams. Reading a path maps (or reads) the whole
// file into one Buffer (file_read.cpp) and reads that.
// Writing a path replaces the file atomically (atomic_file.hpp).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

#include "common/atomic_file.hpp"
#include "common/error_context.hpp"
#include "ipc_writer.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

class VectorSink final : public OutputStream {
public:
    std::vector<uint8_t> bytes;
    void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

class StreamSink final : public OutputStream {
public:
    explicit StreamSink(std::ostream& out) : out_(out) {}
    void write(std::span<const uint8_t> b) override {
        out_.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        if (!out_) throw Error("writing the Arrow IPC output stream failed");
    }

private:
    std::ostream& out_;
};

class AtomicFileSink final : public OutputStream {
public:
    explicit AtomicFileSink(common::AtomicFile& file) : appender_(file) {}
    void write(std::span<const uint8_t> b) override { appender_.write(b); }
    void flush() { appender_.flush(); }

private:
    common::GatheringAppender appender_;
};

}  // namespace

Table read_file(const std::filesystem::path& path, const ReadOptions& options, IpcFileInfo* info) {
    const Buffer bytes = read_whole_file(path, options.file_access);
    return common::with_context(path.string(), [&] { return read_file(bytes, options, info); });
}

Table read_any(const std::filesystem::path& path, const ReadOptions& options, IpcFileInfo* info) {
    const Buffer bytes = read_whole_file(path, options.file_access);
    return common::with_context(path.string(), [&] { return read_any(bytes, options, info); });
}

std::vector<uint8_t> write_file(const Table& table, const WriteOptions& options) {
    VectorSink sink;
    detail::write_ipc(sink, table, options, true);
    return std::move(sink.bytes);
}

std::vector<uint8_t> write_stream(const Table& table, const WriteOptions& options) {
    VectorSink sink;
    detail::write_ipc(sink, table, options, false);
    return std::move(sink.bytes);
}

void write_file(std::ostream& out, const Table& table, const WriteOptions& options) {
    StreamSink sink(out);
    detail::write_ipc(sink, table, options, true);
}

void write_stream(std::ostream& out, const Table& table, const WriteOptions& options) {
    StreamSink sink(out);
    detail::write_ipc(sink, table, options, false);
}

void write_file(const std::filesystem::path& path, const Table& table, const WriteOptions& options) {
    common::AtomicFile file(path, options.durable);  // removes its temporary file unless committed
    AtomicFileSink sink(file);
    detail::write_ipc(sink, table, options, true);
    sink.flush();
    file.commit();
}

}  // namespace legolasflux::arrow
