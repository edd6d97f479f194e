// Every file of the integration-JSON corpus (tests/arrow/corpus, written by generate.py) must
//   1. come back value for value through read_json → write_json (the files are canonical), and
//   2. survive the IPC file and stream formats with every codec: JSON → Table → IPC bytes →
//      read_any → write_json gives the file back, and a copy with every batch sliced (first and
//      last row dropped) reads back equal to the sliced table.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"
#include "legolasflux/errors.hpp"
#include "support/corpus.hpp"

namespace {

using namespace legolasflux::arrow;
using Json = nlohmann::json;
namespace fs = std::filesystem;

using lftest::corpus_names;
using lftest::corpus_text;
using lftest::sliceable_corpus_names;

// Empty when equal; otherwise the JSON pointer of the first difference and both values there.
std::string first_difference(const Json& expected, const Json& actual) {
    if (expected == actual) return {};
    const Json patch = Json::diff(expected, actual);
    if (patch.empty()) return "values differ but the diff is empty";
    const Json& op = patch[0];
    const std::string path = op.at("path").get<std::string>();
    std::string out =
        "first difference at " + (path.empty() ? std::string("/") : path) + " (" + op.at("op").get<std::string>() + ")";
    const Json::json_pointer ptr(path);
    auto show = [&](const Json& j) {
        if (!j.contains(ptr)) return std::string("<absent>");
        std::string s = j.at(ptr).dump();
        return s.size() > 300 ? s.substr(0, 300) + "…" : s;
    };
    out += "\n  expected: " + show(expected) + "\n  actual:   " + show(actual);
    out += "\n  (" + std::to_string(patch.size()) + " patch operations in all)";
    return out;
}

// ---- 1. read_json → write_json ----------------------------------------------------------------

class CorpusJson : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusJson, ReadThenWriteGivesTheFileBack) {
    const std::string text = corpus_text(GetParam());
    const Json original = Json::parse(text);
    const Table table = read_json(text);
    const Json written = Json::parse(write_json(table));
    EXPECT_TRUE(original == written) << first_difference(original, written);
}

TEST_P(CorpusJson, WriteIsStable) {
    // Writing what was written gives the same text: the output is a fixed point.
    const std::string once = write_json(read_json(corpus_text(GetParam())));
    EXPECT_EQ(once, write_json(read_json(once)));
}

// Every array in the data part of the file (columns, buffers, children, views), one at a time,
// loses its last entry: read_json must refuse each document with a FormatError, never crash.
void visit_arrays(Json& j, const std::string& key, const std::function<void(Json&, const std::string&)>& f) {
    if (j.is_array()) {
        f(j, key);
        for (auto& e : j) visit_arrays(e, key, f);
    } else if (j.is_object()) {
        for (auto& [k, v] : j.items()) visit_arrays(v, k, f);
    }
}

TEST_P(CorpusJson, TruncatedArraysAreFormatErrors) {
    const Json original = Json::parse(corpus_text(GetParam()));
    size_t paths = 0;
    auto count = [&](Json& a, const std::string& key) {
        // An empty column's OFFSET may be [] as well as [0]; everything else must be complete.
        if (!a.empty() && !(key == "OFFSET" && a.size() == 1)) ++paths;
    };
    Json scan = original;
    for (const char* part : {"batches", "dictionaries"})
        if (scan.contains(part))
            for (auto& e : scan[part]) visit_arrays(e, part, count);
    if (!original["batches"].empty()) EXPECT_GT(paths, 0u);
    for (size_t target = 0; target < paths; ++target) {
        Json doc = original;
        size_t seen = 0;
        std::string where;
        auto cut = [&](Json& a, const std::string& key) {
            if (a.empty() || (key == "OFFSET" && a.size() == 1)) return;
            if (seen++ == target) {
                where = key;
                a.erase(a.size() - 1);
            }
        };
        for (const char* part : {"batches", "dictionaries"})
            if (doc.contains(part))
                for (auto& e : doc[part]) visit_arrays(e, part, cut);
        EXPECT_THROW(read_json(doc.dump()), legolasflux::FormatError)
            << "array #" << target << " under \"" << where << "\"";
    }
}

std::string name_of(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusJson, ::testing::ValuesIn(corpus_names()), name_of);

// ---- 2. through IPC ------------------------------------------------------------------------------

using IpcCase = std::tuple<std::string, bool, Compression>;  // file, file format?, codec

const char* codec_name(Compression c) {
    switch (c) {
        case Compression::None: return "none";
        case Compression::Lz4Frame: return "lz4";
        case Compression::Zstd: return "zstd";
    }
    return "?";
}

std::string ipc_case_name(const ::testing::TestParamInfo<IpcCase>& info) {
    const auto& [name, file_format, codec] = info.param;
    return name + (file_format ? "_file_" : "_stream_") + codec_name(codec);
}

class CorpusIpc : public ::testing::TestWithParam<IpcCase> {
protected:
    // Writes the table in this case's format and codec and reads it back with read_any. `holder`
    // keeps the bytes alive, as the table may point into them.
    Table round_trip(const Table& table, Buffer& holder) {
        const auto& [name, file_format, codec] = GetParam();
        WriteOptions options;
        options.compression = codec;
        std::vector<uint8_t> bytes = file_format ? write_file(table, options) : write_stream(table, options);
        holder = Buffer::from_vector(std::move(bytes));
        IpcFileInfo info;
        Table back = read_any(holder, ReadOptions{}, &info);
        EXPECT_EQ(info.is_file_format, file_format);
        return back;
    }
};

TEST_P(CorpusIpc, JsonSurvivesIpc) {
    const std::string text = corpus_text(std::get<0>(GetParam()));
    const Json original = Json::parse(text);
    const Table table = read_json(text);
    Buffer bytes;
    const Table back = round_trip(table, bytes);
    ASSERT_EQ(back.batches.size(), table.batches.size());
    const Json written = Json::parse(write_json(back));
    EXPECT_TRUE(original == written) << first_difference(original, written);
}

class CorpusSlicedIpc : public CorpusIpc {};

TEST_P(CorpusSlicedIpc, SlicedBatchesSurviveIpc) {
    const Table table = read_json(corpus_text(std::get<0>(GetParam())));
    Table sliced;
    sliced.schema = table.schema;
    bool any_sliced = false;
    for (const RecordBatch& batch : table.batches) {
        RecordBatch b = batch;
        if (batch.length >= 2) {
            any_sliced = true;
            b.length = batch.length - 2;
            for (auto& column : b.columns) column = slice(column, 1, batch.length - 2);
        }
        sliced.batches.push_back(std::move(b));
    }
    ASSERT_TRUE(any_sliced);
    ASSERT_FALSE(table_equals(table, sliced)) << "slicing should have changed the table";
    Buffer bytes;
    const Table back = round_trip(sliced, bytes);
    EXPECT_EQ(back.num_rows(), sliced.num_rows());
    EXPECT_TRUE(table_equals(sliced, back)) << table_difference(sliced, back);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusIpc,
                         ::testing::Combine(::testing::ValuesIn(corpus_names()), ::testing::Bool(),
                                            ::testing::Values(Compression::None, Compression::Lz4Frame,
                                                              Compression::Zstd)),
                         ipc_case_name);
INSTANTIATE_TEST_SUITE_P(Corpus, CorpusSlicedIpc,
                         ::testing::Combine(::testing::ValuesIn(sliceable_corpus_names()), ::testing::Bool(),
                                            ::testing::Values(Compression::None, Compression::Lz4Frame,
                                                              Compression::Zstd)),
                         ipc_case_name);

// ---- 3. the corpus covers every type ------------------------------------------------------------

void collect(const DataType& t, std::set<std::string>& seen) {
    seen.insert(std::to_string(static_cast<int>(t.id)));
    switch (t.id) {
        case TypeId::Int: seen.insert("int" + std::to_string(t.bit_width) + (t.is_signed ? "s" : "u")); break;
        case TypeId::FloatingPoint: seen.insert("float" + std::to_string(static_cast<int>(t.precision))); break;
        case TypeId::Decimal: seen.insert("decimal" + std::to_string(t.bit_width)); break;
        case TypeId::Date: seen.insert("date" + std::to_string(static_cast<int>(t.date_unit))); break;
        case TypeId::Time: seen.insert("time" + std::to_string(static_cast<int>(t.time_unit))); break;
        case TypeId::Timestamp:
            seen.insert("timestamp" + std::to_string(static_cast<int>(t.time_unit)) + (t.timezone.empty() ? "" : "tz"));
            break;
        case TypeId::Duration: seen.insert("duration" + std::to_string(static_cast<int>(t.time_unit))); break;
        case TypeId::Interval: seen.insert("interval" + std::to_string(static_cast<int>(t.interval_unit))); break;
        case TypeId::Union: seen.insert(t.union_mode == UnionMode::Dense ? "dense" : "sparse"); break;
        case TypeId::RunEndEncoded: seen.insert("ree" + std::to_string(t.children[0].type.bit_width)); break;
        default: break;
    }
    for (const Field& c : t.children) collect(c.type, seen);
}

void collect(const Field& f, std::set<std::string>& seen, int depth, int& max_depth) {
    max_depth = std::max(max_depth, depth);
    collect(f.type, seen);
    if (f.dictionary) seen.insert("dictionary");
    if (f.extension_name()) seen.insert("extension");
    if (!f.metadata.empty()) seen.insert("field metadata");
    if (!f.nullable) seen.insert("non-nullable");
    for (const Field& c : f.type.children) collect(c, seen, depth + 1, max_depth);
}

TEST(CorpusCoverage, EveryTypeAndFeatureAppears) {
    std::set<std::string> seen;
    int max_depth = 0;
    for (const auto& name : corpus_names()) {
        const Table t = read_json(corpus_text(name));
        for (const Field& f : t.schema->fields) collect(f, seen, 0, max_depth);
        if (!t.schema->metadata.empty()) seen.insert("schema metadata");
        if (t.batches.size() > 1) seen.insert("several batches");
        if (t.batches.empty()) seen.insert("no batches");
        for (const auto& b : t.batches)
            if (b.length == 0) seen.insert("empty batch");
    }
    std::vector<std::string> wanted;
    for (int id = 0; id <= static_cast<int>(TypeId::RunEndEncoded); ++id) wanted.push_back(std::to_string(id));
    for (int bits : {8, 16, 32, 64})
        for (const char* s : {"s", "u"}) wanted.push_back("int" + std::to_string(bits) + s);
    for (int p = 0; p < 3; ++p) wanted.push_back("float" + std::to_string(p));
    for (int bits : {32, 64, 128, 256}) wanted.push_back("decimal" + std::to_string(bits));
    for (int u = 0; u < 2; ++u) wanted.push_back("date" + std::to_string(u));
    for (int u = 0; u < 4; ++u) {
        wanted.push_back("time" + std::to_string(u));
        wanted.push_back("timestamp" + std::to_string(u));
        wanted.push_back("timestamp" + std::to_string(u) + "tz");
        wanted.push_back("duration" + std::to_string(u));
    }
    for (int u = 0; u < 3; ++u) wanted.push_back("interval" + std::to_string(u));
    for (const char* s : {"dense", "sparse", "ree16", "ree32", "ree64", "dictionary", "extension", "field metadata",
                          "non-nullable", "schema metadata", "several batches", "no batches", "empty batch"})
        wanted.push_back(s);
    for (const auto& w : wanted) EXPECT_TRUE(seen.count(w)) << "the corpus has no case of " << w;
    EXPECT_GE(max_depth, 4) << "the corpus should nest fields four levels deep";
}

}  // namespace
