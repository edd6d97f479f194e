// A progress bar on standard error, shown only when standard error is a terminal and only once the
// work has taken more than a second (quick commands and scripts never see it).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace legolasflux::cli {

class Progress {
public:
    // `total` units of work (bytes, arrays…), described by `label`.
    Progress(std::string label, int64_t total)
        : label_(std::move(label)), total_(total > 0 ? total : 1), start_(Clock::now()),
          enabled_(::isatty(STDERR_FILENO) == 1) {}
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress() { finish(); }

    void advance(int64_t units) {
        done_ += units;
        if (!enabled_) return;
        const auto now = Clock::now();
        if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        draw();
    }

    // Completes the bar (when one was drawn) and moves to a new line.
    void finish() {
        if (!drawn_) return;
        done_ = total_;
        draw();
        std::fputc('\n', stderr);
        drawn_ = false;
    }

private:
    using Clock = std::chrono::steady_clock;

    void draw() {
        constexpr int kWidth = 30;
        const double fraction = done_ >= total_ ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
        const int filled = static_cast<int>(fraction * kWidth);
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(kWidth, '.');
        std::fprintf(stderr, "\r%s [%s] %3d%%", label_.c_str(), bar.c_str(), static_cast<int>(fraction * 100));
        std::fflush(stderr);
        drawn_ = true;
    }

    std::string label_;
    int64_t total_;
    int64_t done_ = 0;
    Clock::time_point start_, last_draw_{};
    bool enabled_;
    bool drawn_ = false;
};

}  // namespace legolasflux::cli
