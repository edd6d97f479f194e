// legolasflux_bench: LegolasFlux's save, load and open of float32 models of 16 MiB, 256 MiB and
// 1 GiB side by side with LibTorch's torch::save / torch::load and with the physical limits
// (write() of the same bytes; read() and memcpy into the tensors), in one process (issue #7).
//
//   legolasflux_bench [--sizes 16m,256m,1g] [--dir DIR] [--reps N] [--weights bf16|f32] [--quick] [--check]
//
// Prints a table per size, then machine-readable lines (report.hpp). Exit code 0 whatever the
// numbers, unless --check is given and a target fails (1); 2 when the benchmark itself fails
// (bad arguments, I/O error, a load that does not restore the weights).
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "contenders.hpp"
#include "phases.hpp"
#include "report.hpp"
#include "system.hpp"

namespace {

using namespace legolasflux::bench;
namespace fs = std::filesystem;

struct Options {
    std::vector<std::string> sizes{"16m", "256m", "1g"};
    fs::path dir = "/tmp";
    int reps = 0;  // 0: each size's default (5 for 16m and 256m, 3 for 1g)
    bool quick = false;
    bool check = false;
    WeightValues values = WeightValues::Bf16Rounded;
};

constexpr const char* kUsage =
    "usage: legolasflux_bench [--sizes 16m,256m,1g] [--dir DIR] [--reps N] [--weights bf16|f32] [--quick] [--check]\n"
    "  --sizes    model sizes to measure (default: all three)\n"
    "  --dir      where the files are written (default /tmp); a fresh subdirectory, removed at the end\n"
    "  --reps     timed repetitions per contender (default 5 for 16m and 256m, 3 for 1g)\n"
    "  --weights  bf16: normal values rounded to bfloat16 precision (default); f32: full precision\n"
    "  --quick    16m only, one repetition, no warm-up (a smoke test)\n"
    "  --check    exit 1 when a target of issue #7 fails\n";

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "legolasflux_bench: " << message << "\n" << kUsage;
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--sizes") {
            o.sizes.clear();
            std::stringstream list(value());
            for (std::string s; std::getline(list, s, ',');)
                if (!s.empty()) o.sizes.push_back(s);
        } else if (a == "--dir") {
            o.dir = value();
        } else if (a == "--reps") {
            const std::string v = value();
            try {
                o.reps = std::stoi(v);
            } catch (const std::exception&) {
                o.reps = 0;
            }
            if (o.reps < 1) usage_error("--reps takes a positive count, not '" + v + "'");
        } else if (a == "--weights") {
            const std::string v = value();
            if (v == "bf16")
                o.values = WeightValues::Bf16Rounded;
            else if (v == "f32")
                o.values = WeightValues::Float32;
            else
                usage_error("--weights takes bf16 or f32, not '" + v + "'");
        } else if (a == "--quick") {
            o.quick = true;
        } else if (a == "--check") {
            o.check = true;
        } else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else {
            usage_error("unknown argument '" + a + "'");
        }
    }
    if (o.quick) {
        o.sizes = {"16m"};
        o.reps = 1;
    }
    if (o.sizes.empty()) usage_error("--sizes names no size");
    return o;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

void print_machine(const Options& o, const fs::path& work) {
    utsname u{};
    ::uname(&u);
    std::cout << "legolasflux_bench: " << cpu_model() << ", " << ::sysconf(_SC_NPROCESSORS_ONLN) << " cores ("
              << at::get_num_threads() << " torch threads), "
              << ::sysconf(_SC_PHYS_PAGES) * ::sysconf(_SC_PAGESIZE) / (int64_t{1} << 20) << " MiB RAM, Linux "
              << u.release << "\n"
              << "files in " << work.string() << " (page cache unless fsync); medians of "
              << (o.reps ? std::to_string(o.reps) : std::string("5 (16m, 256m) or 3 (1g)"))
              << " interleaved repetitions\n"
              << "weights: normal(0, 0.02) "
              << (o.values == WeightValues::Bf16Rounded
                      ? "rounded to bfloat16 precision (low 16 bits zero; compresses like bf16-trained weights)"
                      : "at full float32 precision (random mantissas: barely compressible)")
              << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    fs::path work;
    try {
        std::vector<ModelSpec> specs;
        for (const auto& s : o.sizes) specs.push_back(model_spec(s));
        work = make_work_dir(o.dir);
        print_machine(o, work);

        RunOptions run{.work_dir = work, .reps = o.reps, .warm_up = !o.quick, .values = o.values};
        Results results;
        for (const ModelSpec& spec : specs) {
            run_save_load(spec, run, results);
            print_size_table(std::cout, results, spec);
            std::cout.flush();
        }
        // Opening is cheap (or should be): more repetitions for a stable median.
        run_open(specs, run, o.reps ? 3 * o.reps : 15, results);
        print_open_table(std::cout, results, o.sizes);
        const bool pass = print_summary(std::cout, results, o.sizes);
        fs::remove_all(work);
        return o.check && !pass ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "legolasflux_bench: " << e.what() << "\n";
        if (!work.empty()) {
            std::error_code ignored;
            fs::remove_all(work, ignored);
        }
        return 2;
    }
}
