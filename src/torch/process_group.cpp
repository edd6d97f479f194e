// A Gloo process group over a TCPStore (process_group.hpp).
#include "legolasflux/torch/process_group.hpp"

#include <signal.h>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "legolasflux/errors.hpp"

namespace legolasflux::torch {

c10::intrusive_ptr<c10d::TCPStore> serve_store(const std::string& host, uint16_t port,
                                               std::chrono::milliseconds timeout) {
    c10d::TCPStoreOptions options;
    options.port = port;
    options.isServer = true;
    options.waitWorkers = false;
    options.timeout = timeout;
    try {
        return c10::make_intrusive<c10d::TCPStore>(host, options);
    } catch (const std::exception& e) {
        throw InvalidArgument("cannot serve a TCPStore on " + host + ":" + std::to_string(port) + ": " + e.what());
    }
}

c10::intrusive_ptr<c10d::ProcessGroup> gloo_group(const GlooGroupOptions& options) {
    if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size)
        throw InvalidArgument("rank " + std::to_string(options.rank) + " is not a rank of a world of size " +
                              std::to_string(options.world_size));
    const std::string where = options.host + ":" + std::to_string(options.port);
    // Gloo writes to its peers with writev, which raises SIGPIPE when a peer has died; by default that
    // kills this rank too, before the collective can fail with an error (Python ignores SIGPIPE, so
    // torch.distributed never shows it). A handler or disposition the program chose is kept.
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) == 0 &&
        current.sa_handler == SIG_DFL)
        ::signal(SIGPIPE, SIG_IGN);
    try {
        c10d::TCPStoreOptions store_options;
        store_options.port = options.port;
        store_options.isServer = false;
        store_options.timeout = options.timeout;
        auto store = c10::make_intrusive<c10d::TCPStore>(options.host, store_options);
        auto gloo = c10d::ProcessGroupGloo::Options::create(options.timeout);
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(options.host));
        return c10::make_intrusive<c10d::ProcessGroupGloo>(store, options.rank, options.world_size, gloo);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("rank " + std::to_string(options.rank) + " of " + std::to_string(options.world_size) +
                    " could not join the process group at " + where + ": " + e.what());
    }
}

}  // namespace legolasflux::torch
