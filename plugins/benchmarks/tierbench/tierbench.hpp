// tierbench: a fio-like micro-benchmark of one tier (write, read or mixed; sequential or
// random; threads x queue depth in flight), with optional verification of every byte read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <mlps/benchmark.hpp>

#include "shared_state.hpp"
#include "worker.hpp"

namespace mlps::tierbench {

class Tierbench final : public BenchmarkPlugin {
  public:
    Tierbench(const Host &host, const Config &config);
    ~Tierbench() override;

    void prepare() override;
    void run(mlps_phase phase) override;
    std::string report() override;
    static std::string plan(const Host &host, const Config &config);
    // Options checked against each other and the spec's tiers, creating nothing (ABI 1.1).
    static void validate(const Host &host, const Config &config);

  private:
    void runWorkers(Workload workload, uint64_t progressTotal, std::string progressText);

    Host host_;
    mlps_tier_ref tier_{};
    std::unique_ptr<SharedState> shared_;
    std::vector<std::unique_ptr<Worker>> workers_; // after shared_: destroyed before it
};

} // namespace mlps::tierbench
