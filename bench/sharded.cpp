// legolasflux_sharded_bench: sharded saves and resharded loads over a c10d ProcessGroupGloo against
// one process doing the same work whole (issue #15). The model: 16 float32 matrices of 4096 columns
// adding up to --size; ranks split them by rows.
//
//   legolasflux_sharded_bench [--size 1g] [--reps 5] [--dir DIR] [--check]
//
// - sharded_save_2r_vs_1r: 2 rank processes each saving its half with save_sharded (durable, the
//   default), wall time from a barrier before to a barrier after (the commit included), against
//   one process saving the whole model with write_model_row (durable). Goal ≤ 0.8.
//   Also printed: the same into the page cache only (durable = false on both sides), and the
//   disk's own ratio, two processes writing halves with write() + fsync at once against one
//   writing the whole (write_fsync_2p_vs_1p): a parallel save cannot beat the disk it writes to.
// - reshard_load_vs_load: 2 rank processes each loading its half (verified) from a checkpoint saved
//   by 4 ranks, against one process loading the consolidated row (read_model_row, verified, and
//   load_weights into the tensors). Goal ≤ 1.5.
// Medians over --reps runs; every file is in the page cache when loaded, and written-back before
// each save (sync). Prints `time NAME MS`, `ratio NAME VALUE` and `target NAME GOAL PASS|FAIL`
// lines. Exit code 0 whatever the numbers, unless --check is given and a target fails (1); 2 when
// the benchmark itself fails. Ranks are forked processes on 127.0.0.1, reaped before it returns.
#include "legolasflux/torch/sharded.hpp"

#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "legolasflux/torch/process_group.hpp"
#include "legolasflux/torch/weights.hpp"
#include "system.hpp"

namespace {

namespace fs = std::filesystem;
namespace lf = legolasflux;
namespace lft = legolasflux::torch;
using lf::bench::median;
using lf::bench::time_ms;

constexpr int64_t kColumns = 4096, kTensors = 16;

struct Options {
    int64_t size = int64_t{1} << 30;
    int reps = 5;
    fs::path dir = fs::temp_directory_path();
    bool check = false;
};

int64_t rows_per_tensor(const Options& o) { return std::max<int64_t>(1, o.size / (kTensors * kColumns * 4)); }
std::vector<int64_t> shape_of(const Options& o) { return {rows_per_tensor(o), kColumns}; }
std::string name_of(int i) { return "layers." + std::to_string(i) + ".weight"; }

// This rank's rows of every matrix (all of them for world 1), filled with values.
std::vector<lft::ShardedTensor> model_part(const Options& o, int rank, int world) {
    std::vector<lft::ShardedTensor> out;
    const auto shape = shape_of(o);
    for (int i = 0; i < kTensors; ++i) {
        const lf::ChunkBox box = lf::row_split(shape, rank, world);
        at::Tensor t = at::empty(box.shape, at::kFloat);
        t.fill_(static_cast<float>(i) + 0.5f);
        out.push_back(lft::row_sharded(name_of(i), t, shape, rank, world));
    }
    return out;
}

// Runs `body(group)` in `world` forked rank processes; rank 0's result (milliseconds per run) back.
// The ranks are forked before the store starts (a TCPStore runs threads, and a child forked from a
// multithreaded parent can inherit a held lock); each then reads the store's port from its pipe.
std::vector<double> in_ranks(int world, const std::function<std::vector<double>(int, c10d::ProcessGroup&)>& body) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::array<int, 2>> ports(static_cast<size_t>(world));
    for (auto& p : ports)
        if (::pipe(p.data()) != 0) throw std::runtime_error("pipe failed");
    std::vector<pid_t> pids;
    for (int r = 0; r < world; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::close(fds[0]);
            // Only the parent keeps write ends, so a parent that dies is an end-of-file here.
            for (auto& p : ports) ::close(p[1]);
            int rc = 0;
            try {
                uint16_t port = 0;
                if (::read(ports[static_cast<size_t>(r)][0], &port, sizeof port) != sizeof port)
                    throw std::runtime_error("no store port from the parent");
                auto group =
                    lft::gloo_group({.port = port, .rank = r, .world_size = world, .timeout = std::chrono::minutes(5)});
                const std::vector<double> times = body(r, *group);
                if (r == 0)
                    for (const double t : times) {
                        const std::string line = std::to_string(t) + "\n";
                        if (::write(fds[1], line.data(), line.size()) < 0) rc = 3;
                    }
            } catch (const std::exception& e) {
                std::cerr << "rank " << r << ": " << e.what() << "\n";
                rc = 1;
            }
            ::_exit(rc);
        }
        pids.push_back(pid);
    }
    const auto store = lft::serve_store("127.0.0.1", 0);
    const uint16_t port = store->getPort();
    // A rank that died before reading must not SIGPIPE the parent: its read end stays open here
    // until every port is written.
    for (auto& p : ports)
        if (::write(p[1], &port, sizeof port) != sizeof port) throw std::runtime_error("pipe write failed");
    for (auto& p : ports) ::close(p[0]), ::close(p[1]);
    ::close(fds[1]);
    std::string text;
    char buf[256];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    bool ok = true;
    for (const pid_t p : pids) {
        int status = 0;
        ::waitpid(p, &status, 0);
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (!ok) throw std::runtime_error("a rank failed");
    std::vector<double> times;
    std::istringstream in(text);
    for (double t; in >> t;) times.push_back(t);
    return times;
}

void barrier(c10d::ProcessGroup& group) { group.barrier()->wait(); }

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&] {
            return i + 1 < argc ? std::string(argv[++i]) : throw std::invalid_argument(a + " needs a value");
        };
        if (a == "--size") {
            const std::string s = value();
            const int64_t n = std::stoll(s);
            o.size = s.back() == 'g' ? n << 30 : s.back() == 'm' ? n << 20 : n;
        } else if (a == "--reps") {
            o.reps = std::stoi(value());
        } else if (a == "--dir") {
            o.dir = value();
        } else if (a == "--check") {
            o.check = true;
        } else {
            std::cerr << "usage: legolasflux_sharded_bench [--size 1g] [--reps 5] [--dir DIR] [--check]\n";
            return 2;
        }
    }
    try {
        const fs::path work = lf::bench::make_work_dir(o.dir);
        const double mib = static_cast<double>(rows_per_tensor(o) * kColumns * 4 * kTensors) / (1 << 20);
        std::cout << "== sharded checkpoints: " << kTensors << " x [" << rows_per_tensor(o) << ", " << kColumns
                  << "] float32, " << mib << " MiB, " << o.reps << " runs ==\n";

        // Saves: one process, the whole model as one row; then 2 ranks, a half each. Durable (the
        // default), then into the page cache only; and the disk's own share: one process writing
        // the bytes with write() + fsync, against two writing halves at once.
        auto saves = [&](bool durable) {
            std::vector<double> whole, sharded;
            auto model = model_part(o, 0, 1);
            std::vector<lf::FlatArray> arrays;
            lf::ModelWriteOptions write;
            write.ipc.durable = durable;
            for (const auto& t : model) {
                arrays.push_back(lft::to_flat_array(t.chunks[0].tensor));
                write.weight_names.push_back(t.name);
            }
            lf::ModelV1 row;
            row.weights = lf::Weights(std::move(arrays));
            for (int r = 0; r < o.reps; ++r) {
                const fs::path path = work / ("whole-" + std::to_string(r) + ".arrow");
                lf::bench::sync_all();
                whole.push_back(time_ms([&] { lf::write_model_row(path, row, write); }));
                fs::remove(path);
            }
            sharded = in_ranks(2, [&](int rank, c10d::ProcessGroup& group) {
                const auto part = model_part(o, rank, 2);
                std::vector<double> times;
                for (int r = 0; r < o.reps; ++r) {
                    const fs::path step = work / "save" / lf::sharded_step_name(r);
                    if (rank == 0) lf::bench::sync_all();
                    barrier(group);
                    times.push_back(time_ms([&] {
                        lft::save_sharded(step, part, r, group, {.durable = durable});
                        barrier(group);
                    }));
                    if (rank == 0) fs::remove_all(step);
                }
                return times;
            });
            return std::pair{median(whole), median(sharded)};
        };
        const auto [whole_save, sharded_save] = saves(true);
        const auto [whole_save_cached, sharded_save_cached] = saves(false);
        std::vector<double> disk_whole, disk_halves;
        {
            const int64_t bytes = rows_per_tensor(o) * kColumns * 4 * kTensors;
            std::vector<std::byte> data(static_cast<size_t>(bytes), std::byte{1});
            for (int r = 0; r < o.reps; ++r) {
                lf::bench::sync_all();
                disk_whole.push_back(
                    time_ms([&] { lf::bench::write_bytes(work / "raw.bin", data.data(), bytes, true); }));
                fs::remove(work / "raw.bin");
            }
            const auto halves = in_ranks(2, [&](int rank, c10d::ProcessGroup& group) {
                std::vector<double> times;
                for (int r = 0; r < o.reps; ++r) {
                    const fs::path path = work / ("raw-" + std::to_string(rank) + ".bin");
                    if (rank == 0) lf::bench::sync_all();
                    barrier(group);
                    times.push_back(time_ms([&] {
                        lf::bench::write_bytes(path, data.data() + rank * (bytes / 2), bytes / 2, true);
                        barrier(group);
                    }));
                    fs::remove(path);
                }
                return times;
            });
            disk_halves = halves;
        }

        // Loads: a checkpoint saved by 4 ranks, and the same model consolidated into one row.
        const fs::path step4 = work / "load" / lf::sharded_step_name(4);
        {
            std::vector<std::vector<lft::ShardedTensor>> parts;
            std::vector<lf::RankShards> ranks;
            for (int r = 0; r < 4; ++r) {
                parts.push_back(model_part(o, r, 4));
                ranks.push_back(lft::rank_shards(parts.back(), r, 4));
            }
            lf::save_sharded(step4, ranks, 4);
        }
        const fs::path consolidated = work / "consolidated.arrow";
        lf::consolidate_sharded(step4, consolidated);
        std::vector<double> whole_load;
        {
            auto model = model_part(o, 0, 1);
            torch::nn::Module module;
            for (size_t i = 0; i < model.size(); ++i)
                module.register_parameter(std::string("p").append(std::to_string(i)), model[i].chunks[0].tensor, false);
            for (int r = 0; r < o.reps; ++r)
                whole_load.push_back(time_ms([&] {
                    const lf::ModelRow row = lf::read_model_row(consolidated);
                    lft::load_weights(module, *row.weights);
                }));
        }
        const std::vector<double> reshard_load = in_ranks(2, [&](int rank, c10d::ProcessGroup& group) {
            const auto model = model_part(o, rank, 2);
            std::vector<double> times;
            for (int r = 0; r < o.reps; ++r) {
                barrier(group);
                times.push_back(time_ms([&] {
                    lft::load_sharded(step4, model, group);
                    barrier(group);
                }));
            }
            return times;
        });
        fs::remove_all(work);

        const double save_ratio = sharded_save / whole_save;
        const double load_ratio = median(reshard_load) / median(whole_load);
        auto line = [](const char* kind, const std::string& name, double v) {
            std::printf("%s %s %.4f\n", kind, name.c_str(), v);
        };
        line("time", "save_whole_1r_ms", whole_save);
        line("time", "sharded_save_2r_ms", sharded_save);
        line("time", "save_whole_1r_page_cache_ms", whole_save_cached);
        line("time", "sharded_save_2r_page_cache_ms", sharded_save_cached);
        line("time", "write_fsync_whole_1p_ms", median(disk_whole));
        line("time", "write_fsync_halves_2p_ms", median(disk_halves));
        line("time", "load_consolidated_1r_ms", median(whole_load));
        line("time", "reshard_load_2r_of_4r_ms", median(reshard_load));
        line("ratio", "sharded_save_2r_vs_1r_page_cache", sharded_save_cached / whole_save_cached);
        line("ratio", "write_fsync_2p_vs_1p", median(disk_halves) / median(disk_whole));
        line("ratio", "sharded_save_2r_vs_1r", save_ratio);
        line("ratio", "reshard_load_vs_load", load_ratio);
        const bool save_ok = save_ratio <= 0.8, load_ok = load_ratio <= 1.5;
        std::printf("target sharded_save_2r_vs_1r 0.8 %s\n", save_ok ? "PASS" : "FAIL");
        std::printf("target reshard_load_vs_load 1.5 %s\n", load_ok ? "PASS" : "FAIL");
        return o.check && !(save_ok && load_ok) ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "legolasflux_sharded_bench: " << e.what() << "\n";
        return 2;
    }
}
