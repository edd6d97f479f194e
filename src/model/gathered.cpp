#include "gathered.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>

#include "legolasflux/errors.hpp"

namespace legolasflux::detail {

arrow::Buffer reserved_address_space(int64_t size) {
    const auto length = static_cast<size_t>(size);
    void* memory = ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    std::shared_ptr<const void> owner(memory, [length](const void* p) { ::munmap(const_cast<void*>(p), length); });
    return arrow::Buffer(std::move(owner), static_cast<const uint8_t*>(memory), size);
}

Gathered gather(std::vector<arrow::Buffer> parts) {
    int64_t size = 0;
    for (const arrow::Buffer& p : parts) size += p.size();
    Gathered g;
    g.parts = std::move(parts);
    if (size > 0) g.stand_in = reserved_address_space(size);
    return g;
}

std::vector<arrow::Buffer> resolved(const arrow::Buffer& b, std::span<const Gathered> gathered) {
    const auto at = reinterpret_cast<uintptr_t>(b.data());
    for (const Gathered& g : gathered) {
        const auto base = reinterpret_cast<uintptr_t>(g.stand_in.data());
        if (b.empty() || !base || at < base || at - base >= static_cast<uintptr_t>(g.stand_in.size())) continue;
        std::vector<arrow::Buffer> out;
        int64_t skip = static_cast<int64_t>(at - base), want = b.size();
        for (const arrow::Buffer& part : g.parts) {
            if (want == 0) break;
            if (skip >= part.size()) {
                skip -= part.size();
                continue;
            }
            const int64_t take = std::min(want, part.size() - skip);
            out.push_back(part.slice(skip, take));
            skip = 0;
            want -= take;
        }
        if (want != 0) throw Error("internal error: a buffer overruns the gathered buffer it starts in");
        return out;
    }
    return {b};
}

std::vector<std::span<const uint8_t>> resolved(std::span<const uint8_t> b, std::span<const Gathered> gathered) {
    std::vector<std::span<const uint8_t>> out;
    // A view without an owner: only its address and size are looked at.
    for (const arrow::Buffer& piece :
         resolved(arrow::Buffer(nullptr, b.data(), static_cast<int64_t>(b.size())), gathered))
        out.push_back(piece.span());
    return out;
}

arrow::BodyPieces GatheringEncoder::encode(const arrow::Buffer& buffer, const arrow::WriteOptions& options) {
    const std::vector<arrow::Buffer> parts = resolved(buffer, gathered_);
    if (options.compression == arrow::Compression::None) return arrow::encode_body_buffer(parts, options);
    const auto key = std::make_pair(buffer.data(), buffer.size());
    if (const auto it = compressed_.find(key); it != compressed_.end()) return it->second.second;
    arrow::BodyPieces pieces = arrow::encode_body_buffer(parts, options);
    compressed_.emplace(key, std::make_pair(buffer, pieces));
    return pieces;
}

namespace {

class AppendingStream final : public arrow::OutputStream {
public:
    explicit AppendingStream(common::AtomicFile& file) : appender_(file) {}
    void write(std::span<const uint8_t> b) override { appender_.write(b); }
    void flush() { appender_.flush(); }
    int64_t written() const noexcept { return appender_.written(); }

private:
    common::GatheringAppender appender_;
};

}  // namespace

void write_file_encoded(const std::filesystem::path& path, const arrow::Table& table,
                        const arrow::WriteOptions& options, arrow::BodyEncoder& encoder,
                        const std::function<void(common::AtomicFile&, int64_t)>& before_commit) {
    common::AtomicFile file(path, options.durable);  // removes its temporary file unless committed
    AppendingStream out(file);
    arrow::write_file(out, table, options, &encoder);
    out.flush();
    if (before_commit) before_commit(file, out.written());
    file.commit();
}

}  // namespace legolasflux::detail
