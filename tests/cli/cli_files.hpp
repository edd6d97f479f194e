// Files the CLI tests feed to the binary: the Julia fixture (read-only, never touched), copies of
// it with one thing broken, and tables written by the library.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "legolasflux/arrow/ipc.hpp"

namespace lftest {

inline std::filesystem::path julia_model() {
    return std::filesystem::path(LEGOLASFLUX_JULIA_FIXTURES) / "test.digits-model.arrow";
}

inline std::filesystem::path corpus_json(const std::string& name) {
    return std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "tests" / "arrow" / "corpus" / (name + ".json");
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The Julia model with the file footer's magic destroyed: not an Arrow file any more.
inline std::filesystem::path corrupt_copy_of_julia_model(const std::filesystem::path& dir) {
    auto bytes = read_bytes(julia_model());
    for (size_t i = bytes.size() - 6; i < bytes.size(); ++i) bytes[i] = 'X';
    const auto path = dir / "corrupt.arrow";
    write_bytes(path, bytes);
    return path;
}

// The Julia model with one column removed, keeping the schema metadata (so it still claims to be
// a digits.model@1 table).
inline std::filesystem::path julia_model_without(const std::filesystem::path& dir, const std::string& column) {
    using namespace legolasflux::arrow;
    Table table = read_file(julia_model());
    auto schema = std::make_shared<Schema>(*table.schema);
    size_t index = 0;
    while (schema->fields[index].name != column) ++index;
    schema->fields.erase(schema->fields.begin() + static_cast<std::ptrdiff_t>(index));
    for (auto& batch : table.batches) {
        batch.columns.erase(batch.columns.begin() + static_cast<std::ptrdiff_t>(index));
        batch.schema = schema;
    }
    table.schema = schema;
    const auto path = dir / ("without_" + column + ".arrow");
    write_file(path, table);
    return path;
}

// The Julia model with column `target` replaced by the values (and type) of column `source`,
// under the old name: a retyped column.
inline std::filesystem::path julia_model_retyped(const std::filesystem::path& dir, const std::string& target,
                                                 const std::string& source) {
    using namespace legolasflux::arrow;
    Table table = read_file(julia_model());
    auto schema = std::make_shared<Schema>(*table.schema);
    auto index_of = [&](const std::string& name) {
        size_t i = 0;
        while (schema->fields[i].name != name) ++i;
        return i;
    };
    const size_t t = index_of(target), s = index_of(source);
    schema->fields[t] = schema->fields[s];
    schema->fields[t].name = target;
    for (auto& batch : table.batches) {
        batch.columns[t] = batch.columns[s];
        batch.schema = schema;
    }
    table.schema = schema;
    const auto path = dir / (target + "_as_" + source + ".arrow");
    write_file(path, table);
    return path;
}

}  // namespace lftest
