#include "fake_host.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace mlps::test {

namespace {
FakeHost &self(void *ctx) {
    return *static_cast<FakeHost *>(ctx);
}
} // namespace

FakeHost::FakeHost() {
    api_.struct_size = sizeof api_;
    api_.abi_major = MLPS_ABI_MAJOR;
    api_.abi_minor = MLPS_ABI_MINOR;
    api_.ctx = this;
    api_.log = &log;
    api_.now_ns = &nowNs;
    api_.run_info = &runInfo;
    api_.barrier = &barrier;
    api_.allreduce_u64 = &allreduce;
    api_.metric_register = &metricRegister;
    api_.metric_record = &metricRecord;
    api_.metric_read = &metricRead;
    api_.should_stop = &shouldStop;
    api_.progress = &progress;
    api_.tier_count = &tierCount;
    api_.tier_get = &tierGet;
    api_.tier_spec = &tierSpec;
    api_.buffer_alloc = &bufferAlloc;
    api_.buffer_free = &bufferFree;
}

const FakeHost::Metric *FakeHost::metric(const std::string &name) const {
    std::lock_guard lock(mutex_);
    for (const Metric &m : metrics_) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

uint64_t FakeHost::sum(const std::string &name) const {
    const Metric *m = metric(name);
    return m != nullptr ? m->sum.load() : 0;
}

std::vector<std::string> FakeHost::logs() const {
    std::lock_guard lock(mutex_);
    return logs_;
}

void FakeHost::log(void *ctx, int32_t level, const char *message) {
    static const char *const names[] = {"error", "warn", "info", "debug"};
    std::fprintf(stderr, "[fake-host %s] %s\n", names[level & 3], message);
    std::lock_guard lock(self(ctx).mutex_);
    self(ctx).logs_.emplace_back(message);
}

uint64_t FakeHost::nowNs(void *) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

mlps_status FakeHost::runInfo(void *ctx, mlps_run_info *out) {
    mlps_run_info info{};
    info.struct_size = sizeof info;
    info.rank = 0;
    info.world_size = 1;
    info.seed = self(ctx).seed;
    info.run_id = "test-run";
    info.results_dir = nullptr;
    *out = info;
    return MLPS_OK;
}

mlps_status FakeHost::barrier(void *) {
    return MLPS_OK;
}

mlps_status FakeHost::allreduce(void *, uint64_t *, uint32_t, int32_t) {
    return MLPS_OK;
}

mlps_status FakeHost::metricRegister(
    void *ctx, const char *name, int32_t kind, const char * /*unit*/, mlps_metric_id *id) {
    FakeHost &host = self(ctx);
    std::lock_guard lock(host.mutex_);
    for (size_t i = 0; i < host.metrics_.size(); ++i) {
        if (host.metrics_[i].name == name) {
            *id = static_cast<mlps_metric_id>(i);
            return MLPS_OK;
        }
    }
    Metric &m = host.metrics_.emplace_back();
    m.name = name;
    m.kind = kind;
    *id = static_cast<mlps_metric_id>(host.metrics_.size() - 1);
    return MLPS_OK;
}

void FakeHost::metricRecord(void *ctx, mlps_metric_id id, uint64_t value) {
    Metric &m = self(ctx).metrics_[id];
    m.count.fetch_add(1);
    m.sum.fetch_add(value);
    uint64_t seen = m.max.load();
    while (value > seen && !m.max.compare_exchange_weak(seen, value)) {
    }
    seen = m.min.load();
    while (value < seen && !m.min.compare_exchange_weak(seen, value)) {
    }
}

mlps_status FakeHost::metricRead(void *ctx, mlps_metric_id id, mlps_metric_summary *out) {
    const Metric &m = self(ctx).metrics_.at(id);
    mlps_metric_summary s{};
    s.struct_size = sizeof s;
    s.kind = static_cast<uint32_t>(m.kind);
    s.count = m.count.load();
    s.sum = m.sum.load();
    s.min = s.count != 0 ? m.min.load() : 0;
    s.max = m.max.load();
    s.mean = s.count != 0 ? static_cast<double>(s.sum) / static_cast<double>(s.count) : 0.0;
    s.rate_per_s = static_cast<double>(s.sum); // as if the window were one second
    *out = s;
    return MLPS_OK;
}

int32_t FakeHost::shouldStop(void *ctx) {
    FakeHost &host = self(ctx);
    return host.stopAfter_ != 0 && host.stopCalls_.fetch_add(1) + 1 >= host.stopAfter_ ? 1 : 0;
}

void FakeHost::progress(void *, uint64_t, uint64_t, const char *) {}

uint32_t FakeHost::tierCount(void *ctx) {
    return static_cast<uint32_t>(self(ctx).tiers_.size());
}

mlps_status FakeHost::tierGet(void *ctx, uint32_t index, mlps_tier_ref *out) {
    FakeHost &host = self(ctx);
    if (index >= host.tiers_.size()) {
        return MLPS_E_NOT_FOUND;
    }
    const Tier &t = host.tiers_[index];
    mlps_tier_ref ref{};
    ref.struct_size = sizeof ref;
    ref.index = index;
    ref.name = t.name.c_str();
    ref.plugin = t.plugin.c_str();
    ref.self = t.self;
    ref.ops = t.ops;
    *out = ref;
    return MLPS_OK;
}

mlps_status FakeHost::tierSpec(void *ctx, uint32_t index, mlps_tier_spec *out) {
    FakeHost &host = self(ctx);
    if (index >= host.tiers_.size()) {
        return MLPS_E_NOT_FOUND;
    }
    const Tier &t = host.tiers_[index];
    mlps_tier_spec spec{};
    spec.struct_size = sizeof spec;
    spec.index = index;
    spec.name = t.name.c_str();
    spec.plugin = t.plugin.c_str();
    spec.caps = t.caps;
    *out = spec;
    return MLPS_OK;
}

mlps_status FakeHost::bufferAlloc(void *, uint32_t, uint64_t size, void **buf) {
    const uint64_t rounded = (size + 4095) / 4096 * 4096;
    *buf = std::aligned_alloc(4096, rounded != 0 ? rounded : 4096);
    return *buf != nullptr ? MLPS_OK : MLPS_E_NO_MEMORY;
}

void FakeHost::bufferFree(void *, uint32_t, void *buf, uint64_t) {
    std::free(buf);
}

} // namespace mlps::test
