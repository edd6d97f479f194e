// The phases of one benchmark run: save and load for each model size, then open for every size.
//
// Fairness. Every contender of a phase works on the same model object (loads go into it, as a
// user reloads weights into the model they already built) and on files in the same directory.
// The contenders are interleaved: round r runs them all, starting with the r-th, so drift of a
// noisy, shared machine hits all of them equally; after one untimed warm-up round (lazy
// initialisation, first allocations) each contender is timed `reps` times and the median kept.
// Before each timed save the target is removed and every dirty page written back (sync), so each
// write starts from the same clean page cache; before the loads every file is read once, so
// every load reads from the page cache. Before each timed save or load, memory the allocator
// holds freed is returned to the system: otherwise a contender that allocates what an earlier
// round freed (torch::load's fresh tensors, below glibc's mmap threshold) would skip the first
// touches of fresh pages that a process loading once pays. The limits write from and read into one buffer that is
// resident for the whole phase, as the model's tensors are (contenders.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "contenders.hpp"
#include "report.hpp"

namespace legolasflux::bench {

struct RunOptions {
    std::filesystem::path work_dir;  // a fresh directory, removed when the run ends
    int reps = 0;                    // timed rounds per contender; 0: the size's default
    bool warm_up = true;             // one untimed round first
    WeightValues values = WeightValues::Bf16Rounded;
};

// Saves and loads a model of `spec` with every contender, records times, file sizes and peaks, and
// leaves only LegolasFlux's uncompressed file (for the open phase): open_file(spec).
void run_save_load(const ModelSpec& spec, const RunOptions& options, Results& results);
std::filesystem::path open_file(const RunOptions& options, const ModelSpec& spec);

// Opens each size's file, the sizes interleaved, `reps` times; then each size's peak.
void run_open(const std::vector<ModelSpec>& specs, const RunOptions& options, int reps, Results& results);

}  // namespace legolasflux::bench
