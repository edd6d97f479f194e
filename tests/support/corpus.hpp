// The integration-JSON corpus of tests/arrow/corpus: its case names and contents, shared by the
// tests that run every case.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "legolasflux/arrow/json.hpp"

namespace lftest {

inline std::filesystem::path corpus_dir() {
    return std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "tests" / "arrow" / "corpus";
}

// Every case, sorted by name.
inline std::vector<std::string> corpus_names() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(corpus_dir()))
        if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

inline std::string corpus_text(const std::string& name) {
    std::ifstream in(corpus_dir() / (name + ".json"), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline legolasflux::arrow::Table corpus_table(const std::string& name) {
    return legolasflux::arrow::read_json(corpus_text(name));
}

// The cases with a batch of two rows or more, which slicing changes.
inline std::vector<std::string> sliceable_corpus_names() {
    std::vector<std::string> out;
    for (const auto& name : corpus_names())
        for (const auto& batch : corpus_table(name).batches)
            if (batch.length >= 2) {
                out.push_back(name);
                break;
            }
    return out;
}

}  // namespace lftest
