#include "check/check_host.hpp"

#include <cstring>
#include <mutex>

#include "check/child_process.hpp"

namespace mlps::core::check {

namespace {

std::mutex gLogMutex; // tiers may log from their own threads

CheckHost &self(void *ctx) {
    return *static_cast<CheckHost *>(ctx);
}

uint64_t nowNs(void *) {
    return monotonicNs();
}

mlps_status runInfo(void *, mlps_run_info *out) {
    if (out == nullptr) {
        return MLPS_E_INVALID;
    }
    mlps_run_info info{};
    info.struct_size = sizeof info;
    info.rank = 0;
    info.world_size = 1;
    info.seed = 42;
    info.run_id = "plugins-check";
    info.results_dir = nullptr;
    const size_t n = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    std::memcpy(out, &info, n);
    out->struct_size = static_cast<uint32_t>(n);
    return MLPS_OK;
}

mlps_status barrier(void *) {
    return MLPS_OK;
}
mlps_status allreduce(void *, uint64_t *, uint32_t, int32_t) {
    return MLPS_OK;
}
mlps_status metricRegister(void *, const char *, int32_t, const char *, mlps_metric_id *id) {
    if (id != nullptr) {
        *id = 0;
    }
    return MLPS_OK;
}
void metricRecord(void *, mlps_metric_id, uint64_t) {}
mlps_status metricRead(void *, mlps_metric_id, mlps_metric_summary *) {
    return MLPS_E_NOT_SUPPORTED;
}
int32_t shouldStop(void *) {
    return 0;
}
void progress(void *, uint64_t, uint64_t, const char *) {}
uint32_t tierCount(void *) {
    return 0;
}
mlps_status tierGet(void *, uint32_t, mlps_tier_ref *) {
    return MLPS_E_INVALID;
}
mlps_status tierSpec(void *, uint32_t, mlps_tier_spec *) {
    return MLPS_E_INVALID;
}
mlps_status bufferAlloc(void *, uint32_t, uint64_t, void **) {
    return MLPS_E_INVALID;
}
void bufferFree(void *, uint32_t, void *, uint64_t) {}
uint32_t bufferMemory(void *, uint32_t) {
    return MLPS_MEMORY_HOST;
}

} // namespace

CheckHost::CheckHost() {
    api_.struct_size = sizeof api_;
    api_.abi_major = MLPS_ABI_MAJOR;
    api_.abi_minor = MLPS_ABI_MINOR;
    api_.ctx = this;
    api_.log = &CheckHost::log;
    api_.now_ns = nowNs;
    api_.run_info = runInfo;
    api_.barrier = barrier;
    api_.allreduce_u64 = allreduce;
    api_.metric_register = metricRegister;
    api_.metric_record = metricRecord;
    api_.metric_read = metricRead;
    api_.should_stop = shouldStop;
    api_.progress = progress;
    api_.tier_count = tierCount;
    api_.tier_get = tierGet;
    api_.tier_spec = tierSpec;
    api_.buffer_alloc = bufferAlloc;
    api_.buffer_free = bufferFree;
    api_.buffer_memory = bufferMemory;
}

void CheckHost::log(void *ctx, int32_t level, const char *message) {
    static const char *kLevels[] = {"error", "warn", "info", "debug"};
    const char *name = level >= 0 && level <= 3 ? kLevels[level] : "log";
    std::lock_guard lock(gLogMutex);
    auto &logs = self(ctx).logs_;
    logs.push_back(std::string(name) + ": " + (message != nullptr ? message : ""));
    if (logs.size() > 20) {
        logs.erase(logs.begin());
    }
}

std::vector<std::string> CheckHost::logs() const {
    std::lock_guard lock(gLogMutex);
    return logs_;
}

} // namespace mlps::core::check
