#include "replay_store.hpp"

#include "rng.hpp"

namespace mlps::kvcache {

ReplayStore::ReplayStore(std::vector<uint64_t> limits, uint64_t alignment, std::string prefix)
    : alignment_(alignment == 0 ? 1 : alignment), prefix_(std::move(prefix)) {
    for (const uint64_t l : limits) {
        Tier t;
        t.limit = l;
        tiers_.push_back(std::move(t));
    }
}

PlacementPtr ReplayStore::place(uint32_t tier, const std::string &key, uint64_t bytes) {
    auto p = std::make_shared<Placement>();
    p->key = key;
    p->object = prefix_ + key + '.' + std::to_string(serial_++);
    p->contentKey = hashKey(key);
    p->size = (bytes + alignment_ - 1) / alignment_ * alignment_;
    p->tier = tier;
    Tier &t = tiers_[tier];
    t.lru.push_back(key);
    t.objects[key] = Object{p, std::prev(t.lru.end())};
    t.used += p->size;
    return p;
}

void ReplayStore::remove(uint32_t tier, const std::string &key, OpPhase phase, Plan &plan) {
    Tier &t = tiers_[tier];
    const auto it = t.objects.find(key);
    if (it == t.objects.end()) {
        return;
    }
    PlacementPtr p = it->second.where;
    p->current = false;
    t.used -= std::min(t.used, p->size);
    t.lru.erase(it->second.lru);
    t.objects.erase(it);
    plan.steps.push_back(Step{StepKind::Delete, phase, std::move(p), nullptr});
}

void ReplayStore::makeRoom(uint32_t tier, uint64_t bytes, Plan &plan) {
    Tier &t = tiers_[tier];
    while (t.used + bytes > t.limit && !t.lru.empty()) {
        const std::string victim = t.lru.front();
        remove(tier, victim, OpPhase::Evict, plan);
    }
}

void ReplayStore::write(
    uint32_t tier, const std::string &key, uint64_t bytes, OpPhase phase, Plan &plan) {
    const size_t first = plan.steps.size();
    remove(tier, key, OpPhase::Evict, plan); // an overwrite replaces the object
    makeRoom(tier, (bytes + alignment_ - 1) / alignment_ * alignment_, plan);
    plan.steps.push_back(Step{StepKind::Write, phase, place(tier, key, bytes), nullptr});
    plan.steps[first].allocBegin = true;
    plan.steps.back().allocEnd = true;
}

void ReplayStore::apply(const ReplayOp &op, Plan &plan, PlanStats &stats) {
    if (op.tier >= tiers_.size() || (op.kind == ReplayOp::Kind::Move && op.dest >= tiers_.size())) {
        throw Error("trace: operation on tier index " + std::to_string(op.tier) +
                        " beyond the spec's " + std::to_string(tiers_.size()) + " tier(s)",
                    MLPS_E_INVALID);
    }
    Tier &t = tiers_[op.tier];
    const auto it = t.objects.find(op.key);
    switch (op.kind) {
    case ReplayOp::Kind::Read:
        if (it == t.objects.end()) {
            // Read before any write in the trace (it started mid-run): write it first.
            ++stats.misses;
            write(op.tier, op.key, op.bytes, OpPhase::Prefill, plan);
        } else {
            ++stats.hits;
            t.lru.splice(t.lru.end(), t.lru, it->second.lru);
        }
        {
            PlacementPtr p = t.objects[op.key].where;
            ++p->pendingReads;
            plan.steps.push_back(Step{StepKind::Read, op.phase, std::move(p), nullptr});
        }
        ++stats.decodeReads;
        break;
    case ReplayOp::Kind::Write:
        write(op.tier, op.key, op.bytes, op.phase, plan);
        ++stats.prefillWrites;
        break;
    case ReplayOp::Kind::Delete:
        remove(op.tier, op.key, op.phase, plan);
        break;
    case ReplayOp::Kind::Move: {
        if (it == t.objects.end()) {
            ++stats.misses;
            write(op.dest, op.key, op.bytes, op.phase, plan);
            break;
        }
        PlacementPtr src = it->second.where;
        src->current = false;
        t.used -= std::min(t.used, src->size);
        t.lru.erase(it->second.lru);
        t.objects.erase(it);
        const size_t first = plan.steps.size();
        remove(op.dest, op.key, OpPhase::Evict, plan);
        makeRoom(op.dest, src->size, plan);
        if (op.phase == OpPhase::Promote) {
            ++src->pendingReads;
        }
        plan.steps.push_back(
            Step{StepKind::Move, op.phase, src, place(op.dest, op.key, src->size)});
        plan.steps[first].allocBegin = true;
        plan.steps.back().allocEnd = true;
        break;
    }
    }
}

void ReplayStore::dropFailed() {
    for (auto &t : tiers_) {
        for (auto it = t.objects.begin(); it != t.objects.end();) {
            const Placement &p = *it->second.where;
            if (!p.written || p.failed) {
                it->second.where->current = false;
                t.used -= std::min(t.used, p.size);
                t.lru.erase(it->second.lru);
                it = t.objects.erase(it);
            } else {
                ++it;
            }
        }
    }
}

void ReplayStore::clear() {
    for (auto &t : tiers_) {
        for (auto &[key, o] : t.objects) {
            o.where->current = false;
        }
        t.objects.clear();
        t.lru.clear();
        t.used = 0;
    }
}

} // namespace mlps::kvcache
