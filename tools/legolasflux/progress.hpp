// A progress bar on standard error, shown only when standard error is a terminal and only once the
// work has taken more than a second (quick commands and scripts never see it).
//
// LEGOLASFLUX_PROGRESS_DELAY_MS (undocumented, for tests): how long, in milliseconds, work runs
// before the bar appears, instead of 1000. tests/cli/progress_test.cpp sets it to 0 so that a
// small input shows the bar under a pseudo-terminal without the test depending on timing.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace legolasflux::cli {

class Progress {
public:
    // `total` units of work (bytes, arrays…), described by `label`.
    Progress(std::string label, int64_t total)
        : label_(std::move(label)),
          total_(total > 0 ? total : 1),
          start_(Clock::now()),
          delay_(delay_from_environment()),
          enabled_(::isatty(STDERR_FILENO) == 1) {}
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress() { finish(); }

    void advance(int64_t units) {
        done_ += units;
        if (!enabled_) return;
        const auto now = Clock::now();
        if (now - start_ < delay_ || (drawn_ && now - last_draw_ < std::chrono::milliseconds(100))) return;
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

    static std::chrono::milliseconds delay_from_environment() {
        const char* text = std::getenv("LEGOLASFLUX_PROGRESS_DELAY_MS");
        if (!text || !*text) return std::chrono::milliseconds(1000);
        char* end = nullptr;
        const long long ms = std::strtoll(text, &end, 10);
        if (*end != '\0' || ms < 0) return std::chrono::milliseconds(1000);
        return std::chrono::milliseconds(ms);
    }

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
    Clock::time_point start_, last_draw_;
    std::chrono::milliseconds delay_;
    bool enabled_;
    bool drawn_ = false;
};

}  // namespace legolasflux::cli
