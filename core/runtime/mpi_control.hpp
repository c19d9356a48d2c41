// Messages between the ranks while the timed phase runs, over Comm's message channel:
//   progress  rank -> 0   counter totals, for rank 0's live progress line of the whole job
//   done      rank -> 0   the rank's timed phase ended (ok, or failed with a message)
//   stop      0 -> rank   stop now: `stonewall: true` and a rank finished, or a rank failed
//   end       0 -> rank   every rank is done: the channel is drained, the merge may start
// A world of one needs none of this; neither does a library without MPI_THREAD_MULTIPLE
// (then the ranks stop on their own deadlines and rank 0's progress line is its own).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/comm.hpp"
#include "runtime/run_context.hpp"

namespace mlps::core {

class JobControl {
  public:
    JobControl(Comm &comm, RunContext &run, bool stonewall);

    // Whether messages flow during the run (more than one rank, and the thread level allows).
    bool active() const { return active_; }
    // Sampler thread, often: handles what arrived (stop; progress and done on rank 0).
    void pump();
    // This rank's counter totals (by metric id), to rank 0.
    void postProgress(const std::vector<uint64_t> &counterTotals);
    // Rank 0: every rank's latest counter totals added to `own` (by metric id).
    std::vector<uint64_t> clusterTotals(const std::vector<uint64_t> &own);
    uint32_t ranksDone();

    // After this rank's timed phase (main thread): tells rank 0, then waits until every rank
    // is done (rank 0) or for rank 0's "end". False when the wait gave up; then `missing`
    // (rank 0) names the ranks that never finished.
    bool finish(bool ok, const std::string &error, std::vector<uint32_t> &missing);
    // Errors other ranks reported with their "done" (rank 0), "rank N (host): message".
    std::vector<std::string> rankErrors();
    // Rank 0: the last counter totals each rank sent (for a partial summary).
    std::vector<std::vector<uint64_t>> lastTotals();

  private:
    void handle(uint32_t from, const std::string &bytes); // under mutex_
    void pumpLocked();
    void stopAll(const std::string &why); // rank 0, under mutex_

    Comm &comm_;
    RunContext &run_;
    bool stonewall_;
    bool active_;
    std::mutex mutex_;
    std::vector<std::vector<uint64_t>> totals_; // rank 0: by rank
    std::vector<bool> done_;                    // rank 0: by rank
    std::vector<std::string> errors_;
    bool stopSent_ = false;
    bool endReceived_ = false;
};

} // namespace mlps::core
