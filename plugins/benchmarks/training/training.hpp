// The training benchmark: MLPerf Storage's training workloads (reference/mlpstorage.md §4.1-4.4)
// as DLIO runs them: datagen writes the dataset, run reads it in shuffled batches with reader
// threads while the "accelerator" computes, and AU = compute time / wall time is the verdict.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <mlps/benchmark.hpp>
#include <mlps/io_pump.hpp>

#include "settings.hpp"

namespace mlps::training {

struct MetricIds {
    mlps_metric_id readLatency = 0, writeLatency = 0;
    mlps_metric_id readBytes = 0, writeBytes = 0, readOps = 0, writeOps = 0, errors = 0;
    mlps_metric_id samples = 0, ioWait = 0;
};

// One epoch as the job saw it.
struct EpochResult {
    double auPercent = 0;     // mean over ranks (DLIO's allreduce(sum) / ranks)
    double rankAuPercent = 0; // this rank's
    uint64_t wallNs = 0;      // slowest rank's, first step's I/O excluded
    uint64_t samples = 0;     // all ranks
    bool complete = true;     // false: the run stopped during it (left out of AU)
};

class Training final : public BenchmarkPlugin {
  public:
    Training(const Host &host, const Config &config);
    ~Training() override;

    void prepare() override;
    void run(mlps_phase phase) override;
    std::string report() override;

    static void validate(const Host &host, const Config &config);
    static std::string plan(const Host &host, const Config &config);

  private:
    struct Tally {
        uint64_t bytes = 0, ops = 0, errors = 0;
    };
    // Writes the files `next()` hands out (UINT64_MAX: none left) on every pump, in parallel.
    uint64_t writeFiles(const std::vector<uint64_t> &files, bool record);
    void readBatch(uint32_t pump, const std::vector<uint64_t> &samples, Tally &tally);
    EpochResult epoch(uint32_t index);
    void onDone(const IoPump::Done &d, bool write, bool record, Tally &tally);
    void manifest(bool write);
    std::string manifestText() const;
    void deleteFiles(const std::vector<uint64_t> &files) noexcept;
    std::vector<uint64_t> ownedFiles() const; // datagen's round-robin share
    std::vector<uint64_t> blockFiles() const; // the files of this rank's sample block

    Host host_;
    Settings settings_;
    uint32_t rank_ = 0;
    uint32_t ranks_ = 1;
    uint32_t tierIndex_ = 0;
    mlps_tier_ref tier_{};
    uint64_t alignment_ = 1;
    uint64_t seed_ = 0;
    MetricIds m_;
    std::vector<std::unique_ptr<IoPump>> pumps_; // one per reader thread
    // slotKeys_[pump][slot]: the key of the op in that slot, stable while it flies.
    std::vector<std::vector<std::string>> slotKeys_;
    std::vector<EpochResult> epochs_;
    std::vector<uint64_t> generated_; // files this run wrote (deleted at the end unless datagen)
    uint64_t writtenFiles_ = 0;       // all ranks, datagen
    uint64_t stepsPerEpoch_ = 0;
    std::atomic<uint32_t> logged_{0};
};

} // namespace mlps::training
