// The IPC entry points that touch files and iostreams. Reading a path loads the whole file into
// one aligned Buffer; keep it that way behind read_whole_file so memory mapping can replace it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

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

class FileSink final : public detail::Sink {
public:
    FileSink(std::FILE* f, const std::filesystem::path& path) : file_(f), path_(path) {}
    void write(std::span<const uint8_t> b) override {
        if (std::fwrite(b.data(), 1, b.size(), file_) != b.size()) throw IoError(path_, "write failed: " + system_error());
    }

private:
    std::FILE* file_;
    const std::filesystem::path& path_;
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
    File f(std::fopen(path.c_str(), "wb"));
    if (!f) throw IoError(path, "cannot create: " + system_error());
    FileSink sink(f.get(), path);
    detail::write_ipc(sink, table, options, true);
    std::FILE* raw = f.release();
    if (std::fclose(raw) != 0) throw IoError(path, "close failed: " + system_error());
}

}  // namespace legolasflux::arrow
