// Seeded random corruptions of Julia's file and of Arrow files made from the JSON corpus
// (tests/arrow/corpus/*.json → file and stream formats, uncompressed, LZ4 and ZSTD; about 20,500 cases
// in all), each read with
// read_any. Every read must end in a valid table (which must then pass validate(Full), compare
// equal to itself, print as JSON and survive a write + read) or in a legolasflux::Error.
//
// Reproducing a failure: every message names the source and the case number, e.g.
// "corpus/primitive.json:stream:zstd #1234"; run with
//   LEGOLASFLUX_FUZZ_CASE='corpus/primitive.json:stream:zstd#1234' robustness_tests --gtest_filter='Corruption.*'
// to run that case alone; its mutated bytes are then written to LEGOLASFLUX_FUZZ_DUMP (default
// /tmp/legolasflux-fuzz-case.arrow). LEGOLASFLUX_FUZZ_SEED changes the base seed,
// LEGOLASFLUX_FUZZ_SCALE multiplies the number of cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "support/fuzz.hpp"

namespace {

using namespace legolasflux::arrow;
using lftest::Bytes;
using lftest::Outcome;

constexpr uint64_t kDefaultSeed = 0x4C65676F6C617346ull;  // fixed: failures must reproduce

struct Source {
    std::string name;
    Bytes bytes;
    bool file_format;
};

uint64_t name_hash(const std::string& s) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

struct Totals {
    int64_t tables = 0, errors = 0, failures = 0, cases = 0;
    double slowest_ms = 0;
    std::string slowest;
};

// Default options, except that a compressed buffer may claim at most 64 MiB: with the default
// 16 GiB, each mutant whose length prefix lands in the gigabytes costs seconds and gigabytes of
// memory. That resource question is regression_test.cpp's (LyingCompressedLength); here the
// subject is memory safety, and the corpus's buffers are all far below 64 MiB.
ReadOptions fuzz_options() {
    ReadOptions o;
    o.limits.max_decompressed_buffer = int64_t{64} << 20;
    return o;
}

// Runs `cases` mutants of `source`; returns the outcome counts.
Totals fuzz(const Source& source, int64_t cases) {
    const uint64_t base = lftest::env_u64("LEGOLASFLUX_FUZZ_SEED", kDefaultSeed);
    const char* only = std::getenv("LEGOLASFLUX_FUZZ_CASE");
    const auto hot = lftest::structural_regions(source.bytes, source.file_format);
    Totals t;
    for (int64_t i = 0; i < cases; ++i) {
        const std::string id = source.name + "#" + std::to_string(i);
        if (only && *only && id != only) continue;
        lftest::Rng rng(base ^ (name_hash(source.name) + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1)));
        Bytes mutant = source.bytes;
        const std::string what = lftest::mutate(mutant, rng, hot);
        if (only && *only) {
            const std::string dump = std::getenv("LEGOLASFLUX_FUZZ_DUMP") ? std::getenv("LEGOLASFLUX_FUZZ_DUMP")
                                                                          : "/tmp/legolasflux-fuzz-case.arrow";
            std::ofstream(dump, std::ios::binary)
                .write(reinterpret_cast<const char*>(mutant.data()), static_cast<std::streamsize>(mutant.size()));
            std::cout << id << ": " << what << " (" << mutant.size() << " bytes written to " << dump << ")\n";
        }
        const Buffer buf = lftest::exact_buffer(mutant);
        const auto t0 = std::chrono::steady_clock::now();
        const Outcome o = lftest::check_read(id + " [" + what + "]", [&] { return read_any(buf, fuzz_options()); });
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (ms > t.slowest_ms) {
            t.slowest_ms = ms;
            t.slowest = id + " [" + what + "]";
        }
        ++t.cases;
        (o == Outcome::Table ? t.tables : o == Outcome::Error ? t.errors : t.failures)++;
        if (t.failures >= 20) {
            ADD_FAILURE() << source.name << ": 20 failures, stopping this source";
            break;
        }
    }
    return t;
}

int64_t scaled(int64_t n) { return n * static_cast<int64_t>(lftest::env_u64("LEGOLASFLUX_FUZZ_SCALE", 1)); }

void report(const std::string& label, const Totals& t) {
    std::cout << "[ fuzz     ] " << label << ": " << t.cases << " cases, " << t.tables << " read as valid tables, "
              << t.errors << " rejected with legolasflux::Error, " << t.failures << " failures; slowest case "
              << t.slowest_ms << " ms: " << t.slowest << "\n";
}

TEST(Corruption, JuliaFile) {
    lftest::install_crash_reporter();
    const Source s{"julia:file", lftest::load_bytes(lftest::julia_fixture_path()), true};
    const Totals t = fuzz(s, scaled(3000));
    report(s.name, t);
    EXPECT_EQ(t.failures, 0);
    if (!std::getenv("LEGOLASFLUX_FUZZ_CASE")) {
        // The mutator must actually break things, and not only break them.
        EXPECT_GT(t.errors, t.cases / 10);
        EXPECT_GT(t.tables, t.cases / 20);
    }
}

TEST(Corruption, JuliaStream) {
    lftest::install_crash_reporter();
    const Source s{"julia:stream", lftest::file_to_stream(lftest::load_bytes(lftest::julia_fixture_path())), false};
    const Totals t = fuzz(s, scaled(1500));
    report(s.name, t);
    EXPECT_EQ(t.failures, 0);
}

std::vector<Source> corpus_sources(std::vector<std::string>& problems) {
    const std::filesystem::path dir = std::filesystem::path(LEGOLASFLUX_SOURCE_DIR) / "tests" / "arrow" / "corpus";
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(dir))
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Source> out;
    for (const auto& path : files) {
        const std::string name = "corpus/" + path.filename().string();
        const Bytes text = lftest::load_bytes(path);
        Table table;
        try {
            table = read_json(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
        } catch (const std::exception& e) {
            problems.push_back(name + ": read_json failed: " + e.what());
            continue;
        }
        const std::pair<const char*, Compression> codecs[] = {
            {"none", Compression::None}, {"lz4", Compression::Lz4Frame}, {"zstd", Compression::Zstd}};
        for (const auto& [codec_name, codec] : codecs) {
            WriteOptions o;
            o.alignment = 8;
            o.compression = codec;
            try {
                out.push_back({name + ":file:" + codec_name, write_file(table, o), true});
                out.push_back({name + ":stream:" + codec_name, write_stream(table, o), false});
            } catch (const std::exception& e) {
                problems.push_back(name + ": writing with " + codec_name + " failed: " + e.what());
            }
        }
    }
    return out;
}

TEST(Corruption, CorpusFiles) {
    lftest::install_crash_reporter();
    std::vector<std::string> problems;
    const std::vector<Source> sources = corpus_sources(problems);
    for (const auto& p : problems) ADD_FAILURE() << p;
    ASSERT_FALSE(sources.empty()) << "no corpus files in tests/arrow/corpus";
    // About 16,000 cases in all (small files: cheap), at least 30 per source.
    const int64_t per_source = std::max<int64_t>(30, scaled(16000) / static_cast<int64_t>(sources.size()));
    Totals all;
    for (const Source& s : sources) {
        // The unmutated file must read back as it was written.
        lftest::check_read(s.name + " (unmutated)", [&] { return read_any(lftest::exact_buffer(s.bytes)); });
        const Totals t = fuzz(s, per_source);
        all.cases += t.cases;
        all.tables += t.tables;
        all.errors += t.errors;
        all.failures += t.failures;
        if (t.slowest_ms > all.slowest_ms) {
            all.slowest_ms = t.slowest_ms;
            all.slowest = t.slowest;
        }
    }
    report("corpus (" + std::to_string(sources.size()) + " sources)", all);
    EXPECT_EQ(all.failures, 0);
}

}  // namespace
