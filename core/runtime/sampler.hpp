// During the timed phase, snapshots the metrics every interval into the time series and draws
// the live progress line (stderr, once per interval, only on a terminal unless forced).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "results/time_series.hpp"
#include "runtime/run_context.hpp"

namespace mlps::core {

class Sampler {
  public:
    Sampler(RunContext &run, uint64_t intervalNs, bool showProgress);
    ~Sampler();
    void start();
    // Takes the last (partial) interval, stops the thread, clears the progress line.
    void stop();
    const TimeSeries &series() const { return series_; }

  private:
    void loop();
    void sample();
    void drawProgress(const MetricsSnapshot &previous, const MetricsSnapshot &current);

    RunContext &run_;
    uint64_t intervalNs_;
    bool showProgress_;
    bool onTerminal_;
    TimeSeries series_;
    MetricsSnapshot last_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

} // namespace mlps::core
