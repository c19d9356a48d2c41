#include "engine.hpp"

#include <algorithm>
#include <chrono>

#include "buffer_tier.hpp"

namespace mlps::kvcache {

namespace {

constexpr std::chrono::milliseconds kWaitSlice(20); // re-check the stop flag this often

} // namespace

Engine::Engine(const Host &host, Settings settings) : host_(host), settings_(std::move(settings)) {
    const mlps_run_info info = host_.runInfo();
    rank_ = info.rank;
    seed_ = info.seed;
    const uint32_t n = host_.tierCount();
    if (n == 0) {
        throw Error("kvcache needs at least one tier", MLPS_E_INVALID);
    }
    uint32_t alignment = 1;
    for (uint32_t i = 0; i < n; ++i) {
        TierInfo t;
        t.ref = host_.tier(i);
        t.name = t.ref.name != nullptr ? t.ref.name : ("tier" + std::to_string(i));
        const mlps_tier_info ti = Host::tierInfo(t.ref);
        const mlps_tier_spec spec = host_.tierSpec(i);
        t.capacity = ti.capacity_bytes;
        t.alignment = std::max<uint32_t>(ti.alignment, 1);
        // A capacity the spec gives is used in full; one the tier decides (free disk space,
        // half the RAM) is used to 95%, as the reference does for its auto NVMe limit.
        t.limit = spec.capacity_bytes != 0 ? std::min(spec.capacity_bytes, ti.capacity_bytes)
                                           : ti.capacity_bytes / 20 * 19;
        t.limit -= std::min(t.limit, ti.used_bytes);
        if (t.alignment > alignment) {
            alignment = t.alignment;
            bufferTier_ = i;
        }
        tierNames_.push_back(t.name);
        tiers_.push_back(std::move(t));
    }
    if (settings_.chunkSize % alignment != 0) {
        throw Error("option 'chunk_size' (" + std::to_string(settings_.chunkSize) +
                        " bytes) must be a multiple of tier '" + tiers_[bufferTier_].name +
                        "''s alignment (" + std::to_string(alignment) + " bytes)",
                    MLPS_E_INVALID);
    }
    bufferTier_ = chooseBufferTier(host_, tiers_, bufferTier_, alignment, settings_.chunkSize);
    metrics_ = registerMetrics(host_, tierNames_, settings_.source == SourceKind::Mooncake);
    removalSeq_.assign(n, 0);
    removing_.resize(n);
    data_ = std::make_unique<DataGen>(seed_, settings_.chunkSize);
    std::vector<TierCache::TierLimit> limits;
    for (const auto &t : tiers_) {
        limits.push_back({t.name, t.limit});
    }
    cache_ = std::make_unique<TierCache>(std::move(limits),
                                         settings_.eviction,
                                         settings_.promoteOnRead,
                                         "kv.r" + std::to_string(rank_) + ".");
    planner_ = std::make_unique<Planner>(settings_, alignment);
    if (settings_.source == SourceKind::Trace) {
        std::vector<uint64_t> tierLimits;
        for (const auto &t : tiers_) {
            tierLimits.push_back(t.limit);
        }
        replay_ = std::make_unique<ReplayStore>(
            std::move(tierLimits), alignment, "kv.r" + std::to_string(rank_) + ".");
        planner_->setReplayStore(replay_.get());
    }
    featureMetrics_ = registerFeatureMetrics(host_, settings_);
    if (settings_.features.rag.enabled) {
        rag_ = std::make_unique<RagLibrary>(settings_, seed_);
        planner_->setRagLibrary(rag_.get());
    }
    source_ = makeSource(settings_, SourceContext{seed_, rank_, info.world_size, tierNames_});
    const uint32_t lanes = source_->lanes();
    if (settings_.features.autoscaler.mode != AutoscaleMode::Off) {
        autoscaler_ =
            std::make_unique<Autoscaler>(settings_.features.autoscaler, settings_.qos, lanes);
        activeUsers_ = autoscaler_->users();
    } else {
        activeUsers_ = lanes;
    }
    next_.resize(lanes);
    draws_.assign(lanes, 0);
    planned_.assign(lanes, 0);
    done_.assign(lanes, 0);
    parked_.resize(lanes);
    readyNs_.assign(lanes, 0);
    vtimeNs_.assign(lanes, UINT64_MAX); // UINT64_MAX: the lane has nothing (more) to send
    for (uint32_t u = 0; u < lanes; ++u) {
        if (draw(u)) {
            vtimeNs_[u] = closedKey(u, 0, 0);
        }
    }
    const auto perRank = [&](std::string path) {
        if (info.world_size > 1 && path.find(std::to_string(rank_)) == std::string::npos) {
            path += ".r" + std::to_string(rank_); // one log per rank
        }
        return path;
    };
    if (!settings_.opLog.empty()) {
        opLog_.open(perRank(settings_.opLog));
    }
    if (!settings_.ioTrace.empty()) {
        ioTrace_.open(perRank(settings_.ioTrace));
    }
}

bool Engine::draw(uint32_t u) {
    if (!source_->next(u, next_[u])) {
        vtimeNs_[u] = UINT64_MAX;
        return false;
    }
    drawRequestFeatures(settings_, seed_, rank_, u, draws_[u], next_[u]);
    ++draws_[u];
    return true;
}

uint64_t Engine::arrivalOf(uint32_t u, uint64_t previousNs, uint64_t startNs) const {
    if (source_->timed()) {
        return startNs + next_[u].atNs;
    }
    // At least 1 us apart: a think time of 0 must not make infinitely many arrivals.
    return previousNs + std::max<uint64_t>(next_[u].thinkNs, 1000);
}

uint64_t Engine::closedKey(uint32_t u, uint64_t previousNs, uint64_t serviceNs) const {
    // A timed source replays in the input's order whatever the requests' sizes: its items are
    // numbered in that order.
    return source_->timed() ? next_[u].item : previousNs + serviceNs + next_[u].thinkNs;
}

uint64_t Engine::serviceNs(const Plan &plan) const {
    uint64_t bytes = 0;
    for (const Step &step : plan.steps) {
        bytes += step.target->size * (step.kind == StepKind::Move ? 2 : 1);
    }
    return static_cast<uint64_t>(static_cast<double>(bytes) * 1e9 /
                                 static_cast<double>(settings_.virtualBandwidth));
}

Engine::~Engine() = default;

bool Engine::waitWritten(Placement &p) {
    std::unique_lock lock(ioMu_);
    while (!p.written) {
        if (broken()) {
            return false;
        }
        ioCv_.wait_for(lock, kWaitSlice);
    }
    return !p.failed;
}

void Engine::finishWrite(Placement &p, bool ok) {
    {
        std::lock_guard lock(ioMu_);
        p.written = true;
        p.failed = !ok;
        if (ok) {
            p.movedFrom.reset(); // a move that completed never goes back
        }
    }
    ioCv_.notify_all();
}

void Engine::endRead(Placement &p) {
    bool last = false;
    {
        std::lock_guard lock(ioMu_);
        if (p.pendingReads > 0) {
            last = --p.pendingReads == 0;
        }
    }
    if (last) {
        ioCv_.notify_all();
    }
}

void Engine::waitNoReaders(Placement &p) {
    std::unique_lock lock(ioMu_);
    while (p.pendingReads != 0 && !broken()) {
        ioCv_.wait_for(lock, kWaitSlice);
    }
}

void Engine::registerObject(const PlacementPtr &p) {
    std::lock_guard lock(ioMu_);
    if (p->registryIndex == SIZE_MAX) {
        p->exists = true;
        p->registryIndex = registry_.size();
        registry_.push_back(p);
    }
}

void Engine::unregisterObject(Placement &p) {
    std::lock_guard lock(ioMu_);
    p.exists = false;
    const size_t i = p.registryIndex;
    if (i == SIZE_MAX) {
        return;
    }
    // Swap-remove: O(1), the registry holds every object that may exist right now.
    registry_[i] = std::move(registry_.back());
    registry_[i]->registryIndex = i;
    registry_.pop_back();
    p.registryIndex = SIZE_MAX;
}

void Engine::waitRemovals(uint32_t tier, uint64_t below) {
    std::unique_lock lock(ioMu_);
    const auto &pending = removing_[tier];
    while (!pending.empty() && *pending.begin() < below && !broken()) {
        ioCv_.wait_for(lock, kWaitSlice);
    }
}

void Engine::removalDone(uint32_t tier, uint64_t id) {
    {
        std::lock_guard lock(ioMu_);
        removing_[tier].erase(id);
    }
    ioCv_.notify_all();
}

void Engine::enterAllocation(uint64_t ticket) {
    std::unique_lock lock(ioMu_);
    while (!(allocNext_ == ticket && allocActive_ < settings_.maxConcurrentAllocs)) {
        if (broken()) {
            break;
        }
        ioCv_.wait_for(lock, kWaitSlice);
    }
    ++allocNext_;
    ++allocActive_;
    lock.unlock();
    ioCv_.notify_all();
}

void Engine::leaveAllocation() {
    {
        std::lock_guard lock(ioMu_);
        --allocActive_;
    }
    ioCv_.notify_all();
}

std::vector<PlacementPtr> Engine::takeOrphans(bool all) {
    std::lock_guard lock(ioMu_);
    std::vector<PlacementPtr> out;
    std::vector<PlacementPtr> keep;
    for (auto &p : registry_) {
        if (all || !p->current || p->failed || !p->written) {
            p->registryIndex = SIZE_MAX;
            out.push_back(std::move(p));
        } else {
            p->registryIndex = keep.size();
            keep.push_back(std::move(p));
        }
    }
    registry_ = std::move(keep);
    return out;
}

} // namespace mlps::kvcache
