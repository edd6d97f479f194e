// The IPC entry points that touch files and iostreams. Reading a path loads the whole file into
// one aligned Buffer; keep it that way behind read_whole_file so memory mapping can replace it.
// Writing a path replaces the file atomically (atomic_file.hpp).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

#include "atomic_file.hpp"
#include "ipc_writer.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string system_error() { return std::strerror(errno); }

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
    explicit AtomicFileSink(detail::AtomicFile& file) : file_(file) { pending_.reserve(kGather); }
    void write(std::span<const uint8_t> b) override {
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

private:
    static constexpr size_t kDirect = size_t{64} << 10;
    static constexpr size_t kGather = size_t{1} << 20;
    detail::AtomicFile& file_;
    std::vector<uint8_t> pending_;
};

// Prefixes format errors with the file's path, keeping their type.
template <class F>
Table reading(const std::filesystem::path& path, F&& f) {
    try {
        return f();
    } catch (const CorruptionError& e) {
        throw CorruptionError(path.string() + ": " + e.what());
    } catch (const FormatError& e) {
        throw FormatError(path.string() + ": " + e.what());
    } catch (const UnsupportedError& e) {
        throw UnsupportedError(path.string() + ": " + e.what());
    }
}

}  // namespace

Buffer read_whole_file(const std::filesystem::path& path) {
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) throw IoError(path, "cannot open: " + system_error());
    if (std::fseek(f.get(), 0, SEEK_END) != 0) throw IoError(path, "cannot seek: " + system_error());
    const long size = std::ftell(f.get());
    if (size < 0) throw IoError(path, "cannot tell the size: " + system_error());
    if (std::fseek(f.get(), 0, SEEK_SET) != 0) throw IoError(path, "cannot seek: " + system_error());
    Buffer out = Buffer::allocate(size);
    errno = 0;
    if (size > 0 && std::fread(out.mutable_data(), 1, static_cast<size_t>(size), f.get()) != static_cast<size_t>(size))
        throw IoError(path, "read failed: " + (errno ? system_error() : std::string("the file got shorter")));
    return out;
}

Table read_file(const std::filesystem::path& path, const ReadOptions& options, IpcFileInfo* info) {
    const Buffer bytes = read_whole_file(path);
    return reading(path, [&] { return read_file(bytes, options, info); });
}

Table read_any(const std::filesystem::path& path, const ReadOptions& options, IpcFileInfo* info) {
    const Buffer bytes = read_whole_file(path);
    return reading(path, [&] { return read_any(bytes, options, info); });
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
    detail::AtomicFile file(path, options.durable);  // removes its temporary file unless committed
    AtomicFileSink sink(file);
    detail::write_ipc(sink, table, options, true);
    sink.flush();
    file.commit();
}

}  // namespace legolasflux::arrow
