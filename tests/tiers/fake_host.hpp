// A small stand-in for the runner's host API, for driving plugins through the C ABI in tests:
// logs to stderr, a monotonic clock, one rank, simple thread-safe metrics (count, sum, min,
// max; no percentiles), a stop flag, tiers handed in by the test, aligned buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mlps/plugin.h>

namespace mlps::test {

class FakeHost {
  public:
    struct Tier {
        std::string name;
        std::string plugin;
        void *self = nullptr;
        const mlps_tier_ops *ops = nullptr;
        uint64_t caps = 0;
    };
    struct Metric {
        std::string name;
        int32_t kind = 0;
        std::atomic<uint64_t> count{0};
        std::atomic<uint64_t> sum{0};
        std::atomic<uint64_t> min{UINT64_MAX};
        std::atomic<uint64_t> max{0};
    };

    FakeHost();
    FakeHost(const FakeHost &) = delete;
    FakeHost &operator=(const FakeHost &) = delete;

    const mlps_host_api *api() const { return &api_; }

    void addTier(Tier tier) { tiers_.push_back(std::move(tier)); }
    // Metric by name; nullptr when never registered.
    const Metric *metric(const std::string &name) const;
    uint64_t sum(const std::string &name) const;
    // should_stop() answers 1 from its n-th call on (0: never).
    void stopAfterCalls(uint64_t n) { stopAfter_ = n; }
    uint64_t seed = 42;
    std::vector<std::string> logs() const;

  private:
    static void log(void *ctx, int32_t level, const char *message);
    static uint64_t nowNs(void *ctx);
    static mlps_status runInfo(void *ctx, mlps_run_info *out);
    static mlps_status barrier(void *ctx);
    static mlps_status allreduce(void *ctx, uint64_t *values, uint32_t n, int32_t op);
    static mlps_status
    metricRegister(void *ctx, const char *name, int32_t kind, const char *unit, mlps_metric_id *id);
    static void metricRecord(void *ctx, mlps_metric_id id, uint64_t value);
    static mlps_status metricRead(void *ctx, mlps_metric_id id, mlps_metric_summary *out);
    static int32_t shouldStop(void *ctx);
    static void progress(void *ctx, uint64_t done, uint64_t total, const char *text);
    static uint32_t tierCount(void *ctx);
    static mlps_status tierGet(void *ctx, uint32_t index, mlps_tier_ref *out);
    static mlps_status tierSpec(void *ctx, uint32_t index, mlps_tier_spec *out);
    static mlps_status bufferAlloc(void *ctx, uint32_t index, uint64_t size, void **buf);
    static void bufferFree(void *ctx, uint32_t index, void *buf, uint64_t size);

    mlps_host_api api_{};
    std::vector<Tier> tiers_;
    mutable std::mutex mutex_;
    std::deque<Metric> metrics_; // deque: registering never moves a metric being recorded
    std::vector<std::string> logs_;
    std::atomic<uint64_t> stopCalls_{0};
    uint64_t stopAfter_ = 0;
};

} // namespace mlps::test
