#include "runtime/sampler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "runtime/mpi_control.hpp"
#include "spec/units.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

// How often a rank of a multi-rank job looks at its messages: bounds how late a stonewall or
// failure "stop" is seen.
constexpr uint64_t kMessageTickNs = 10'000'000;

std::atomic<bool> assumeTerminal{false};

void drawLine(const std::string &line, bool onTerminal) {
    if (onTerminal) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

} // namespace

void assumeProgressTerminal() {
    assumeTerminal.store(true);
}

bool progressOnTerminal() {
    return assumeTerminal.load() || isatty(STDERR_FILENO) != 0;
}

std::string progressDetail(const RunContext::Progress &progress) {
    if (progress.text.empty()) {
        return {};
    }
    char number[48];
    if (progress.total != 0) {
        std::snprintf(number,
                      sizeof number,
                      " %.0f%%",
                      100.0 * static_cast<double>(std::min(progress.done, progress.total)) /
                          static_cast<double>(progress.total));
        return progress.text + number;
    }
    // Without a total the unit of `done` is unknown (bytes? requests?): the label alone.
    return progress.text;
}

PhaseTicker::PhaseTicker(RunContext &run, uint64_t intervalNs, bool show)
    : run_(run), intervalNs_(intervalNs), show_(show) {
    if (!show_) {
        return;
    }
    if (progressOnTerminal()) {
        Logger::instance().setProgressLineActive(true);
    }
    thread_ = std::thread([this] { loop(); });
}

PhaseTicker::~PhaseTicker() {
    stop();
}

void PhaseTicker::stop() {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (progressOnTerminal()) {
        std::fputs("\r\033[K", stderr);
        Logger::instance().setProgressLineActive(false);
    }
}

void PhaseTicker::loop() {
    std::unique_lock lock(mutex_);
    // Periodic drawing, not synchronisation: wake on the interval or when asked to stop.
    while (!wake_.wait_for(
        lock, std::chrono::nanoseconds(intervalNs_), [this] { return stopping_; })) {
        lock.unlock();
        draw();
        lock.lock();
    }
}

void PhaseTicker::draw() {
    const uint32_t phase = run_.phase();
    const uint64_t now = monotonicNs();
    if (phase != phase_ || phaseStartNs_ == 0) {
        phase_ = phase;
        phaseStartNs_ = now;
    }
    if (phase != MLPS_PHASE_PREPARE && phase != MLPS_PHASE_WARMUP) {
        return;
    }
    const double elapsed = static_cast<double>(now - phaseStartNs_) / 1e9;
    char head[96];
    if (phase == MLPS_PHASE_WARMUP && run_.spec.run.warmupNs != 0) {
        std::snprintf(head,
                      sizeof head,
                      "[warm-up %5.1fs / %s]",
                      elapsed,
                      formatDurationNs(static_cast<double>(run_.spec.run.warmupNs)).c_str());
    } else {
        std::snprintf(head, sizeof head, "[set-up %5.1fs]", elapsed);
    }
    std::string line = head;
    const std::string detail = progressDetail(run_.progress());
    if (!detail.empty()) {
        line += " " + run_.spec.benchmark.plugin + ": " + detail;
    }
    if (run_.comm.size() > 1) {
        line += " | rank 0 of " + std::to_string(run_.comm.size());
    }
    drawLine(line, progressOnTerminal());
}

void CounterTrail::add(uint64_t timeNs, std::vector<uint64_t> totals) {
    points_.emplace_back(timeNs, std::move(totals));
}

void CounterTrail::closeAt(uint64_t timeNs) {
    if (!points_.empty() && points_.back().first > timeNs &&
        (points_.size() < 2 || points_[points_.size() - 2].first <= timeNs)) {
        points_.back().first = timeNs;
    }
}

std::vector<uint64_t> CounterTrail::at(uint64_t timeNs) const {
    if (points_.empty()) {
        return {};
    }
    if (timeNs <= points_.front().first) {
        return points_.front().second;
    }
    for (size_t i = 1; i < points_.size(); ++i) {
        const auto &[t1, v1] = points_[i];
        if (timeNs > t1) {
            continue;
        }
        const auto &[t0, v0] = points_[i - 1];
        const double f = t1 > t0 ? double(timeNs - t0) / double(t1 - t0) : 1.0;
        std::vector<uint64_t> out(v1.size());
        for (size_t k = 0; k < v1.size(); ++k) {
            const uint64_t a = k < v0.size() ? v0[k] : 0;
            out[k] = a + static_cast<uint64_t>(f * double(v1[k] - a));
        }
        return out;
    }
    return points_.back().second;
}

std::vector<uint64_t> counterTotals(const MetricsSnapshot &snapshot) {
    std::vector<uint64_t> totals;
    totals.reserve(snapshot.values.size());
    for (const auto &value : snapshot.values) {
        totals.push_back(value.sum);
    }
    return totals;
}

Sampler::Sampler(RunContext &run, uint64_t intervalNs, bool showProgress, JobControl *control)
    : run_(run), intervalNs_(intervalNs), showProgress_(showProgress),
      onTerminal_(progressOnTerminal()), control_(control), series_(run.metrics.list()) {}

Sampler::~Sampler() {
    stop();
}

void Sampler::start() {
    // Metrics registered later than this (none should be: plugins register in create/prepare)
    // would be missing from the series, so the list is taken now.
    series_ = TimeSeries(run_.metrics.list());
    last_ = run_.metrics.snapshot(run_.timedStartNs());
    lastShown_ = counterTotals(last_);
    trail_.add(last_.timeNs, lastShown_);
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
    const bool messages = control_ != nullptr && control_->active();
    const uint64_t tickNs = messages && kMessageTickNs < intervalNs_ ? kMessageTickNs : intervalNs_;
    uint64_t nextSample = monotonicNs() + intervalNs_;
    std::unique_lock lock(mutex_);
    // Periodic sampling, not synchronisation: wake on the tick or when asked to stop.
    while (!wake_.wait_for(lock, std::chrono::nanoseconds(tickNs), [this] { return stopping_; })) {
        lock.unlock();
        if (messages) {
            control_->pump();
        }
        if (monotonicNs() >= nextSample) {
            nextSample += intervalNs_;
            sample();
        }
        lock.lock();
    }
}

void Sampler::sample() {
    MetricsSnapshot now = run_.metrics.snapshot(monotonicNs());
    if (now.timeNs <= last_.timeNs) {
        return;
    }
    series_.add(last_, now, run_.timedStartNs());
    std::vector<uint64_t> totals = counterTotals(now);
    trail_.add(now.timeNs, totals);
    const bool messages = control_ != nullptr && control_->active();
    if (messages) {
        control_->postProgress(totals); // rank 0 ignores its own
    }
    if (showProgress_) {
        std::vector<uint64_t> shown = messages ? control_->clusterTotals(totals) : totals;
        drawProgress(lastShown_, shown, static_cast<double>(now.timeNs - last_.timeNs) / 1e9);
        lastShown_ = std::move(shown);
    }
    last_ = std::move(now);
}

// "[  5.0s / 10s] read 1.20 GiB/s | tierbench: 1.2 GiB of 4 GiB | 4 ranks, 1 done"
void Sampler::drawProgress(const std::vector<uint64_t> &previous,
                           const std::vector<uint64_t> &current,
                           double interval) {
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
            info.id >= current.size() || info.id >= previous.size() || current[info.id] == 0) {
            continue;
        }
        const uint64_t delta =
            current[info.id] >= previous[info.id] ? current[info.id] - previous[info.id] : 0;
        line += " " + info.name.substr(0, info.name.size() - 6) + " " +
                formatBandwidth(interval > 0 ? static_cast<double>(delta) / interval : 0.0);
    }
    // Whole requests (kvcache's "requests.ops"): the job's count and the rate of the interval.
    for (const auto &info : series_.metrics()) {
        if (info.kind != MetricKind::Counter || info.name != "requests.ops" ||
            info.id >= current.size() || info.id >= previous.size()) {
            continue;
        }
        const uint64_t delta =
            current[info.id] >= previous[info.id] ? current[info.id] - previous[info.id] : 0;
        char text[96];
        std::snprintf(text,
                      sizeof text,
                      " | %llu requests, %.1f/s",
                      (unsigned long long)current[info.id],
                      interval > 0 ? static_cast<double>(delta) / interval : 0.0);
        line += text;
    }
    const std::string detail = progressDetail(run_.progress());
    if (!detail.empty() && detail != "requests") { // kvcache: its counter is shown above
        line += " | " + detail;
    }
    if (control_ != nullptr && control_->active()) {
        line += " | " + std::to_string(run_.comm.size()) + " ranks";
        const uint32_t done = control_->ranksDone();
        if (done != 0) {
            line += ", " + std::to_string(done) + " done";
        }
    }
    drawLine(line, onTerminal_);
}

} // namespace mlps::core
