#include "checksums.hpp"

#include <xxhash.h>

#include <bit>
#include <memory>
#include <nlohmann/json.hpp>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::detail {

namespace {

// FlatArray values are held in the machine's byte order, which the definition fixes as little-endian
// (Arrow data is little-endian throughout this library).
static_assert(std::endian::native == std::endian::little, "the checksum hashes values as little-endian bytes");

constexpr std::string_view kAlgorithm = "xxh3-64";

struct StateFree {
    void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
};

uint64_t checksum(const Weights& w) {
    std::unique_ptr<XXH3_state_t, StateFree> state(XXH3_createState());
    if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) throw std::bad_alloc();
    for (const FlatArray& a : w.arrays)
        if (a.byte_count() > 0) XXH3_64bits_update(state.get(), a.values.data(), static_cast<size_t>(a.byte_count()));
    return XXH3_64bits_digest(state.get());
}

std::string hex(uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = digits[v & 15];
    return s;
}

// The row's checksum, or nullopt for a missing Weights.
std::optional<uint64_t> row_checksum(const arrow::Field& field, const arrow::Array& column, int64_t row) {
    const auto w = weights_from_arrow(field, column, row);
    if (!w) return std::nullopt;
    return checksum(*w);
}

bool records_weights(const arrow::Field& f) { return f.type.id != arrow::TypeId::Null && is_weights_field(f); }

}  // namespace

std::string weights_checksums(const arrow::Table& table) {
    nlohmann::json columns = nlohmann::json::object();
    const auto& fields = table.schema->fields;
    for (size_t k = 0; k < fields.size(); ++k) {
        if (!records_weights(fields[k])) continue;
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i) {
                const auto c = row_checksum(fields[k], *batch.columns[k], i);
                rows.push_back(c ? nlohmann::json(hex(*c)) : nlohmann::json());
            }
        columns[fields[k].name] = std::move(rows);
    }
    return nlohmann::json{{"algorithm", kAlgorithm}, {"columns", std::move(columns)}}.dump();
}

void verify_weights_checksums(const std::string& source, const arrow::Table& table, std::string_view value) {
    const std::string where = source + ": schema metadata " + std::string(kChecksumsMetadataKey) + ": ";
    const auto malformed = [&](const std::string& what) { return FormatError(where + what); };
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) throw malformed("not a JSON object");
    const auto algorithm = j.find("algorithm");
    const auto columns = j.find("columns");
    if (algorithm == j.end() || !algorithm->is_string() || columns == j.end() || !columns->is_object())
        throw malformed("expected {\"algorithm\": string, \"columns\": object}");
    if (algorithm->get<std::string>() != kAlgorithm)
        throw UnsupportedError(where + "unknown checksum algorithm '" + algorithm->get<std::string>() +
                               "' (read with verify_checksums off to skip the check)");

    const auto& fields = table.schema->fields;
    const int64_t num_rows = table.num_rows();
    for (const auto& [name, rows] : columns->items()) {
        size_t k = 0;
        while (k < fields.size() && fields[k].name != name) ++k;
        if (k == fields.size() || !records_weights(fields[k]))
            throw malformed("names column '" + name + "', which is not a Weights column of the table");
        if (!rows.is_array() || static_cast<int64_t>(rows.size()) != num_rows)
            throw malformed("column '" + name + "' needs one entry per row (" + std::to_string(num_rows) + ")");
        int64_t row = 0;
        for (const auto& batch : table.batches)
            for (int64_t i = 0; i < batch.length; ++i, ++row) {
                const nlohmann::json& entry = rows[static_cast<size_t>(row)];
                if (!entry.is_null() && !(entry.is_string() && entry.get_ref<const std::string&>().size() == 16 &&
                                          entry.get_ref<const std::string&>().find_first_not_of(
                                              "0123456789abcdef") == std::string::npos))
                    throw malformed("column '" + name + "' row " + std::to_string(row) +
                                    ": expected 16 lowercase hex digits or null");
                const auto actual = row_checksum(fields[k], *batch.columns[k], i);
                const std::string expected = entry.is_null() ? "none (missing weights)" : entry.get<std::string>();
                const std::string got = actual ? hex(*actual) : "none (missing weights)";
                if (expected != got)
                    throw CorruptionError(source + ": weights column '" + name + "' row " + std::to_string(row) +
                                          ": checksum mismatch (" + std::string(kAlgorithm) + "): expected " +
                                          expected + ", actual " + got);
            }
    }
}

}  // namespace legolasflux::detail
