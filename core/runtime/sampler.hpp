// During the timed phase, snapshots the metrics every interval into the time series and draws
// the live progress line (stderr, once per interval, only on a terminal unless forced). In a
// job of several ranks it also runs the rank's side of JobControl: rank 0's line shows the
// whole job's bandwidth, the other ranks send their totals to rank 0 and react to "stop".
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "results/time_series.hpp"
#include "runtime/run_context.hpp"

namespace mlps::core {

class JobControl;

// Counter totals (by metric id) of this rank at each sample: what a rank had done at a given
// instant, for first-done bandwidth.
class CounterTrail {
  public:
    void add(uint64_t timeNs, std::vector<uint64_t> totals);
    // The totals at `timeNs`, interpolated linearly between the samples around it.
    std::vector<uint64_t> at(uint64_t timeNs) const;
    bool empty() const { return points_.empty(); }
    // The last sample holds the final totals, taken just after `timeNs` (the end of the
    // window, when the benchmark had drained): date it there.
    void closeAt(uint64_t timeNs);

  private:
    std::vector<std::pair<uint64_t, std::vector<uint64_t>>> points_;
};

// The sum of each metric (a counter's total) by id.
std::vector<uint64_t> counterTotals(const MetricsSnapshot &snapshot);

// "[set-up 3.0s] tierbench: precondition 40%" / "[warm-up 2.0s / 5s] kvcache: requests": the line
// before the timed phase (set-up and warm-up could be 20 s of silence), drawn by rank 0 once
// an interval until stop(). Only this rank's progress: nothing is merged before the timed phase.
class PhaseTicker {
  public:
    PhaseTicker(RunContext &run, uint64_t intervalNs, bool show);
    ~PhaseTicker();
    PhaseTicker(const PhaseTicker &) = delete;
    PhaseTicker &operator=(const PhaseTicker &) = delete;
    // Stops the thread and clears the line; idempotent.
    void stop();

  private:
    void loop();
    void draw();

    RunContext &run_;
    uint64_t intervalNs_;
    bool show_;
    uint32_t phase_ = 0;
    uint64_t phaseStartNs_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

// Under mpiexec stderr is a pipe even when the user watches a terminal: `mlpsrun run -n N`
// tells its ranks (a hidden --progress-tty) to draw in place all the same.
void assumeProgressTerminal();
bool progressOnTerminal();

// The plugin's progress (host->progress) for the line: "precondition 40%" (with a total), else
// the plugin's text alone.
std::string progressDetail(const RunContext::Progress &progress);

class Sampler {
  public:
    Sampler(RunContext &run, uint64_t intervalNs, bool showProgress, JobControl *control = nullptr);
    ~Sampler();
    void start();
    // Takes the last (partial) interval, stops the thread, clears the progress line.
    void stop();
    const TimeSeries &series() const { return series_; }
    const CounterTrail &trail() const { return trail_; }

  private:
    void loop();
    void sample();
    void drawProgress(const std::vector<uint64_t> &previous,
                      const std::vector<uint64_t> &current,
                      double intervalSeconds);

    RunContext &run_;
    uint64_t intervalNs_;
    bool showProgress_;
    bool onTerminal_;
    JobControl *control_;
    TimeSeries series_;
    MetricsSnapshot last_;
    std::vector<uint64_t> lastShown_; // the totals the progress line last used
    CounterTrail trail_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

} // namespace mlps::core
