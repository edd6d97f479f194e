// What the benchmark measured, printed as readable tables, then as machine-readable lines:
//   ratio <name> <value>         time (or size) of ours divided by the other's
//   time <name> <ms>             an absolute time (open_1g_ms)
//   peak_mib <name> <MiB>        peak resident memory added by an operation
//   target <name> <limit> <PASS|FAIL>   the thresholds of issue #7's "Done when"
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "contenders.hpp"

namespace legolasflux::bench {

struct Timing {
    double median_ms = 0;
    double min_ms = 0;
    int reps = 0;
};

class Results {
public:
    void add_time(const std::string& size, const std::string& key, const std::vector<double>& ms);
    void add_file_bytes(const std::string& size, const std::string& key, int64_t bytes);
    void add_peak(const std::string& size, const std::string& key, double mib);
    void set_model_bytes(const std::string& size, int64_t bytes) { model_bytes_[size] = bytes; }

    std::optional<Timing> time(const std::string& size, const std::string& key) const;
    std::optional<int64_t> file_bytes(const std::string& size, const std::string& key) const;
    std::optional<double> peak(const std::string& size, const std::string& key) const;
    int64_t model_bytes(const std::string& size) const;

private:
    using Key = std::pair<std::string, std::string>;
    std::map<Key, Timing> times_;
    std::map<Key, int64_t> bytes_;
    std::map<Key, double> peaks_;
    std::map<std::string, int64_t> model_bytes_;
};

// The save / load table of one model size.
void print_size_table(std::ostream& out, const Results& results, const ModelSpec& spec);
// Open times and peaks, every size side by side.
void print_open_table(std::ostream& out, const Results& results, const std::vector<std::string>& sizes);
// The ratio, time, peak and target lines. Returns false when a target fails.
bool print_summary(std::ostream& out, const Results& results, const std::vector<std::string>& sizes);

}  // namespace legolasflux::bench
