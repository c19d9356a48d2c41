#include "runtime/host_binding.hpp"

#include <cstdlib>
#include <cstring>

#include "results/metrics_json.hpp"
#include "runtime/run_context.hpp"
#include "runtime/tier_guard.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

HostBinding &self(void *ctx) {
    return *static_cast<HostBinding *>(ctx);
}

void hostLog(void *ctx, int32_t level, const char *message) noexcept {
    const auto lvl = static_cast<LogLevel>(level < 0 ? 0 : (level > 3 ? 3 : level));
    try {
        Logger::instance().log(lvl, self(ctx).label(), message != nullptr ? message : "");
    } catch (...) { // a log line lost to low memory must not take the plugin down
    }
}

uint64_t hostNow(void * /*ctx*/) noexcept {
    return monotonicNs();
}

mlps_status hostRunInfo(void *ctx, mlps_run_info *out) noexcept {
    if (out == nullptr) {
        return MLPS_E_INVALID;
    }
    RunContext &run = self(ctx).run();
    mlps_run_info info{};
    info.struct_size = sizeof info;
    info.rank = run.comm.rank();
    info.world_size = run.comm.size();
    info.seed = run.spec.run.seed;
    info.duration_ns = run.spec.run.durationNs;
    info.warmup_ns = run.spec.run.warmupNs;
    info.timed_start_ns = run.timedStartNs();
    info.timed_end_ns = run.timedEndNs();
    info.run_id = run.runId.c_str();
    info.results_dir = run.resultsDir.empty() ? nullptr : run.resultsDir.c_str();
    // An older plugin's struct may be shorter: copy only what it has room for.
    const size_t n = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    std::memcpy(out, &info, n);
    out->struct_size = static_cast<uint32_t>(n);
    return MLPS_OK;
}

mlps_status hostBarrier(void *ctx) noexcept {
    try {
        self(ctx).run().comm.barrier();
        return MLPS_OK;
    } catch (...) {
        return MLPS_E_GENERIC;
    }
}

mlps_status hostAllreduce(void *ctx, uint64_t *values, uint32_t n, int32_t op) noexcept {
    if (values == nullptr && n != 0) {
        return MLPS_E_INVALID;
    }
    if (op != MLPS_REDUCE_SUM && op != MLPS_REDUCE_MIN && op != MLPS_REDUCE_MAX) {
        return MLPS_E_INVALID;
    }
    try {
        self(ctx).run().comm.allreduceU64(values, n, op);
        return MLPS_OK;
    } catch (...) {
        return MLPS_E_GENERIC;
    }
}

mlps_status hostMetricRegister(
    void *ctx, const char *name, int32_t kind, const char *unit, mlps_metric_id *id) noexcept {
    if (name == nullptr || id == nullptr ||
        (kind != MLPS_METRIC_HISTOGRAM && kind != MLPS_METRIC_COUNTER &&
         kind != MLPS_METRIC_GAUGE)) {
        return MLPS_E_INVALID;
    }
    try {
        *id = self(ctx).run().metrics.registerMetric(
            name, static_cast<MetricKind>(kind), unit != nullptr ? unit : "");
        return MLPS_OK;
    } catch (const std::exception &e) {
        Logger::instance().log(LogLevel::Error, self(ctx).label(), e.what());
        return MLPS_E_INVALID;
    } catch (...) {
        return MLPS_E_INVALID;
    }
}

void hostMetricRecord(void *ctx, mlps_metric_id id, uint64_t value) noexcept {
    self(ctx).run().metrics.record(id, value);
}

mlps_status hostMetricRead(void *ctx, mlps_metric_id id, mlps_metric_summary *out) noexcept {
    try {
        RunContext &run = self(ctx).run();
        const auto infos = run.metrics.list();
        if (out == nullptr || id >= infos.size()) {
            return MLPS_E_INVALID;
        }
        if (const MetricsSnapshot *merged = run.finalMetrics()) {
            fillMetricSummary(merged->values.at(id), infos[id].kind, run.timedSeconds(), out);
        } else { // mid-run: a snapshot of the moment
            const MetricsSnapshot now = run.reportMetrics();
            fillMetricSummary(now.values.at(id), infos[id].kind, run.timedSeconds(), out);
        }
        return MLPS_OK;
    } catch (...) {
        return MLPS_E_NO_MEMORY;
    }
}

int32_t hostShouldStop(void *ctx) noexcept {
    return self(ctx).run().shouldStop() ? 1 : 0;
}

void hostProgress(void *ctx, uint64_t done, uint64_t total, const char *text) noexcept {
    try {
        self(ctx).run().setProgress(done, total, text);
    } catch (...) { // the progress text is a nicety
    }
}

uint32_t hostTierCount(void *ctx) noexcept {
    return static_cast<uint32_t>(self(ctx).run().tiers.size());
}

mlps_status hostTierGet(void *ctx, uint32_t index, mlps_tier_ref *out) noexcept {
    RunContext &run = self(ctx).run();
    if (out == nullptr || index >= run.tiers.size() || run.tiers[index].self == nullptr) {
        return MLPS_E_INVALID;
    }
    const TierInstance &tier = run.tiers[index];
    mlps_tier_ref ref{};
    ref.struct_size = sizeof ref;
    ref.index = index;
    ref.name = tier.spec.name.c_str();
    ref.plugin = tier.plugin->descriptor->name;
    // Through the guard: every op gets its deadline (tier_guard.hpp).
    ref.self = tier.guard->self();
    ref.ops = TierGuard::ops();
    const size_t n = out->struct_size < sizeof ref ? out->struct_size : sizeof ref;
    std::memcpy(out, &ref, n);
    out->struct_size = static_cast<uint32_t>(n);
    return MLPS_OK;
}

mlps_status hostTierSpec(void *ctx, uint32_t index, mlps_tier_spec *out) noexcept {
    RunContext &run = self(ctx).run();
    if (out == nullptr || index >= run.tiers.size()) {
        return MLPS_E_INVALID;
    }
    const TierInstance &tier = run.tiers[index];
    mlps_tier_spec spec{};
    spec.struct_size = sizeof spec;
    spec.index = index;
    spec.name = tier.spec.name.c_str();
    spec.plugin = tier.plugin->descriptor->name;
    spec.capacity_bytes = tier.spec.capacityBytes;
    spec.caps = tier.plugin->descriptor->caps;
    const size_t n = out->struct_size < sizeof spec ? out->struct_size : sizeof spec;
    std::memcpy(out, &spec, n);
    out->struct_size = static_cast<uint32_t>(n);
    return MLPS_OK;
}

// A tier's own allocator when it has one (pinned or device memory), else aligned host memory.
bool tierAllocates(const TierInstance &tier) {
    const mlps_tier_ops *ops = tier.plugin->tierOps();
    return tier.self != nullptr && (tier.plugin->descriptor->caps & MLPS_TIER_CAP_BUFFER_ALLOC) &&
           MLPS_HAS_FIELD(ops, mlps_tier_ops, buffer_alloc) && ops->buffer_alloc != nullptr &&
           ops->buffer_free != nullptr;
}

uint64_t tierAlignment(const TierInstance &tier) {
    constexpr uint64_t kDefaultAlignment = 4096; // page: right for O_DIRECT and cheap for DRAM
    if (tier.self == nullptr) {
        return kDefaultAlignment;
    }
    mlps_tier_info info{};
    info.struct_size = sizeof info;
    if (tier.plugin->tierOps()->info(tier.self, &info) != MLPS_OK || info.alignment == 0) {
        return kDefaultAlignment;
    }
    return info.alignment > kDefaultAlignment ? info.alignment : kDefaultAlignment;
}

mlps_status hostBufferAlloc(void *ctx, uint32_t index, uint64_t size, void **buf) noexcept {
    RunContext &run = self(ctx).run();
    if (buf == nullptr || index >= run.tiers.size()) {
        return MLPS_E_INVALID;
    }
    const TierInstance &tier = run.tiers[index];
    if (tierAllocates(tier)) {
        mlps_error err{};
        const mlps_status st = tier.plugin->tierOps()->buffer_alloc(tier.self, size, buf, &err);
        if (st < 0) {
            Logger::instance().log(LogLevel::Error, self(ctx).label(), err.message);
        }
        return st;
    }
    const uint64_t alignment = tierAlignment(tier);
    const uint64_t rounded = size == 0 ? alignment : (size + alignment - 1) / alignment * alignment;
    *buf = std::aligned_alloc(alignment, rounded);
    return *buf != nullptr ? MLPS_OK : MLPS_E_NO_MEMORY;
}

void hostBufferFree(void *ctx, uint32_t index, void *buf, uint64_t size) noexcept {
    RunContext &run = self(ctx).run();
    if (buf == nullptr || index >= run.tiers.size()) {
        return;
    }
    const TierInstance &tier = run.tiers[index];
    if (tierAllocates(tier)) {
        tier.plugin->tierOps()->buffer_free(tier.self, buf, size);
    } else {
        std::free(buf);
    }
}

uint32_t hostBufferMemory(void *ctx, uint32_t index) noexcept {
    RunContext &run = self(ctx).run();
    if (index >= run.tiers.size() || !tierAllocates(run.tiers[index])) {
        return MLPS_MEMORY_HOST;
    }
    const TierInstance &tier = run.tiers[index];
    mlps_tier_info info{};
    info.struct_size = sizeof info;
    if (tier.plugin->tierOps()->info(tier.self, &info) != MLPS_OK ||
        !MLPS_HAS_FIELD(&info, mlps_tier_info, buffer_memory) || info.buffer_memory == 0) {
        return MLPS_MEMORY_HOST; // a 1.0 tier's buffers are host memory
    }
    return info.buffer_memory;
}

} // namespace

HostBinding::HostBinding(RunContext &run, std::string label) : run_(run), label_(std::move(label)) {
    api_.struct_size = sizeof api_;
    api_.abi_major = MLPS_ABI_MAJOR;
    api_.abi_minor = MLPS_ABI_MINOR;
    api_.ctx = this;
    api_.log = hostLog;
    api_.now_ns = hostNow;
    api_.run_info = hostRunInfo;
    api_.barrier = hostBarrier;
    api_.allreduce_u64 = hostAllreduce;
    api_.metric_register = hostMetricRegister;
    api_.metric_record = hostMetricRecord;
    api_.metric_read = hostMetricRead;
    api_.should_stop = hostShouldStop;
    api_.progress = hostProgress;
    api_.tier_count = hostTierCount;
    api_.tier_get = hostTierGet;
    api_.tier_spec = hostTierSpec;
    api_.buffer_alloc = hostBufferAlloc;
    api_.buffer_free = hostBufferFree;
    api_.buffer_memory = hostBufferMemory;
}

} // namespace mlps::core
