#include "phases.hpp"

#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "system.hpp"

namespace legolasflux::bench {

namespace {

namespace fs = std::filesystem;

struct Contender {
    std::string size;
    std::string key;
    std::function<void()> prepare;  // untimed, before each run
    std::function<void()> run;      // timed
    std::function<void()> after;    // untimed, after each run: checks, dropping results
};

// Round r runs every contender once, starting with contender r mod n (see phases.hpp).
std::vector<std::vector<double>> run_interleaved(const std::string& phase, std::vector<Contender>& contenders, int reps,
                                                 bool warm_up) {
    std::vector<std::vector<double>> times(contenders.size());
    const int first = warm_up ? -1 : 0;
    for (int round = first; round < reps; ++round) {
        std::cerr << "  " << phase
                  << (round < 0 ? ": warm-up" : ": round " + std::to_string(round + 1) + "/" + std::to_string(reps))
                  << std::endl;
        const size_t n = contenders.size();
        for (size_t j = 0; j < n; ++j) {
            const size_t i = (static_cast<size_t>(round < 0 ? 0 : round) + j) % n;
            Contender& c = contenders[i];
            if (c.prepare) c.prepare();
            const double ms = time_ms(c.run);
            if (c.after) c.after();
            if (round >= 0) times[i].push_back(ms);
        }
    }
    return times;
}

struct Files {
    fs::path ours, lz4, zstd, torch, raw;
};

Files files_of(const RunOptions& options, const ModelSpec& spec) {
    const fs::path& d = options.work_dir;
    return {d / (spec.label + ".model.arrow"), d / (spec.label + ".lz4.model.arrow"),
            d / (spec.label + ".zstd.model.arrow"), d / (spec.label + ".pt"), d / (spec.label + ".bin")};
}

// A clean start for a timed write: no target file, no dirty page anywhere, no freed memory that
// the allocator could hand out again without first touches (see phases.hpp).
void clean_before_write(const fs::path& target) {
    fs::remove(target);
    sync_all();
    release_free_memory();
}

// `image` (model_image, resident) holds `file_bytes` bytes, as many as our file: the write() limit
// writes it, the read() limit of the load phase reads that file back into it.
void save_phase(const ModelSpec& spec, const Files& f, int reps, const RunOptions& options,
                ::torch::nn::Sequential& model, std::byte* image, int64_t file_bytes, Results& results) {
    using arrow::Compression;
    std::vector<Contender> c;
    const auto add = [&](const char* key, const fs::path& target, std::function<void()> run) {
        c.push_back({spec.label, key, [target] { clean_before_write(target); }, std::move(run), nullptr});
    };
    const ::torch::nn::Module& m = *model;
    add("save", f.ours, [&] { save_ours(m, f.ours, false); });
    add("save.torch", f.torch, [&] { save_torch(model, f.torch, false); });
    add("save.write", f.raw, [&] { save_write(image, file_bytes, f.raw, false); });
    add("save_fsync", f.ours, [&] { save_ours(m, f.ours, true); });
    add("save_fsync.torch", f.torch, [&] { save_torch(model, f.torch, true); });
    add("save_fsync.write", f.raw, [&] { save_write(image, file_bytes, f.raw, true); });
    add("save_lz4", f.lz4, [&] { save_ours(m, f.lz4, false, Compression::Lz4Frame); });
    add("save_zstd", f.zstd, [&] { save_ours(m, f.zstd, false, Compression::Zstd); });
    const auto times = run_interleaved("[" + spec.label + "] save", c, reps, options.warm_up);
    for (size_t i = 0; i < c.size(); ++i) results.add_time(spec.label, c[i].key, times[i]);

    results.add_file_bytes(spec.label, "save", bytes_in_file(f.ours));
    results.add_file_bytes(spec.label, "save_fsync", bytes_in_file(f.ours));
    results.add_file_bytes(spec.label, "save.torch", bytes_in_file(f.torch));
    results.add_file_bytes(spec.label, "save_fsync.torch", bytes_in_file(f.torch));
    results.add_file_bytes(spec.label, "save.write", bytes_in_file(f.raw));
    results.add_file_bytes(spec.label, "save_fsync.write", bytes_in_file(f.raw));
    results.add_file_bytes(spec.label, "save_lz4", bytes_in_file(f.lz4));
    results.add_file_bytes(spec.label, "save_zstd", bytes_in_file(f.zstd));
}

void load_phase(const ModelSpec& spec, const Files& f, int reps, const RunOptions& options,
                ::torch::nn::Sequential& model, uint64_t expected, std::byte* image, int64_t file_bytes,
                Results& results) {
    for (const fs::path& p : {f.ours, f.lz4, f.zstd, f.torch, f.raw}) warm_page_cache(p);
    std::vector<Contender> c;
    // Each load starts from zeroed weights and must end with the saved ones: a load that did less
    // than its job would otherwise look fast.
    const auto add = [&](const char* key, std::function<void()> run) {
        const std::string k = key;
        const auto prepare = [&] {
            zero_weights(*model);
            release_free_memory();
        };
        c.push_back({spec.label, k, prepare, std::move(run), [&, k] {
                         if (fingerprint(*model) != expected)
                             throw std::runtime_error("bench: after " + k + " (" + spec.label +
                                                      ") the model's weights are not the saved ones");
                     }});
    };
    ::torch::nn::Module& m = *model;
    add("load", [&] { load_ours(m, f.ours); });
    add("load_noverify", [&] { load_ours(m, f.ours, false); });
    add("load.torch", [&] { load_torch(model, f.torch); });
    add("load.read_memcpy", [&] { load_read_memcpy(m, f.raw, image, file_bytes); });
    add("load.read_fresh_memcpy", [&] { load_read_memcpy(m, f.raw, nullptr, 0); });
    add("load.pread", [&] { load_pread_tensors(m, f.raw); });
    add("load_lz4", [&] { load_ours(m, f.lz4); });
    add("load_zstd", [&] { load_ours(m, f.zstd); });
    const auto times = run_interleaved("[" + spec.label + "] load", c, reps, options.warm_up);
    for (size_t i = 0; i < c.size(); ++i) results.add_time(spec.label, c[i].key, times[i]);
}

void peak_phase(const ModelSpec& spec, const Files& f, ::torch::nn::Sequential& model, uint64_t expected,
                Results& results) {
    std::cerr << "  [" << spec.label << "] peak memory" << std::endl;
    const auto record = [&](const char* key, const std::optional<double>& mib) {
        if (mib) results.add_peak(spec.label, key, *mib);
    };
    const auto check = [&](const char* what) {
        if (fingerprint(*model) != expected)
            throw std::runtime_error(std::string("bench: after ") + what +
                                     " the model's weights are not the saved ones");
    };
    clean_before_write(f.ours);
    record("save", peak_added_mib([&] { save_ours(*model, f.ours, false); }));
    clean_before_write(f.torch);
    record("save.torch", peak_added_mib([&] { save_torch(model, f.torch, false); }));
    zero_weights(*model);
    record("load", peak_added_mib([&] { load_ours(*model, f.ours); }));
    check("load_ours");
    zero_weights(*model);
    record("load.torch", peak_added_mib([&] { load_torch(model, f.torch); }));
    check("torch::load");
}

}  // namespace

fs::path open_file(const RunOptions& options, const ModelSpec& spec) { return files_of(options, spec).ours; }

void run_save_load(const ModelSpec& spec, const RunOptions& options, Results& results) {
    const int reps = options.reps > 0 ? options.reps : spec.default_reps;
    const Files f = files_of(options, spec);
    std::cerr << "[" << spec.label << "] building the model" << std::endl;
    auto model = make_model(spec, options.values);
    const uint64_t expected = fingerprint(*model);
    results.set_model_bytes(spec.label, model_bytes(*model));

    {
        // The first save tells how many bytes the limits write and read: as many as our file holds.
        clean_before_write(f.ours);
        save_ours(*model, f.ours, false);
        const int64_t file_bytes = bytes_in_file(f.ours);
        const std::unique_ptr<std::byte[]> image = model_image(*model, file_bytes);
        save_phase(spec, f, reps, options, model, image.get(), file_bytes, results);
        load_phase(spec, f, reps, options, model, expected, image.get(), file_bytes, results);
    }  // the image is freed before the peaks are measured
    peak_phase(spec, f, model, expected, results);
    for (const fs::path& p : {f.lz4, f.zstd, f.torch, f.raw}) fs::remove(p);
}

void run_open(const std::vector<ModelSpec>& specs, const RunOptions& options, int reps, Results& results) {
    std::vector<Contender> c;
    std::map<std::string, std::optional<ModelRow>> rows;
    for (const ModelSpec& spec : specs) {
        const fs::path path = open_file(options, spec);
        warm_page_cache(path);
        const int64_t bytes = results.model_bytes(spec.label);
        const size_t arrays = static_cast<size_t>(2 * spec.layers);
        std::optional<ModelRow>& row = rows[spec.label];
        c.push_back({spec.label, "open", nullptr, [&row, path] { row.emplace(open_ours(path)); },
                     [&row, &spec, bytes, arrays] {
                         int64_t got = 0;
                         if (row->weights)
                             for (const FlatArray& a : row->weights->arrays) got += a.byte_count();
                         if (!row->weights || row->weights->size() != arrays || got != bytes)
                             throw std::runtime_error("bench: the opened " + spec.label +
                                                      " row is not the saved model");
                         row.reset();  // dropped outside the timing: unmapping is not part of opening
                     }});
    }
    const auto times = run_interleaved("open", c, reps, options.warm_up);
    for (size_t i = 0; i < c.size(); ++i) results.add_time(c[i].size, c[i].key, times[i]);

    std::cerr << "  open: peak memory" << std::endl;
    for (const ModelSpec& spec : specs) {
        std::optional<ModelRow> row;
        const fs::path path = open_file(options, spec);
        if (const auto mib = peak_added_mib([&] { row.emplace(open_ours(path)); }))
            results.add_peak(spec.label, "open", *mib);
    }
}

}  // namespace legolasflux::bench
