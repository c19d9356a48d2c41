#include "runtime/sampler.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "spec/units.hpp"
#include "util/log.hpp"

namespace mlps::core {

Sampler::Sampler(RunContext &run, uint64_t intervalNs, bool showProgress)
    : run_(run), intervalNs_(intervalNs), showProgress_(showProgress),
      onTerminal_(isatty(STDERR_FILENO) != 0), series_(run.metrics.list()) {}

Sampler::~Sampler() {
    stop();
}

void Sampler::start() {
    // Metrics registered later than this (none should be: plugins register in create/prepare)
    // would be missing from the series, so the list is taken now.
    series_ = TimeSeries(run_.metrics.list());
    last_ = run_.metrics.snapshot(run_.timedStartNs());
    if (showProgress_ && onTerminal_) {
        Logger::instance().setProgressLineActive(true);
    }
    thread_ = std::thread([this] { loop(); });
}

void Sampler::stop() {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    sample(); // the last, partial interval
    if (showProgress_ && onTerminal_) {
        std::fputs("\r\033[K", stderr);
        Logger::instance().setProgressLineActive(false);
    }
}

void Sampler::loop() {
    std::unique_lock lock(mutex_);
    // Periodic sampling, not synchronisation: wake on the interval or when asked to stop.
    while (!wake_.wait_for(
        lock, std::chrono::nanoseconds(intervalNs_), [this] { return stopping_; })) {
        lock.unlock();
        sample();
        lock.lock();
    }
}

void Sampler::sample() {
    MetricsSnapshot now = run_.metrics.snapshot(monotonicNs());
    if (now.timeNs <= last_.timeNs) {
        return;
    }
    series_.add(last_, now, run_.timedStartNs());
    if (showProgress_) {
        drawProgress(last_, now);
    }
    last_ = std::move(now);
}

// "[  5.0s / 10s] read 1.20 GiB/s 1.2k op/s | write 300 MiB/s | tierbench: 1.2 GiB of 4 GiB"
void Sampler::drawProgress(const MetricsSnapshot &previous, const MetricsSnapshot &current) {
    const double interval = static_cast<double>(current.timeNs - previous.timeNs) / 1e9;
    const double elapsed = run_.timedSeconds();
    std::string line;
    char head[64];
    if (run_.spec.run.durationNs != 0) {
        std::snprintf(head,
                      sizeof head,
                      "[%6.1fs / %s]",
                      elapsed,
                      formatDurationNs(static_cast<double>(run_.spec.run.durationNs)).c_str());
    } else {
        std::snprintf(head, sizeof head, "[%6.1fs]", elapsed);
    }
    line += head;
    // Traffic classes: "<class>.bytes" counters, shown as the bandwidth of the last interval.
    for (const auto &info : series_.metrics()) {
        if (info.kind != MetricKind::Counter || !info.name.ends_with(".bytes") ||
            info.id >= current.values.size() || info.id >= previous.values.size()) {
            continue;
        }
        const uint64_t delta = current.values[info.id].sum - previous.values[info.id].sum;
        if (current.values[info.id].sum == 0) {
            continue;
        }
        line += " " + info.name.substr(0, info.name.size() - 6) + " " +
                formatBandwidth(static_cast<double>(delta) / interval);
    }
    const auto progress = run_.progress();
    if (!progress.text.empty()) {
        line += " | " + progress.text;
    }
    if (onTerminal_) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

} // namespace mlps::core
