#include "legolasflux/read_into.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "common/parallel.hpp"
#include "common/parallel_copy.hpp"
#include "common/stream_copy.hpp"
#include "integrity.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/errors.hpp"
#include "model_read.hpp"

namespace legolasflux {

namespace {

using detail::kChecksumChunk;

struct OpenState {
    arrow::Buffer bytes;       // the whole file
    std::string source;        // its path, for messages
    bool prefix = true;        // whether the Arrow reader's messages need the source added
    ModelReadOptions options;  // as opened, without deferring
    // The arrays: their values, or views into the placeholder of `deferred`.
    std::optional<Weights> weights;
    // Whether the read left the weights' values compressed, and what it left when that is one
    // buffer (decode_into's case).
    bool values_deferred = false;
    std::optional<detail::DeferredBuffer> deferred;
    // What the file records for the weights (checked when options.verify_checksums).
    std::optional<std::string> checksum;
    // The file checksum covers every byte of the file (no holes) and was verified on opening.
    bool file_verified = false;
    detail::ChecksumAlgorithm algorithm = detail::kChecksumAlgorithm;
};

const OpenState& state_of(const OpenModelRow& open) {
    if (!open.state) throw InvalidArgument("read_weights_into: the OpenModelRow was not made by open_model_row");
    return *static_cast<const OpenState*>(open.state.get());
}

// Scratch buffers for decoding one part each, reused by whichever thread takes the next part.
class ScratchPool {
public:
    explicit ScratchPool(size_t size) : size_(size) {}
    std::vector<uint8_t> take() {
        const std::lock_guard lock(mutex_);
        if (free_.empty()) return std::vector<uint8_t>(size_);
        std::vector<uint8_t> b = std::move(free_.back());
        free_.pop_back();
        return b;
    }
    void give(std::vector<uint8_t> b) {
        const std::lock_guard lock(mutex_);
        free_.push_back(std::move(b));
    }

private:
    size_t size_;
    std::mutex mutex_;
    std::vector<std::vector<uint8_t>> free_;
};

// Copies whole arrays into their destinations, on every core for a large model.
void copy_into(const Weights& weights, std::span<const std::span<uint8_t>> destinations, int threads) {
    common::ParallelCopy copy;
    for (size_t i = 0; i < weights.size(); ++i)
        copy.add(destinations[i].data(), weights[i].values.data(), static_cast<size_t>(weights[i].values.size()));
    copy.run(threads, /*streamed=*/true);
}

// The row's values in the deferred buffer, and where each part of the buffer goes.
struct Layout {
    int64_t start = -1, end = -1;  // the row's values in the decoded buffer: [start, end)
    std::vector<int64_t> begins;   // of each array, from `start`
    std::vector<arrow::FramePart> parts;
    int64_t largest = 0;  // the largest part's output
};

// The layout of the weights in `s.deferred`, or nullopt when the arrays are not one after the other
// in it or its parts are not whole chunks (chunk boundaries, start + k MiB, must be part
// boundaries, so that each part hashes whole chunks).
std::optional<Layout> layout_of(const OpenState& s) {
    const detail::DeferredBuffer& d = *s.deferred;
    const uint8_t* base = d.placeholder.data();
    const int64_t whole = d.placeholder.size();
    Layout l;
    for (const FlatArray& a : s.weights->arrays) {
        const int64_t n = a.byte_count();
        const int64_t at = n == 0 ? l.end : a.values.data() - base;
        if (n > 0 && l.start < 0) l.start = l.end = at;
        if (n > 0 && (at != l.end || at < 0 || n > whole - at)) return std::nullopt;
        l.begins.push_back(l.start < 0 ? 0 : at - l.start);
        if (n > 0) l.end += n;
    }
    constexpr auto kChunk = static_cast<int64_t>(kChecksumChunk);
    if (l.start < 0 || l.start % kChunk != 0) return std::nullopt;
    auto parts = arrow::independent_parts(d.codec, d.frame.span(), whole);
    if (!parts || parts->empty()) return std::nullopt;
    for (size_t i = 0; i < parts->size(); ++i) {
        if (i + 1 < parts->size() && (*parts)[i].out_size % kChunk != 0) return std::nullopt;
        l.largest = std::max(l.largest, (*parts)[i].out_size);
    }
    l.parts = std::move(*parts);
    return l;
}

// Decodes part `p` into `scratch`, sets the digests of the chunks it holds (when `digests` is not
// empty) and, with `place`, copies the row's bytes in it into their destinations. False when the
// part does not decode. (Decoding into scratch memory that stays in the caches, hashing there and
// then streaming the bytes out measured faster than decoding straight into the tensors and hashing
// them there.)
bool decode_part_into(const OpenState& s, const Layout& l, const arrow::FramePart& p, bool place,
                      std::span<const std::span<uint8_t>> destinations, std::vector<uint8_t>& scratch,
                      std::span<uint64_t> digests) {
    const detail::DeferredBuffer& d = *s.deferred;
    if (!arrow::decode_part(d.codec, d.frame.span(), p, scratch.data())) return false;
    const int64_t lo = std::max(l.start, p.out_offset) - l.start;  // the row's bytes in the part
    const int64_t hi = std::min(l.end, p.out_offset + p.out_size) - l.start;
    if (lo >= hi) return true;
    const uint8_t* row = scratch.data() + (l.start + lo - p.out_offset);
    constexpr auto kChunk = static_cast<int64_t>(kChecksumChunk);
    if (!digests.empty())
        for (int64_t at = lo; at < hi; at += kChunk)
            digests[static_cast<size_t>(at / kChunk)] =
                XXH3_64bits(row + (at - lo), static_cast<size_t>(std::min(kChunk, hi - at)));
    if (!place) return true;
    const Weights& weights = *s.weights;
    // From the array holding the part's first byte of the row, every array the part reaches.
    auto k = static_cast<size_t>(std::upper_bound(l.begins.begin(), l.begins.end(), lo) - l.begins.begin()) - 1;
    for (; k < l.begins.size() && l.begins[k] < hi; ++k) {
        const int64_t a = std::max(lo, l.begins[k]), b = std::min(hi, l.begins[k] + weights[k].byte_count());
        if (a < b) common::stream_copy(destinations[k].data() + (a - l.begins[k]), row + (a - lo), size_t(b - a));
    }
    return true;
}

// Runs decode_part_into on every part, on `workers` threads; false when one does not decode.
bool decode_parts(const OpenState& s, const Layout& l, bool place, std::span<const std::span<uint8_t>> destinations,
                  std::span<uint64_t> digests, unsigned workers) {
    ScratchPool pool(static_cast<size_t>(l.largest));
    std::atomic<bool> decoded{true};
    common::parallel_for(l.parts.size(), workers, [&](size_t i) {
        if (!decoded) return;
        std::vector<uint8_t> scratch = pool.take();
        if (!decode_part_into(s, l, l.parts[i], place, destinations, scratch, digests)) decoded = false;
        pool.give(std::move(scratch));
    });
    return decoded;
}

// Decodes the deferred weights straight into `destinations`, every part on every core, hashing the
// row's values as the checksum defines. When the file checksum, which covers every compressed byte,
// was verified on opening, once: what is decoded is then what the writer compressed. Otherwise
// twice — first into scratch memory to check that everything decodes and matches its checksum,
// then into place — so that a damaged file leaves the destinations untouched. False, with nothing
// written, when the buffer is not shaped for this or the check fails: read_weights then reads the
// file the ordinary way, which says what is wrong.
bool decode_into(const OpenState& s, std::span<const std::span<uint8_t>> destinations, int threads) {
    const bool verify = s.options.verify_checksums && s.checksum;
    if (verify && s.algorithm != detail::ChecksumAlgorithm::Xxh3_64Chunked) return false;
    const std::optional<Layout> l = layout_of(s);
    if (!l) return false;
    const unsigned workers = common::thread_count(threads);
    constexpr auto kChunk = static_cast<int64_t>(kChecksumChunk);
    std::vector<uint64_t> digests(verify ? static_cast<size_t>((l->end - l->start + kChunk - 1) / kChunk) : 0);
    const auto matches = [&] {
        return !verify || detail::hex16(detail::combine_chunk_digests(digests)) == *s.checksum;
    };
    if (!s.file_verified) {
        // Every part, the ones outside the row's values too: a reader of the whole file decodes them.
        if (!decode_parts(s, *l, false, destinations, digests, workers) || !matches()) return false;
        if (!decode_parts(s, *l, true, destinations, {}, workers))
            throw Error(s.source +
                        ": the weights' values decoded when they were checked but not when they were loaded");
        return true;
    }
    if (!decode_parts(s, *l, true, destinations, digests, workers) || !matches())
        throw CorruptionError(s.source + ": weights column '" + std::string(kWeightsColumn) +
                              "' row 0: the values do not decode or do not match their checksum, although every "
                              "compressed byte matches the file checksum (a file written wrong, or checksums forged); "
                              "the destinations were partly written");
    return true;
}

}  // namespace

namespace {

OpenModelRow open_from(arrow::Buffer bytes, std::string source, bool prefix, const ModelReadOptions& options) {
    auto state = std::make_shared<OpenState>();
    state->bytes = std::move(bytes);
    state->source = std::move(source);
    state->prefix = prefix;
    state->options = options;
    detail::Deferral deferral;
    deferral.from = static_cast<int64_t>(common::kParallelMinimum);
    arrow::IpcFileInfo info;
    OpenModelRow open;
    open.row = detail::read_model_from(state->bytes, state->source, prefix, std::nullopt, options, &info, &deferral);
    state->weights = std::move(open.row.weights);
    open.row.weights.reset();
    if (state->weights) {
        std::vector<ArrayLayout> arrays;
        for (const FlatArray& a : state->weights->arrays) arrays.push_back({a.element_type, a.size, a.byte_count()});
        open.arrays = std::move(arrays);
    }
    state->values_deferred = !deferral.buffers.empty();
    if (!deferral.buffers.empty()) {
        // A model row is one row: its values are one buffer. Anything else is read whole.
        if (deferral.buffers.size() == 1) state->deferred = deferral.buffers.front();
        const auto& table = open.row.table;
        if (const auto value = arrow::find_metadata(table.schema->metadata, kChecksumsMetadataKey)) {
            const detail::RecordedChecksums recorded = detail::parse_checksums(state->source, table, *value);
            state->algorithm = recorded.algorithm;
            state->file_verified =
                options.verify_metadata && info.is_file_format && recorded.file && recorded.file->holes.empty();
            for (const auto& column : recorded.columns)
                if (table.schema->fields[column.field].name == kWeightsColumn && !column.rows.empty())
                    state->checksum = column.rows.front();
        }
    }
    open.state = std::move(state);
    return open;
}

}  // namespace

OpenModelRow open_model_row(const std::filesystem::path& path, const ModelReadOptions& options) {
    return open_from(arrow::read_whole_file(path, options.ipc.file_access), path.string(), true, options);
}

OpenModelRow open_model_row(const arrow::Buffer& bytes, const ModelReadOptions& options) {
    // As read_model_row: values are read in place only from 8-byte aligned memory.
    if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0)
        return open_from(arrow::Buffer::copy_of(bytes.data(), bytes.size()), "model bytes", false, options);
    return open_from(bytes, "model bytes", false, options);
}

std::optional<Weights> read_weights(const OpenModelRow& open, int threads) {
    const OpenState& s = state_of(open);
    if (!s.weights) return std::nullopt;
    if (!s.values_deferred) return s.weights;  // read and verified when opened
    ModelReadOptions options = s.options;
    options.threads = threads;
    return detail::read_model_from(s.bytes, s.source, s.prefix, std::nullopt, options).weights;
}

void read_weights_into(const OpenModelRow& open, std::span<const std::span<uint8_t>> destinations, int threads) {
    const OpenState& s = state_of(open);
    if (!open.arrays) throw InvalidArgument(s.source + ": the row's weights are missing: nothing to read");
    const std::vector<ArrayLayout>& arrays = *open.arrays;
    if (destinations.size() != arrays.size())
        throw InvalidArgument("read_weights_into: " + std::to_string(destinations.size()) + " destinations for " +
                              std::to_string(arrays.size()) + " arrays");
    for (size_t i = 0; i < arrays.size(); ++i)
        if (static_cast<int64_t>(destinations[i].size()) != arrays[i].byte_count)
            throw InvalidArgument("read_weights_into: destination " + std::to_string(i) + " holds " +
                                  std::to_string(destinations[i].size()) + " bytes, array " + std::to_string(i) +
                                  " has " + std::to_string(arrays[i].byte_count));
    if (s.deferred && decode_into(s, destinations, threads)) return;
    const std::optional<Weights> weights = read_weights(open, threads);
    copy_into(*weights, destinations, threads);
}

}  // namespace legolasflux
