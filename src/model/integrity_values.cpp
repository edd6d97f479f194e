// The values' checksums, where the values lie, and the metadata value: its format and its parsing
// (integrity.hpp, the bottom of the integrity unit).
#include <algorithm>
#include <bit>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <variant>

#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::detail {

namespace {

// FlatArray values are held in the machine's byte order, which the definition fixes as little-endian
// (Arrow data is little-endian throughout this library).
static_assert(std::endian::native == std::endian::little, "the checksum hashes values as little-endian bytes");

// The checksum of one piece-wise byte sequence cut into kChecksumChunk chunks (see integrity.hpp).
uint64_t chunked_checksum(std::span<const Bytes> all_pieces, unsigned threads) {
    std::vector<Bytes> pieces;
    std::vector<uint64_t> starts;  // of each piece in the sequence
    uint64_t total = 0;
    for (Bytes p : all_pieces)
        if (!p.empty()) {
            pieces.push_back(p);
            starts.push_back(total);
            total += p.size();
        }
    const size_t chunks = static_cast<size_t>((total + kChecksumChunk - 1) / kChecksumChunk);
    std::vector<uint64_t> digests(chunks);
    const unsigned workers = total >= common::kParallelMinimum ? threads : 1;
    common::parallel_for(chunks, workers, [&](size_t c) {
        const uint64_t begin = c * kChecksumChunk, end = std::min<uint64_t>(total, begin + kChecksumChunk);
        size_t p = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin()) - 1;
        uint64_t digest;
        if (end - starts[p] <= pieces[p].size()) {
            digest = XXH3_64bits(pieces[p].data() + (begin - starts[p]), end - begin);
        } else {  // the chunk spans pieces
            Xxh3 h;
            for (uint64_t at = begin; at < end; ++p) {
                const uint64_t take = std::min<uint64_t>(end, starts[p] + pieces[p].size()) - at;
                h.update(pieces[p].data() + (at - starts[p]), static_cast<int64_t>(take));
                at += take;
            }
            digest = h.digest();
        }
        digests[c] = digest;
    });
    return combine_chunk_digests(digests);
}

// The pieces of `row`'s values, read from the parts of a stand-in of `gathered`, or nullopt for
// a missing Weights. `keep` holds what the pieces of Bool values point to.
std::optional<std::vector<Bytes>> row_values(const arrow::Field& field, const arrow::Array& column, int64_t row,
                                             std::span<const Gathered> gathered, std::optional<Weights>& keep) {
    keep = weights_from_arrow(field, column, row);  // reads no value but Bools (never gathered)
    if (!keep) return std::nullopt;
    std::vector<Bytes> pieces;
    if (gathered.empty() || keep->element_type == ElementType::Bool) {
        for (const FlatArray& a : keep->arrays)
            pieces.emplace_back(a.values.data(), static_cast<size_t>(a.byte_count()));
    } else {
        for (const ValueSpan& v : value_spans(field, column, row))
            for (Bytes b : resolved(v.memory, gathered)) pieces.push_back(b);
    }
    return pieces;
}

// The row's checksum, or nullopt for a missing Weights.
std::optional<uint64_t> row_checksum(const arrow::Field& field, const arrow::Array& column, int64_t row,
                                     std::span<const Gathered> gathered, ChecksumAlgorithm algorithm,
                                     unsigned threads) {
    std::optional<Weights> keep;
    const auto pieces = row_values(field, column, row, gathered, keep);
    if (!pieces) return std::nullopt;
    return values_checksum(*pieces, algorithm, threads);
}

// Which child of a FlatArray struct is `vec`: by name when both are named, else the first (as
// weights_from_arrow decides).
size_t vec_index(const arrow::DataType& flat) {
    size_t vec = flat.children.size(), size = flat.children.size();
    for (size_t i = 0; i < flat.children.size(); ++i) {
        if (flat.children[i].name == "vec") vec = i;
        if (flat.children[i].name == "size") size = i;
    }
    return vec < flat.children.size() && size < flat.children.size() ? vec : 0;
}

bool is_hex16(const std::string& s) {
    return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The "file" and "holes" members of `j` (an object), or a description of what is wrong.
std::variant<std::optional<FileChecksum>, std::string> file_members(const nlohmann::json& j) {
    const auto file = j.find("file");
    const auto holes = j.find("holes");
    if (file == j.end() && holes == j.end()) return std::optional<FileChecksum>();
    if (file == j.end() || holes == j.end()) return std::string("\"file\" and \"holes\" go together");
    if (!file->is_string() || !is_hex16(file->get<std::string>()))
        return std::string("\"file\": expected 16 lowercase hex digits");
    if (!holes->is_array()) return std::string("\"holes\": expected an array");
    FileChecksum out{file->get<std::string>(), {}};
    int64_t end = 0;
    for (const nlohmann::json& h : *holes) {
        if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string() ||
            !is_hex16(h[0].get<std::string>()) || !is_hex16(h[1].get<std::string>()))
            return std::string("\"holes\": expected pairs of 16 lowercase hex digits (offset, length)");
        const uint64_t offset = std::stoull(h[0].get<std::string>(), nullptr, 16);
        const uint64_t length = std::stoull(h[1].get<std::string>(), nullptr, 16);
        if (offset < static_cast<uint64_t>(end) || length == 0 || offset > INT64_MAX / 2 || length > INT64_MAX / 2)
            return std::string("\"holes\": ranges must be non-empty, in order and not overlap");
        out.holes.push_back({static_cast<int64_t>(offset), static_cast<int64_t>(length)});
        end = static_cast<int64_t>(offset + length);
    }
    return std::optional<FileChecksum>(std::move(out));
}

}  // namespace

std::string_view algorithm_name(ChecksumAlgorithm algorithm) {
    return algorithm == ChecksumAlgorithm::Xxh3_64 ? "xxh3-64" : "xxh3-64-chunked";
}

uint64_t combine_chunk_digests(std::span<const uint64_t> digests) {
    std::vector<uint8_t> bytes(digests.size() * 8);
    for (size_t c = 0; c < digests.size(); ++c)
        for (int i = 0; i < 8; ++i) bytes[c * 8 + static_cast<size_t>(i)] = static_cast<uint8_t>(digests[c] >> (8 * i));
    return XXH3_64bits(bytes.data(), bytes.size());
}

uint64_t values_checksum(std::span<const Bytes> pieces, ChecksumAlgorithm algorithm, unsigned threads) {
    if (algorithm == ChecksumAlgorithm::Xxh3_64Chunked) return chunked_checksum(pieces, threads);
    Xxh3 h;
    for (Bytes p : pieces) h.update(p.data(), static_cast<int64_t>(p.size()));
    return h.digest();
}

std::string hex16(uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = digits[v & 15];
    return s;
}

bool records_weights(const arrow::Field& f) { return f.type.id != arrow::TypeId::Null && is_weights_field(f); }

std::vector<ValueSpan> value_spans(const arrow::Field& field, const arrow::Array& column, int64_t row) {
    const std::optional<Weights> w = weights_from_arrow(field, column, row);
    if (!w || w->element_type == ElementType::Bool) return {};
    const arrow::Array& list = *column.children[0];
    const arrow::Array& flat = *list.children[0];
    const arrow::Array& vec = *flat.children[vec_index(flat.type)];
    const arrow::Array& values = *vec.children[0];
    const int64_t width = element_size(w->element_type);
    const auto [first, last] = list.list_range(column.offset + row);  // as weights_from_arrow walks it
    std::vector<ValueSpan> out;
    for (int64_t k = first; k < last; ++k) {
        const auto [v0, v1] = vec.list_range(flat.offset + k);
        if (v1 > v0)
            out.push_back(
                {Bytes(values.buffers[1].data() + (values.offset + v0) * width, static_cast<size_t>((v1 - v0) * width)),
                 values.offset + v0, values.offset + v1});
    }
    return out;
}

const arrow::Buffer* vec_values_buffer(const arrow::Field& field, const arrow::Array& column) {
    using arrow::TypeId;
    // As value_spans walks it: Weights struct -> `weights` list -> FlatArray struct -> `vec` list.
    const auto is_list = [](const arrow::DataType& t) { return t.id == TypeId::List || t.id == TypeId::LargeList; };
    if (!records_weights(field) || column.type.id != TypeId::Struct || column.children.size() != 1) return nullptr;
    const arrow::Array& list = *column.children[0];
    if (!is_list(list.type) || list.children.size() != 1) return nullptr;
    const arrow::Array& flat = *list.children[0];
    if (flat.type.id != TypeId::Struct || flat.children.size() != 2) return nullptr;
    const arrow::Array& vec = *flat.children[vec_index(flat.type)];
    if (!is_list(vec.type) || vec.children.size() != 1 || vec.children[0]->buffers.size() < 2) return nullptr;
    return &vec.children[0]->buffers[1];
}

namespace {

// Sorted, overlapping and adjacent ranges joined.
template <class Range, class Begin, class End, class Make>
std::vector<Range> merged(std::vector<Range> ranges, Begin begin, End end, Make make) {
    std::sort(ranges.begin(), ranges.end(), [&](const Range& a, const Range& b) { return begin(a) < begin(b); });
    std::vector<Range> out;
    for (const Range& r : ranges) {
        if (!out.empty() && begin(r) <= end(out.back()))
            out.back() = make(begin(out.back()), std::max(end(out.back()), end(r)));
        else
            out.push_back(r);
    }
    return out;
}

uintptr_t begin_of(Bytes b) { return reinterpret_cast<uintptr_t>(b.data()); }
uintptr_t end_of(Bytes b) { return reinterpret_cast<uintptr_t>(b.data()) + b.size(); }

// The memory the weight values are written from, how many runs of the file they make and how many
// bytes (both from the values' element ranges: each run of adjacent elements of a column is
// written as one run of bytes, from one buffer or from the parts of a gathered one).
Holes value_holes(const arrow::Table& table, const arrow::WriteOptions& options, std::span<const Gathered> gathered) {
    Holes holes;
    if (options.compression != arrow::Compression::None) return holes;
    const auto& fields = table.schema->fields;
    for (const auto& batch : table.batches)
        for (size_t k = 0; k < fields.size(); ++k) {
            if (!records_weights(fields[k])) continue;
            std::vector<std::pair<int64_t, int64_t>> elements;
            int64_t width = 0;
            for (int64_t i = 0; i < batch.length; ++i)
                for (const ValueSpan& v : value_spans(fields[k], *batch.columns[k], i)) {
                    elements.emplace_back(v.first, v.last);
                    width = static_cast<int64_t>(v.memory.size()) / (v.last - v.first);
                    for (Bytes b : resolved(v.memory, gathered)) holes.memory.push_back(b);
                }
            const auto runs = merged(
                std::move(elements), [](const auto& r) { return r.first; }, [](const auto& r) { return r.second; },
                [](int64_t b, int64_t e) { return std::pair(b, e); });
            holes.runs += runs.size();
            for (const auto& [b, e] : runs) holes.bytes += (e - b) * width;
        }
    holes.memory = merged(std::move(holes.memory), begin_of, end_of,
                          [](uintptr_t b, uintptr_t e) { return Bytes(reinterpret_cast<const uint8_t*>(b), e - b); });
    return holes;
}

}  // namespace

std::vector<FileRange> merged_ranges(std::vector<FileRange> ranges) {
    return merged(
        std::move(ranges), [](const FileRange& r) { return r.offset; },
        [](const FileRange& r) { return r.offset + r.length; },
        [](int64_t b, int64_t e) {
            return FileRange{b, e - b};
        });
}

namespace {

// The "columns" JSON with `entry(field, column, row)` for each row: a checksum, or nullopt.
template <class F>
std::string columns_json(const arrow::Table& table, F&& entry) {
    nlohmann::json columns = nlohmann::json::object();
    const auto& fields = table.schema->fields;
    for (size_t k = 0; k < fields.size(); ++k) {
        if (!records_weights(fields[k])) continue;
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i) {
                const std::optional<uint64_t> c = entry(fields[k], *batch.columns[k], i);
                rows.push_back(c ? nlohmann::json(hex16(*c)) : nlohmann::json());
            }
        columns[fields[k].name] = std::move(rows);
    }
    return columns.dump();
}

}  // namespace

std::string weights_checksums(const arrow::Table& table, std::span<const Gathered> gathered, unsigned threads) {
    return columns_json(table, [&](const arrow::Field& field, const arrow::Array& column, int64_t row) {
        return row_checksum(field, column, row, gathered, kChecksumAlgorithm, threads);
    });
}

ChecksumsDraft draft_checksums(const arrow::Table& table, const arrow::WriteOptions& options,
                               std::span<const Gathered> gathered) {
    ChecksumsDraft draft;
    // Every checksum 0, computed without hashing: the numbers come later, in place.
    draft.columns = columns_json(table, [](const arrow::Field& field, const arrow::Array& column, int64_t row) {
        return weights_from_arrow(field, column, row) ? std::optional<uint64_t>(0) : std::nullopt;
    });
    draft.holes = value_holes(table, options, gathered);
    draft.length = checksums_value(draft.columns, 0, std::vector<FileRange>(draft.holes.runs)).size();
    return draft;
}

std::string checksums_value(const std::string& columns, uint64_t file, const std::vector<FileRange>& holes) {
    std::string out = R"({"algorithm":")" + std::string(algorithm_name(kChecksumAlgorithm)) + R"(","columns":)" +
                      columns + R"(,"file":")" + hex16(file) + R"(","holes":[)";
    for (size_t i = 0; i < holes.size(); ++i)
        out += (i ? R"(,[")" : R"([")") + hex16(static_cast<uint64_t>(holes[i].offset)) + R"(",")" +
               hex16(static_cast<uint64_t>(holes[i].length)) + R"("])";
    return out + "]}";
}

RecordedChecksums parse_checksums(const std::string& source, const arrow::Table& table, std::string_view value) {
    const std::string where = source + ": schema metadata " + std::string(kChecksumsMetadataKey) + ": ";
    const auto malformed = [&](const std::string& what) { return FormatError(where + what); };
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) throw malformed("not a JSON object");
    const auto algorithm = j.find("algorithm");
    const auto columns = j.find("columns");
    if (algorithm == j.end() || !algorithm->is_string() || columns == j.end() || !columns->is_object())
        throw malformed("expected {\"algorithm\": string, \"columns\": object}");
    for (const auto& [member, _] : j.items())
        if (member != "algorithm" && member != "columns" && member != "file" && member != "holes")
            throw malformed("unknown member \"" + member + "\"");
    RecordedChecksums out;
    if (algorithm->get<std::string>() == algorithm_name(ChecksumAlgorithm::Xxh3_64Chunked))
        out.algorithm = ChecksumAlgorithm::Xxh3_64Chunked;
    else if (algorithm->get<std::string>() == algorithm_name(ChecksumAlgorithm::Xxh3_64))
        out.algorithm = ChecksumAlgorithm::Xxh3_64;
    else
        throw UnsupportedError(where + "unknown checksum algorithm '" + algorithm->get<std::string>() +
                               "' (read with verify_checksums and verify_metadata off to skip the checks)");
    auto file = file_members(j);
    if (const std::string* what = std::get_if<std::string>(&file)) throw malformed(*what);
    out.file = std::move(std::get<0>(file));

    const auto& fields = table.schema->fields;
    const int64_t num_rows = table.num_rows();
    for (const auto& [name, rows] : columns->items()) {
        size_t k = 0;
        while (k < fields.size() && fields[k].name != name) ++k;
        if (k == fields.size() || !records_weights(fields[k]))
            throw malformed("names column '" + name + "', which is not a Weights column of the table");
        if (!rows.is_array() || static_cast<int64_t>(rows.size()) != num_rows)
            throw malformed("column '" + name + "' needs one entry per row (" + std::to_string(num_rows) + ")");
        RecordedChecksums::Column column{k, {}};
        for (size_t row = 0; row < rows.size(); ++row) {
            const nlohmann::json& entry = rows[row];
            if (entry.is_null()) {
                column.rows.emplace_back();
                continue;
            }
            if (!entry.is_string() || !is_hex16(entry.get<std::string>()))
                throw malformed("column '" + name + "' row " + std::to_string(row) +
                                ": expected 16 lowercase hex digits or null");
            column.rows.emplace_back(entry.get<std::string>());
        }
        out.columns.push_back(std::move(column));
    }
    return out;
}

std::optional<FileChecksum> parse_file_checksum(std::string_view value) {
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    auto file = file_members(j);
    if (std::holds_alternative<std::string>(file)) return std::nullopt;
    return std::get<0>(std::move(file));
}

void verify_weights_checksums(const std::string& source, const arrow::Table& table, const RecordedChecksums& recorded,
                              unsigned threads) {
    const auto& fields = table.schema->fields;
    for (const auto& column : recorded.columns) {
        const arrow::Field& field = fields[column.field];
        size_t row = 0;
        for (const auto& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i, ++row) {
                const auto actual =
                    row_checksum(field, *batch.columns[column.field], i, {}, recorded.algorithm, threads);
                const std::string none = "none (missing weights)";
                const std::string expected = column.rows[row].value_or(none);
                const std::string got = actual ? hex16(*actual) : none;
                if (expected != got)
                    throw CorruptionError(source + ": weights column '" + field.name + "' row " + std::to_string(row) +
                                          ": checksum mismatch (" + std::string(algorithm_name(recorded.algorithm)) +
                                          "): expected " + expected + ", actual " + got);
            }
    }
}

bool only_weight_values_deferred(const arrow::Table& table, std::span<const DeferredBuffer> deferred,
                                 std::string_view column) {
    std::vector<const uint8_t*> values;
    const auto& fields = table.schema->fields;
    for (size_t k = 0; k < fields.size(); ++k) {
        if (fields[k].name != column) continue;
        for (const arrow::RecordBatch& batch : table.batches)
            if (const arrow::Buffer* b = vec_values_buffer(fields[k], *batch.columns[k])) values.push_back(b->data());
    }
    return std::all_of(deferred.begin(), deferred.end(), [&](const DeferredBuffer& d) {
        return std::find(values.begin(), values.end(), d.placeholder.data()) != values.end();
    });
}

}  // namespace legolasflux::detail
