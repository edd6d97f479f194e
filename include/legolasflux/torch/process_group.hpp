// A c10d process group over Gloo and a TCPStore, as torch.distributed's init_process_group("gloo")
// makes one: for programs and tests that start their own ranks (CPU tensors; NCCL is the same API on
// GPUs). Sharded saves and loads (sharded.hpp) take any c10d::ProcessGroup.
//
//   // the launcher (or rank 0): serves the store; port 0 picks a free port
//   auto store = legolasflux::torch::serve_store("127.0.0.1", 0);
//   ... start the ranks with store->getPort() ...
//   // every rank
//   auto group = legolasflux::torch::gloo_group({.port = port, .rank = rank, .world_size = world});
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace legolasflux::torch {

struct GlooGroupOptions {
    std::string host = "127.0.0.1";  // of the TCPStore, and the address the ranks talk over
    uint16_t port = 0;               // the TCPStore's
    int rank = 0;
    int world_size = 1;
    // Every collective of the group, and connecting: a rank that does not arrive in time fails the
    // operation on every other rank.
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// A TCPStore server on host:port (port 0: a free one, see getPort()); it lives as long as the result.
// The server runs threads: a launcher that forks its ranks either forks them all before serving
// the store (and passes the port down, as the tests do) or execs right after each fork (as
// examples/sharded does); a child that runs on after forking a multithreaded parent can inherit a
// lock some other thread held, and hang in its first allocation.
c10::intrusive_ptr<c10d::TCPStore> serve_store(const std::string& host, uint16_t port,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Connects to the store served at options.host:options.port and forms a ProcessGroupGloo with the
// other ranks (every rank calls it with the same world size and its own rank). Gloo writes to dead
// peers with writev, which raises SIGPIPE: so that a peer's death is an error in this rank's
// collective rather than its death too, gloo_group sets SIGPIPE to ignored when it is at its
// default (as Python does for torch.distributed); a handler the program installed is kept. A
// program that builds its own ProcessGroupGloo should ignore SIGPIPE itself.
c10::intrusive_ptr<c10d::ProcessGroup> gloo_group(const GlooGroupOptions& options);

}  // namespace legolasflux::torch
