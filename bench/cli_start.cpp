// legolasflux_cli_bench: what a whole `legolasflux` process costs, start to exit, against the
// least a program of our own needs to open and validate the same file (legolasflux_cli_minimal,
// cli_minimal.cpp). Each run is a fork, an exec and a wait, output to /dev/null; the programs take
// turns, so that a slow moment of the machine hits them alike. No LibTorch here: it is what the
// tool must not load.
//
//   legolasflux_cli_bench [--reps N] [--file FILE] [--cli PATH] [--minimal PATH] [--check]
//
// Prints a table, then lines in the style of report.hpp:
//   ratio cli_start_vs_minimal_<command> <median ratio>, ..._by_min <ratio of the fastest runs>
//   ratio cli_start_vs_minimal <the worst command, the worse of its two ratios>
//   time cli_<command>_ms <median>, peak_mib cli_<command> <peak resident memory of the process>
//   target cli_start_vs_minimal 2 PASS|FAIL
// Exit code 0 whatever the numbers, unless --check is given and the target fails (1); 2 when the
// benchmark itself fails (bad arguments, a run that does not exit 0).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "system.hpp"

namespace {

using legolasflux::bench::median;

struct Options {
    int reps = 30;
    std::string file = std::string(LEGOLASFLUX_JULIA_FIXTURES) + "/test.digits-model.arrow";
    std::string cli = LEGOLASFLUX_CLI;
    std::string minimal = LEGOLASFLUX_CLI_MINIMAL;
    bool check = false;
};

constexpr const char* kUsage =
    "usage: legolasflux_cli_bench [--reps N] [--file FILE] [--cli PATH] [--minimal PATH] [--check]\n"
    "  --reps N   runs of each program (default 30), after one warm-up run each\n"
    "  --file     the file to open (default: Julia's digits model of tests/fixtures/julia)\n"
    "  --check    exit 1 when cli_start_vs_minimal is above 2\n";

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--reps")
            o.reps = std::stoi(value());
        else if (a == "--file")
            o.file = value();
        else if (a == "--cli")
            o.cli = value();
        else if (a == "--minimal")
            o.minimal = value();
        else if (a == "--check")
            o.check = true;
        else
            throw std::invalid_argument("unknown argument " + a);
    }
    if (o.reps < 1) throw std::invalid_argument("--reps must be at least 1");
    return o;
}

struct Program {
    std::string name;  // in the ratio lines
    std::string shown;
    std::vector<std::string> argv;
    std::vector<double> ms;
    double peak_mib = 0;
};

// One run: fork, exec, wait. Milliseconds from before the fork to after the wait; the child's peak
// resident memory from wait4. Throws when the program does not exit 0.
double run_once(Program& p) {
    std::vector<char*> argv;
    for (auto& a : p.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Dies with the benchmark (a timeout of the smoke test, Ctrl-C): no stray processes.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        const int null = ::open("/dev/null", O_WRONLY);
        if (null < 0) ::_exit(127);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    while (::wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
    }
    const auto stop = std::chrono::steady_clock::now();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(p.shown + ": " +
                                 (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                                    : "signal " + std::to_string(WTERMSIG(status))) +
                                 " (run it by hand to see why)");
    p.peak_mib = std::max(p.peak_mib, static_cast<double>(usage.ru_maxrss) / 1024.0);
    return std::chrono::duration<double, std::milli>(stop - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        o = parse(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "legolasflux_cli_bench: " << e.what() << "\n" << kUsage;
        return 2;
    }
    std::vector<Program> programs = {
        {"minimal", "legolasflux_cli_minimal FILE", {o.minimal, o.file}, {}, 0},
        {"arrow_validate", "legolasflux arrow validate FILE", {o.cli, "arrow", "validate", o.file}, {}, 0},
        {"inspect", "legolasflux inspect FILE", {o.cli, "inspect", o.file}, {}, 0},
        {"validate", "legolasflux validate FILE", {o.cli, "validate", o.file}, {}, 0},
    };
    try {
        for (auto& p : programs) run_once(p);  // warm-up: page cache, dynamic loader caches
        for (int rep = 0; rep < o.reps; ++rep)
            for (size_t k = 0; k < programs.size(); ++k) {
                // A different program first each round: none always runs right after another.
                Program& p = programs[(k + static_cast<size_t>(rep)) % programs.size()];
                p.ms.push_back(run_once(p));
            }
    } catch (const std::exception& e) {
        std::cerr << "legolasflux_cli_bench: " << e.what() << "\n";
        return 2;
    }

    std::printf("== process start to exit: %s, %d runs each ==\n", o.file.c_str(), o.reps);
    std::printf("%-36s %10s %10s %10s\n", "program", "median ms", "min ms", "peak MiB");
    for (const auto& p : programs)
        std::printf("%-36s %10.2f %10.2f %10.1f\n", p.shown.c_str(), median(p.ms),
                    *std::min_element(p.ms.begin(), p.ms.end()), p.peak_mib);
    std::printf("\n");
    const Program& base = programs[0];
    const double base_median = median(base.ms), base_min = *std::min_element(base.ms.begin(), base.ms.end());
    double worst = 0;
    for (size_t k = 1; k < programs.size(); ++k) {
        const Program& p = programs[k];
        const double by_median = median(p.ms) / base_median;
        const double by_min = *std::min_element(p.ms.begin(), p.ms.end()) / base_min;
        std::printf("ratio cli_start_vs_minimal_%s %.4f\n", p.name.c_str(), by_median);
        std::printf("ratio cli_start_vs_minimal_%s_by_min %.4f\n", p.name.c_str(), by_min);
        worst = std::max({worst, by_median, by_min});
    }
    std::printf("ratio cli_start_vs_minimal %.4f\n", worst);
    for (const auto& p : programs) std::printf("time cli_%s_ms %.4f\n", p.name.c_str(), median(p.ms));
    for (const auto& p : programs) std::printf("peak_mib cli_%s %.1f\n", p.name.c_str(), p.peak_mib);
    const bool pass = worst <= 2.0;
    std::printf("target cli_start_vs_minimal 2 %s\n", pass ? "PASS" : "FAIL");
    return o.check && !pass ? 1 : 0;
}
