// The checkpoint benchmark: saves and loads of an LLM checkpoint as MLPerf Storage's
// checkpointing workload does them (reference/mlpstorage.md §4.5), each rank writing and reading
// its own shards through one tier queue.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <mlps/benchmark.hpp>
#include <mlps/io_pump.hpp>
#include <mlps/json_writer.hpp>

#include "layout.hpp"
#include "settings.hpp"

namespace mlps::checkpoint {

struct MetricIds {
    mlps_metric_id writeLatency = 0, readLatency = 0, syncLatency = 0;
    mlps_metric_id writeBytes = 0, readBytes = 0, writeOps = 0, readOps = 0, errors = 0;
    mlps_metric_id saveDuration = 0, loadDuration = 0;
};

// One save or load as the job saw it: the slowest rank's duration and every rank's bytes.
struct OpResult {
    uint32_t step = 0;
    uint64_t durationNs = 0; // max over ranks, barrier to the rank's last completion
    uint64_t bytes = 0;      // sum over ranks
    uint64_t rankDurationNs = 0;
};

class Checkpoint final : public BenchmarkPlugin {
  public:
    Checkpoint(const Host &host, const Config &config);
    ~Checkpoint() override;

    void run(mlps_phase phase) override;
    std::string report() override;

    static void validate(const Host &host, const Config &config);
    static std::string plan(const Host &host, const Config &config);

  private:
    // Writes (or reads) every shard of checkpoint `step` for `sourceRank`'s layout position.
    uint64_t transfer(uint32_t step, uint32_t sourceRank, bool write);
    OpResult timed(uint32_t step, bool write);
    void writeManifest(uint32_t step);
    // Reads this rank's manifest of `step`; "" when it matches this job, else why not.
    std::string checkManifest(uint32_t step);
    void deleteStep(uint32_t step) noexcept;
    bool sleepBetween();
    std::string manifestText() const;
    JsonArray headline() const;

    Host host_;
    Settings settings_;
    uint32_t rank_ = 0;
    uint32_t ranks_ = 1;
    uint32_t tierIndex_ = 0;
    mlps_tier_ref tier_{};
    Layout layout_;
    MetricIds m_;
    std::unique_ptr<IoPump> pump_;
    std::vector<std::string> keys_; // stable storage for the keys of ops in flight
    std::vector<OpResult> saves_;
    std::vector<OpResult> loads_;
    bool pageCacheDropped_ = false;
    std::string pageCacheNote_;
    uint64_t errors_ = 0;
    std::vector<uint32_t> written_; // steps this run wrote (fully or partly)
    std::vector<uint32_t> read_;
};

} // namespace mlps::checkpoint
