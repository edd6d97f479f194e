// Sharded checkpoints over torch.distributed (README, "Sharded checkpoints"): a model split across
// rank processes — a stack of Linear layers, some split row-wise and some column-wise, replicated
// biases and a LayerNorm — saved by one number of ranks and loaded by another.
//
//   sharded save --dir DIR --world-size W --step S [--fail-rank R]
//   sharded load --dir DIR --world-size M [--step S]
//   sharded digest FILE.arrow
//
// save and load run W (M) rank processes: the program re-executes itself once per rank, serves a
// c10d TCPStore on 127.0.0.1 at a free port, and the ranks form a ProcessGroupGloo. Every value of
// the model saved at step S is a fixed function of (S, tensor name, global index), so the global
// model does not depend on W. Each prints
//
//   global <16 hex digits>
//
// the XXH3-64 (seed 0) of the global tensors: in name order, each row-major, the values as stored
// (Float32, little-endian). save prints it for the model it saved, load for the model its ranks
// loaded (rank 0 gathers it), digest for a consolidated row (`legolasflux consolidate`). With
// --fail-rank R, rank R dies (_exit) in the middle of writing its shard file: the command exits 1
// and the directory's committed steps are unchanged. load takes the latest step when --step is
// not given.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>
#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>

// [sharded-model]
#include "legolasflux/torch/process_group.hpp"
#include "legolasflux/torch/sharded.hpp"

namespace lf = legolasflux;
namespace lft = legolasflux::torch;

constexpr int64_t kWidth = 128, kHidden = 320;

// One rank's part of the model: Linear layers without their own bias, each holding this rank's
// rows (row-parallel) or columns (column-parallel) of its weight; the biases and the LayerNorm
// are replicated on every rank.
struct RankModel {
    std::vector<torch::nn::Linear> blocks;
    std::vector<at::Tensor> biases;
    torch::nn::LayerNorm norm{torch::nn::LayerNormOptions({kWidth})};
    std::vector<lft::ShardedTensor> tensors;  // what the checkpoint holds, viewing the parameters

    RankModel(int rank, int world) {
        for (int i = 0; i < 4; ++i) {
            const std::string name = "blocks." + std::to_string(i);
            const bool rows = i % 2 == 0;  // even blocks widen (rows split), odd ones narrow (columns split)
            const std::vector<int64_t> shape =
                rows ? std::vector<int64_t>{kHidden, kWidth} : std::vector<int64_t>{kWidth, kHidden};
            const lf::ChunkBox part = rows ? lf::row_split(shape, rank, world) : lf::column_split(shape, rank, world);
            blocks.emplace_back(torch::nn::LinearOptions(part.shape[1], part.shape[0]).bias(false));
            biases.push_back(torch::zeros({shape[0]}));
            const at::Tensor weight = blocks.back()->weight.detach();
            tensors.push_back(rows ? lft::row_sharded(name + ".weight", weight, shape, rank, world)
                                   : lft::column_sharded(name + ".weight", weight, shape, rank, world));
            tensors.push_back(lft::replicated(name + ".bias", biases.back()));
        }
        tensors.push_back(lft::replicated("norm.weight", norm->weight.detach()));
        tensors.push_back(lft::replicated("norm.bias", norm->bias.detach()));
    }
};
// [/sharded-model]

namespace {

// The value of element `index` (row-major) of tensor `name` at step `step`: k/1024 for k in
// [-1000, 1000], exact in Float32.
float value_at(int64_t step, const std::string& name, int64_t index) {
    const uint64_t seed = XXH3_64bits(name.data(), name.size()) ^ static_cast<uint64_t>(step);
    const uint64_t h = XXH3_64bits_withSeed(&index, sizeof index, seed);
    return static_cast<float>(static_cast<int64_t>(h % 2001) - 1000) / 1024.0f;
}

void fill(RankModel& model, int64_t step) {
    torch::NoGradGuard no_grad;
    for (const lft::ShardedTensor& t : model.tensors)
        for (const lft::TensorChunk& c : t.chunks) {
            float* out = c.tensor.data_ptr<float>();
            // Row-major walk of the chunk's box: the global index of each element.
            const size_t n = c.box.shape.size();
            std::vector<int64_t> idx(n, 0);
            for (int64_t k = 0; k < c.box.element_count(); ++k) {
                int64_t global = 0;
                for (size_t d = 0; d < n; ++d) global = global * t.global_shape[d] + c.box.offset[d] + idx[d];
                out[k] = value_at(step, t.name, global);
                for (size_t d = n; d-- > 0;) {
                    if (++idx[d] < c.box.shape[d]) break;
                    idx[d] = 0;
                }
            }
        }
}

std::string hex(uint64_t v) {
    char s[17];
    std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
    return s;
}

// The global tensors, summed from every rank's parts (zeros elsewhere; a replicated tensor only
// from rank 0), so that rank 0 can hash them. Adding zeros is exact.
std::string global_digest(const RankModel& model, c10d::ProcessGroup& group) {
    std::map<std::string, at::Tensor> global;
    for (const lft::ShardedTensor& t : model.tensors) {
        at::Tensor whole = torch::zeros(t.global_shape);
        if (!t.replicated || group.getRank() == 0)
            for (const lft::TensorChunk& c : t.chunks) {
                at::Tensor view = whole;
                for (size_t d = 0; d < c.box.shape.size(); ++d)
                    view = view.narrow(static_cast<int64_t>(d), c.box.offset[d], c.box.shape[d]);
                view.copy_(c.tensor);
            }
        std::vector<at::Tensor> buffers{whole};
        group.allreduce(buffers)->wait();
        global[t.name] = whole;
    }
    XXH3_state_t* h = XXH3_createState();
    XXH3_64bits_reset(h);
    for (const auto& [name, t] : global) XXH3_64bits_update(h, t.data_ptr(), static_cast<size_t>(t.nbytes()));
    const uint64_t digest = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return hex(digest);
}

struct Args {
    std::string command, dir, file;
    int world = 0, rank = -1, fail_rank = -1;
    int64_t step = -1;
    uint16_t port = 0;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "sharded: " << why << "\n"
              << "usage: sharded save --dir DIR --world-size W --step S [--fail-rank R]\n"
              << "       sharded load --dir DIR --world-size M [--step S]\n"
              << "       sharded digest FILE.arrow\n";
    std::exit(2);
}

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) usage("no command");
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--dir")
                a.dir = value();
            else if (arg == "--world-size")
                a.world = std::stoi(value());
            else if (arg == "--step")
                a.step = std::stoll(value());
            else if (arg == "--fail-rank")
                a.fail_rank = std::stoi(value());
            else if (arg == "--rank")
                a.rank = std::stoi(value());  // internal: a rank process
            else if (arg == "--port")
                a.port = static_cast<uint16_t>(std::stoi(value()));
            else if (a.command == "digest" && a.file.empty() && !arg.starts_with("--"))
                a.file = arg;
            else
                usage("unknown argument " + arg);
        } catch (const std::logic_error&) {
            usage("not a number: " + std::string(argv[i]));
        }
    }
    return a;
}

// A rank process: joins the group, then saves or loads.
int run_rank(const Args& a) {
    auto group =
        lft::gloo_group({.port = a.port, .rank = a.rank, .world_size = a.world, .timeout = std::chrono::seconds(60)});
    RankModel model(a.rank, a.world);
    const std::filesystem::path dir = a.dir;
    if (a.command == "save") {
        fill(model, a.step);
        if (a.rank == a.fail_rank) {
            // The file system refuses to grow a file past 4 KiB: the first write past it raises
            // SIGXFSZ, in the middle of the shard file, and the rank dies there.
            ::signal(SIGXFSZ, [](int) { ::_exit(3); });
            const rlimit limit{4096, 4096};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        }
        // [sharded-save]
        lft::save_sharded(dir / lf::sharded_step_name(a.step), model.tensors, a.step, *group);
        // [/sharded-save]
    } else {
        int64_t step = a.step;
        if (step < 0) {
            const std::vector<int64_t> steps = lf::sharded_steps(dir);
            if (steps.empty()) throw lf::InvalidArgument(a.dir + " holds no sharded checkpoint");
            step = steps.back();
        }
        // [sharded-load]
        lft::load_sharded(dir / lf::sharded_step_name(step), model.tensors, *group);
        // [/sharded-load]
    }
    const std::string digest = global_digest(model, *group);
    if (a.rank == 0) std::cout << "global " << digest << std::endl;
    return 0;
}

// Starts one process per rank and waits for them all (at most 5 minutes).
int launch(const Args& a, int argc, char** argv) {
    if (a.world < 1) usage("--world-size must be at least 1");
    if (a.dir.empty()) usage("--dir is needed");
    if (a.command == "save" && a.step < 0) usage("save needs --step");
    const auto store = lft::serve_store("127.0.0.1", 0);
    // Every rank's command line is built before any fork: the store runs threads, and between
    // fork and exec a child of a multithreaded process may only make async-signal-safe calls.
    std::vector<std::vector<std::string>> args(static_cast<size_t>(a.world),
                                               std::vector<std::string>(argv, argv + argc));
    std::vector<std::vector<char*>> raw(args.size());
    for (int r = 0; r < a.world; ++r) {
        auto& mine = args[static_cast<size_t>(r)];
        mine.insert(mine.end(), {"--rank", std::to_string(r), "--port", std::to_string(store->getPort())});
        for (std::string& s : mine) raw[static_cast<size_t>(r)].push_back(s.data());
        raw[static_cast<size_t>(r)].push_back(nullptr);
    }
    std::vector<pid_t> ranks;
    for (int r = 0; r < a.world; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::perror("sharded: fork");
            return 1;
        }
        if (pid == 0) {
            ::execv("/proc/self/exe", raw[static_cast<size_t>(r)].data());
            ::_exit(127);
        }
        ranks.push_back(pid);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    int failed = 0;
    for (size_t left = ranks.size(); left > 0;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            --left;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
            continue;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            std::cerr << "sharded: the ranks did not finish within 5 minutes; stopping them\n";
            for (const pid_t p : ranks) ::kill(p, SIGKILL);
            while (::waitpid(-1, nullptr, 0) > 0) {}
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (failed) std::cerr << "sharded: " << failed << " of " << a.world << " ranks failed\n";
    return failed ? 1 : 0;
}

int digest_file(const Args& a) {
    if (a.file.empty()) usage("digest needs a file");
    const lf::ModelRow row = lf::read_model_row(a.file);
    if (!row.weights || !row.weight_names) throw lf::InvalidArgument(a.file + " has no named weights");
    std::map<std::string, const lf::FlatArray*> by_name;
    for (size_t i = 0; i < row.weights->size(); ++i) by_name[(*row.weight_names)[i]] = &row.weights->arrays[i];
    XXH3_state_t* h = XXH3_createState();
    XXH3_64bits_reset(h);
    // A FlatArray's column-major values of size (dn, …, d1) are the row-major values of (d1, …, dn).
    for (const auto& [name, array] : by_name)
        XXH3_64bits_update(h, array->values.data(), static_cast<size_t>(array->values.size()));
    std::cout << "global " << hex(XXH3_64bits_digest(h)) << std::endl;
    XXH3_freeState(h);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    try {
        if (a.command == "digest") return digest_file(a);
        if (a.command != "save" && a.command != "load") usage("unknown command " + a.command);
        return a.rank >= 0 ? run_rank(a) : launch(a, argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "sharded: " << e.what() << "\n";
        return 1;
    }
}
