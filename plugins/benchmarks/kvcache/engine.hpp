// What kvcache's workers share: settings, tiers, the cache bookkeeping, the scheduler's state,
// the synchronisation of placements between workers, the metrics and the op log.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <mlps/plugin.hpp>

#include "autoscaler.hpp"
#include "data_gen.hpp"
#include "feature_metrics.hpp"
#include "io_trace.hpp"
#include "metrics.hpp"
#include "op_log.hpp"
#include "planner.hpp"
#include "rag.hpp"
#include "replay_store.hpp"
#include "settings.hpp"
#include "source.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

namespace mlps::kvcache {

struct TierInfo {
    mlps_tier_ref ref{};
    std::string name;
    uint64_t capacity = 0; // what the tier reports
    uint64_t limit = 0;    // what the cache may use
    uint32_t alignment = 1;
};

// Which work a pass of the workers does. RagIngest and Precondition run before warm-up
// (preconditioning.cpp).
enum class Pass { Prepopulate, Requests, RagIngest, Precondition };

// What a set-up pass (RAG ingestion, preconditioning) did, for the report: it is not timed
// and records no metrics, so the run's statistics start clean after it.
struct SetupTally {
    bool ran = false;
    uint64_t targetBytes = 0;  // preconditioning: multiple x the last tier's limit
    uint64_t plannedBytes = 0; // bytes of the entries written
    uint64_t entries = 0;
    uint64_t failures = 0; // entries no tier could take
    uint64_t items = 0;    // documents (RAG) or entries tried (preconditioning)
    double seconds = 0;
    std::atomic<uint64_t> doneBytes{0}; // written so far (the progress line)
};

// A request handed to a worker: the request, its plan and what planning found.
struct Job {
    Request request;
    Plan plan;
    PlanStats stats;
    std::vector<uint64_t> tickets; // allocation tickets of the plan's allocBegin steps, in order
    // Closed loop: the request's number among its user's requests (it starts once the ones
    // before it are done), and the user's think time after it.
    uint64_t userOrdinal = 0;
    uint64_t thinkAfterNs = 0;
};

class Engine {
  public:
    Engine(const Host &host, Settings settings);
    ~Engine();

    const Host &host() const { return host_; }
    const Settings &settings() const { return settings_; }
    const std::vector<TierInfo> &tiers() const { return tiers_; }
    const std::vector<std::string> &tierNames() const { return tierNames_; }
    const MetricIds &metrics() const { return metrics_; }
    const FeatureMetricIds &featureMetrics() const { return featureMetrics_; }
    const RagLibrary *rag() const { return rag_.get(); }
    const DataGen &data() const { return *data_; }
    TierCache &cache() { return *cache_; }
    ReplayStore *replay() { return replay_.get(); } // source: trace only
    uint32_t bufferTier() const { return bufferTier_; }
    uint32_t rank() const { return rank_; }
    bool recordSamples() const { return pass_ == Pass::Requests; }

    // ---- scheduling (scheduler.cpp) ----------------------------------------------------
    void beginPass(Pass pass, mlps_phase phase);
    // Blocks until this worker gets a job (planned, in the global plan order); false when the
    // pass is over.
    bool nextJob(Job &job);
    // The job's I/O is over at ioDoneNs; closed-loop users think from ioDone + generation.
    void jobDone(const Job &job, uint64_t ioDoneNs);
    // Closed loop, after `job` is done: replaces it by its user's next request if that one was
    // planned meanwhile (parked, oldest first; it then waits for the user's think time) and
    // returns true. The worker that finishes a user's request always takes the one parked
    // behind it, so a parked plan never waits for a free worker.
    bool takeParked(Job &job);
    bool stopping() const;
    // Trace mode (trace_only): plans the phase's requests on a virtual clock on the calling
    // thread, logs them and does no I/O (trace_mode.cpp).
    void simulate(mlps_phase phase);
    void fail() { broken_.store(true); }
    bool broken() const { return broken_.load(std::memory_order_relaxed); }

    // ---- prefix cache, RAG, preconditioning, autoscaler ----------------------------------
    // Worker 0's progress line: requests, or the set-up pass's progress.
    void progress() const;
    // A completed request, for the autoscaler (worker.cpp); may start or stop users.
    void autoscaleObserve(const Job &job, uint64_t e2eNs, uint64_t ioDoneNs);
    // Read after the run (the report).
    const Autoscaler *autoscaler() const { return autoscaler_.get(); }
    uint32_t activeUsers() const { return activeUsers_; }
    SetupTally ragIngestTally, preconditionTally;

    // ---- placements between workers (worker.cpp) ----------------------------------------
    // Waits until the placement's bytes are there; false when they never will be.
    bool waitWritten(Placement &p);
    void finishWrite(Placement &p, bool ok);
    void endRead(Placement &p);
    void waitNoReaders(Placement &p);
    void registerObject(const PlacementPtr &p);
    void unregisterObject(Placement &p);
    // Max concurrent allocations, granted in plan order (deadlock-free: an allocation only
    // waits for work planned before it).
    void waitRemovals(uint32_t tier, uint64_t below);
    void removalDone(uint32_t tier, uint64_t id);
    void enterAllocation(uint64_t ticket);
    void leaveAllocation();
    // Placements whose objects should go now: not current, or failed. Clears them from the
    // registry. all: every object (teardown).
    std::vector<PlacementPtr> takeOrphans(bool all);

    // Tallies over the run (for the report): not recorded metrics.
    std::atomic<uint64_t> requestsDone{0};
    std::atomic<uint64_t> abandonedSteps{0};
    uint64_t rejectedTotal = 0; // guarded by dispatchMu_
    uint64_t admittedTotal = 0; // guarded by dispatchMu_
    uint64_t peakQueue = 0;     // guarded by dispatchMu_
    std::atomic<uint32_t> loggedProblems{0};

  private:
    void admitArrivals(uint64_t nowNs);
    // Set-up passes (dispatchMu_ held): the next RAG document or preconditioning entry.
    bool nextSetupJob(Job &job);
    void setupJobDone(const Job &job);
    // The autoscaler's user count (dispatchMu_ held): lanes below it send requests; a lane at
    // or above it stops when its next request comes up and restarts when the count grows.
    void setActiveUsers(uint32_t users, uint64_t nowNs);
    bool laneActive(uint32_t u) const { return u < activeUsers_; }
    void dispatch(Job &job, uint64_t nowNs);
    // Closed loop: waits (lock held by the caller, released while waiting) until the job's user
    // finished its earlier request and thought; sets the job's arrival (ready) and start times.
    void waitUntilUserReady(std::unique_lock<std::mutex> &lock, Job &job);
    void sequence(Job &job); // tickets and removal ids of a fresh plan (dispatchMu_ held)
    // Draws lane u's next request into next_[u]; false (and the lane retires) when the source
    // has no more for it.
    bool draw(uint32_t u);
    // Open arrivals: when lane u's drawn request arrives, its previous one having arrived at
    // previousNs (host clock; trace mode: virtual).
    uint64_t arrivalOf(uint32_t u, uint64_t previousNs, uint64_t startNs) const;
    // Closed arrivals: lane u's place in the virtual order once its previous request (planned
    // at virtual time previousNs, served in serviceNs) is done: that time plus the think time;
    // a timed source's item number (its requests keep the input's order).
    uint64_t closedKey(uint32_t u, uint64_t previousNs, uint64_t serviceNs) const;
    // Closed arrivals: the plan's virtual service time (its bytes at virtual_bandwidth).
    uint64_t serviceNs(const Plan &plan) const;

    Host host_;
    Settings settings_;
    uint32_t rank_ = 0;
    uint64_t seed_ = 0;
    std::vector<TierInfo> tiers_;
    std::vector<std::string> tierNames_;
    uint32_t bufferTier_ = 0;
    MetricIds metrics_;
    std::unique_ptr<DataGen> data_;
    std::unique_ptr<TierCache> cache_;
    std::unique_ptr<Planner> planner_;
    std::unique_ptr<ReplayStore> replay_;
    std::unique_ptr<RequestSource> source_;
    FeatureMetricIds featureMetrics_;
    std::unique_ptr<RagLibrary> rag_;
    std::unique_ptr<Autoscaler> autoscaler_;
    std::mutex autoscaleMu_;            // taken before dispatchMu_, never after
    uint32_t activeUsers_ = UINT32_MAX; // guarded by dispatchMu_
    std::vector<uint32_t> inactive_;    // lanes stopped by the autoscaler (dispatchMu_)
    uint64_t lastVtimeNs_ = 0;          // closed loop: the latest virtual time planned
    uint64_t setupNext_ = 0;            // set-up passes: the next document or entry
    uint32_t setupFailStreak_ = 0;
    OpLog opLog_;
    IoTrace ioTrace_;

    // Scheduling, all under dispatchMu_.
    std::mutex dispatchMu_;
    std::condition_variable dispatchCv_;
    Pass pass_ = Pass::Requests;
    mlps_phase phase_ = MLPS_PHASE_WARMUP;
    std::vector<uint64_t> draws_;         // requests drawn per lane (user), the heap's tie-break
    std::vector<Request> next_;           // each user's next request, drawn ahead
    std::vector<uint64_t> planned_;       // closed loop: the user's requests planned so far
    std::vector<uint64_t> done_;          // closed loop: ... and done (planned - done <= 4)
    std::vector<std::deque<Job>> parked_; // closed loop: planned behind the one in flight
    std::vector<uint64_t> readyNs_;       // closed loop: when the user may start its next request
    std::vector<uint64_t> vtimeNs_;       // closed loop: virtual arrival time of next_[u]
    // (time, requests the user made, user): min-heap order. The middle term breaks ties
    // round-robin when think times are 0 (otherwise user 0 would always go first).
    using Key = std::tuple<uint64_t, uint64_t, uint32_t>;
    std::priority_queue<Key, std::vector<Key>, std::greater<>> heap_;
    struct Queued {
        int priority;
        uint64_t arrivalNs;
        uint64_t seq;
        Request request;
        bool operator<(const Queued &o) const { // std::priority_queue pops the largest
            if (priority != o.priority) {
                return priority < o.priority;
            }
            if (arrivalNs != o.arrivalNs) {
                return arrivalNs > o.arrivalNs;
            }
            return seq > o.seq;
        }
    };
    std::priority_queue<Queued> queue_; // open loop: admitted, not yet dispatched
    bool started_ = false;
    uint64_t startNs_ = 0;
    uint64_t seq_ = 0;
    uint64_t passDispatched_ = 0;
    uint64_t allocTickets_ = 0;
    uint32_t prepopNext_ = 0;
    PlanStats prepopStats_;

    // Placement state, all under ioMu_ (the planner takes it too).
    std::mutex ioMu_;
    std::condition_variable ioCv_;
    std::vector<PlacementPtr> registry_;       // placements whose object may exist
    std::vector<uint64_t> removalSeq_;         // per tier: removals planned so far
    std::vector<std::set<uint64_t>> removing_; // per tier: planned, not yet done
    uint64_t allocNext_ = 0;                   // next allocation ticket allowed in
    uint32_t allocActive_ = 0;

    std::atomic<bool> broken_{false};
};

} // namespace mlps::kvcache
