// Which committed steps a run directory keeps, and why (checkpoints.hpp, "Retention").
#include <algorithm>
#include <cmath>

#include "checkpoints_internal.hpp"

namespace legolasflux::detail {

std::optional<double> ranking_value(const CheckpointInfo& info, const std::string& column) {
    const Metric* m = info.metric(column);
    if (!m) return std::nullopt;
    return std::visit(
        [&](const auto& v) -> std::optional<double> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return std::nullopt;
            } else if constexpr (std::is_same_v<T, std::string>) {
                throw InvalidArgument("cannot rank checkpoints by '" + column + "': step " + std::to_string(info.step) +
                                      " holds a string there, not a number");
            } else {
                const double d = static_cast<double>(v);
                if (std::isnan(d)) return std::nullopt;
                return d;
            }
        },
        m->value);
}

std::vector<int64_t> rank_best(const std::vector<CheckpointInfo>& infos, const KeepBest& best) {
    struct Ranked {
        int64_t step;
        std::optional<double> value;
    };
    std::vector<Ranked> ranked;
    for (const CheckpointInfo& info : infos) ranked.push_back({info.step, ranking_value(info, best.column)});
    std::stable_sort(ranked.begin(), ranked.end(), [&](const Ranked& a, const Ranked& b) {
        if (a.value.has_value() != b.value.has_value()) return a.value.has_value();  // missing last
        if (a.value && *a.value != *b.value)
            return best.mode == BestMode::Max ? *a.value > *b.value : *a.value < *b.value;
        return a.step > b.step;
    });
    std::vector<int64_t> out;
    for (const Ranked& r : ranked) out.push_back(r.step);
    return out;
}

std::map<int64_t, std::vector<std::string>> retain(const std::vector<CheckpointInfo>& infos,
                                                   const CheckpointOptions& options, const std::set<int64_t>& pinned) {
    std::map<int64_t, std::vector<std::string>> kept;
    for (const CheckpointInfo& info : infos) kept[info.step];
    if (infos.empty()) return kept;
    const bool keep_all = !options.max_to_keep && !options.best;
    kept[infos.back().step].push_back("latest");
    if (options.max_to_keep) {
        const size_t n = std::min(infos.size(), static_cast<size_t>(*options.max_to_keep));
        for (size_t i = infos.size() - n; i < infos.size(); ++i) kept[infos[i].step].push_back("last");
    }
    if (options.best) {
        const std::vector<int64_t> order = rank_best(infos, *options.best);
        const size_t n = std::min(order.size(), static_cast<size_t>(options.best->count));
        for (size_t i = 0; i < n; ++i) kept[order[i]].push_back("best");
    }
    for (const CheckpointInfo& info : infos) {
        if (options.keep_period && info.step % *options.keep_period == 0) kept[info.step].push_back("period");
        if (pinned.count(info.step)) kept[info.step].push_back("pinned");
        if (keep_all) kept[info.step].push_back("all");
    }
    return kept;
}

void remove_step(const std::filesystem::path& path, std::error_code& ec) {
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(path, ec))) {
        std::filesystem::remove(path, ec);
        return;
    }
    // A sharded step goes in one rename, so that it is never seen half deleted: what remove_all
    // leaves of ".<name>.deleting" (an error, a crash) is no step, and the next open removes it.
    const std::filesystem::path doomed = path.parent_path() / ("." + path.filename().string() + ".deleting");
    std::filesystem::rename(path, doomed, ec);
    if (ec) return;
    std::error_code later;
    std::filesystem::remove_all(doomed, later);
}

}  // namespace legolasflux::detail

namespace legolasflux::detail {

std::vector<int64_t> damaged_reached(const std::vector<CheckpointInfo>& infos,
                                     const std::vector<DamagedCheckpoint>& damaged, const CheckpointOptions& options,
                                     const std::set<int64_t>& pinned) {
    std::set<int64_t> committed, candidates;
    for (const CheckpointInfo& info : infos) committed.insert(info.step);
    for (const DamagedCheckpoint& d : damaged)
        if (!committed.count(d.step)) candidates.insert(d.step);
    if (candidates.empty()) return {};
    // As if they were good steps (no metrics: the worst); only their own verdicts are taken, so the
    // real steps are never ranked against them.
    std::vector<CheckpointInfo> probe = infos;
    for (const int64_t step : candidates) {
        CheckpointInfo stand_in;
        stand_in.step = step;
        probe.insert(std::upper_bound(probe.begin(), probe.end(), step,
                                      [](int64_t s, const CheckpointInfo& i) { return s < i.step; }),
                     stand_in);
    }
    const auto kept = retain(probe, options, pinned);
    std::vector<int64_t> out;
    for (const int64_t step : candidates)
        if (kept.at(step).empty()) out.push_back(step);
    return out;
}

}  // namespace legolasflux::detail
