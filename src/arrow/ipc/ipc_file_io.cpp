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

class VectorSink final : public detail::Sink {
public:
    std::vector<uint8_t> bytes;
    void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

class StreamSink final : public detail::Sink {
public:
    explicit StreamSink(std::ostream& out) : out_(out) {}
    void write(std::span<const uint8_t> b) override {
        out_.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        if (!out_) throw Error("writing the Arrow IPC output stream failed");
    }

private:
    std::ostream& out_;
};

// Gathers the writer's many small pieces (message prefixes, padding) and hands them on with the
// large ones (array buffers, never copied) in few writev calls.
class AtomicFileSink final : public detail::Sink {
public:
    explicit AtomicFileSink(common::AtomicFile& file) : file_(file) { pending_.reserve(kGather); }
    void write(std::span<const uint8_t> b) override {
        written_ += static_cast<int64_t>(b.size());
        if (b.size() >= kDirect) {
            const std::span<const uint8_t> chunks[2] = {pending_, b};
            file_.write(std::span<const std::span<const uint8_t>>(chunks));
            pending_.clear();
            return;
        }
        if (pending_.size() + b.size() > kGather) flush();
        pending_.insert(pending_.end(), b.begin(), b.end());
    }
    void flush() {
        file_.write(std::span<const uint8_t>(pending_));
        pending_.clear();
    }
    int64_t written() const noexcept { return written_; }

private:
    static constexpr size_t kDirect = size_t{64} << 10;
    static constexpr size_t kGather = size_t{1} << 20;
    common::AtomicFile& file_;
    std::vector<uint8_t> pending_;
    int64_t written_ = 0;
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
    write_gathered_file(path, table, options, {});
}

namespace {

class PendingAtomicFile final : public PendingFile {
public:
    explicit PendingAtomicFile(common::AtomicFile& file) : file_(file) {}
    void read_at(int64_t offset, std::span<uint8_t> out) override { file_.read_at(offset, out); }
    void write_at(int64_t offset, std::span<const uint8_t> bytes) override { file_.write_at(offset, bytes); }

private:
    common::AtomicFile& file_;
};

}  // namespace

void write_gathered_file(const std::filesystem::path& path, const Table& table, const WriteOptions& options,
                         std::span<const Gathered> gathered, CompressionCache* cache,
                         const std::function<void(PendingFile&, int64_t)>& before_commit) {
    common::AtomicFile file(path, options.durable);  // removes its temporary file unless committed
    AtomicFileSink sink(file);
    detail::write_ipc(sink, table, options, true, gathered, cache);
    sink.flush();
    if (before_commit) {
        PendingAtomicFile pending(file);
        before_commit(pending, sink.written());
    }
    file.commit();
}

}  // namespace legolasflux::arrow
