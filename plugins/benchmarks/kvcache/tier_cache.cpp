#include "tier_cache.hpp"

#include <algorithm>

#include "rng.hpp"

namespace mlps::kvcache {

const char *opPhaseName(OpPhase phase) {
    switch (phase) {
    case OpPhase::Prefill:
        return "prefill";
    case OpPhase::Decode:
        return "decode";
    case OpPhase::MultiTurn:
        return "multi_turn";
    case OpPhase::Evict:
        return "evict";
    case OpPhase::Promote:
        return "promote";
    case OpPhase::Prepopulate:
        return "prepopulate";
    }
    return "?";
}

TierCache::TierCache(std::vector<TierLimit> tiers,
                     EvictionParams params,
                     bool promoteOnRead,
                     std::string objectPrefix)
    : params_(params), promoteOnRead_(promoteOnRead), prefix_(std::move(objectPrefix)) {
    for (auto &t : tiers) {
        Tier tier;
        tier.name = std::move(t.name);
        tier.limit = t.limit;
        tiers_.push_back(std::move(tier));
    }
}

TierCache::~TierCache() = default;

int TierCache::tierOf(std::string_view key) const {
    const auto it = map_.find(key);
    return it == map_.end() ? -1 : static_cast<int>(it->second.tier);
}

void TierCache::link(Entry &e, uint32_t t) {
    Tier &tier = tiers_[t];
    e.tier = t;
    e.older = tier.mru;
    e.newer = nullptr;
    if (tier.mru != nullptr) {
        tier.mru->newer = &e;
    }
    tier.mru = &e;
    if (tier.lru == nullptr) {
        tier.lru = &e;
    }
}

void TierCache::linkAsLru(Entry &e, uint32_t t) {
    Tier &tier = tiers_[t];
    e.tier = t;
    e.older = nullptr;
    e.newer = tier.lru;
    if (tier.lru != nullptr) {
        tier.lru->older = &e;
    }
    tier.lru = &e;
    if (tier.mru == nullptr) {
        tier.mru = &e;
    }
}

void TierCache::unlink(Entry &e) {
    Tier &tier = tiers_[e.tier];
    if (e.newer != nullptr) {
        e.newer->older = e.older;
    } else {
        tier.mru = e.older;
    }
    if (e.older != nullptr) {
        e.older->newer = e.newer;
    } else {
        tier.lru = e.newer;
    }
    e.newer = e.older = nullptr;
}

PlacementPtr TierCache::newPlacement(const Entry &e, uint32_t tier) {
    auto p = std::make_shared<Placement>();
    p->key = e.key;
    p->object = prefix_;
    p->object += e.key;
    p->object += '.';
    p->object += std::to_string(serial_++);
    p->contentKey = hashKey(e.key);
    p->size = e.size;
    p->tier = tier;
    return p;
}

void TierCache::erase(Entry &e) {
    unlink(e);
    Tier &tier = tiers_[e.tier];
    tier.used -= std::min(tier.used, e.size);
    --tier.entries;
    e.where->current = false;
    map_.erase(map_.find(std::string_view(e.key)));
}

// The reference's _ensure_space_in_tier, with two fixes: the terminal tier refuses an entry it
// can never hold (the reference books it anyway and the write fails), and near-empty
// acceptance applies to non-terminal tiers only (where the 95% rule guarantees a fit).
bool TierCache::ensureSpace(uint32_t t, uint64_t need, uint32_t depth, Plan &plan) {
    if (depth > params_.maxDepth) {
        return false;
    }
    Tier &tier = tiers_[t];
    const bool last = t + 1 == tiers_.size();
    const auto limit = static_cast<double>(tier.limit);
    if (tier.limit == 0) {
        return false;
    }
    const double target = last ? limit : params_.targetUsage * limit;
    if (last ? need > tier.limit : static_cast<double>(need) > params_.largeEntryLimit * limit) {
        return false;
    }
    const uint64_t budget = std::min<uint64_t>(5000, std::max<uint64_t>(1000, tier.entries + 100));
    bool first = true;
    for (uint64_t evicted = 0; evicted <= budget; ++evicted) {
        if (static_cast<double>(tier.used + need) <= target) {
            tier.used += need;
            return true;
        }
        if (!last && static_cast<double>(tier.used) < params_.nearEmpty * limit) {
            tier.used += need;
            return true;
        }
        // A mostly empty tier and a large entry: the reference gives up rather than empty
        // the tier for one entry.
        if (first && !last && static_cast<double>(tier.used) < 0.2 * limit &&
            static_cast<double>(need) > 0.5 * target) {
            return false;
        }
        first = false;
        Entry *victim = tier.lru;
        if (victim == nullptr || evicted == budget) {
            break;
        }
        if (last) {
            plan.steps.push_back(Step{StepKind::Delete, OpPhase::Evict, victim->where, nullptr});
            ++evictions_;
            erase(*victim);
            continue;
        }
        // Keep the victim out of the next tier's own eviction while it makes room for it.
        unlink(*victim);
        if (!ensureSpace(t + 1, victim->size, depth + 1, plan)) {
            linkAsLru(*victim, t); // back where it was
            return false;
        }
        PlacementPtr dest = newPlacement(*victim, t + 1);
        dest->movedFrom = victim->where;
        plan.steps.push_back(Step{StepKind::Move, OpPhase::Evict, victim->where, dest});
        victim->where->current = false;
        victim->where = std::move(dest);
        tier.used -= std::min(tier.used, victim->size);
        --tier.entries;
        ++tier.demotionsOut;
        link(*victim, t + 1);
        ++tiers_[t + 1].entries;
    }
    if (last && tier.used + need <= tier.limit) {
        tier.used += need;
        return true;
    }
    return false;
}

bool TierCache::read(std::string_view key, OpPhase phase, Plan &plan) {
    const auto it = map_.find(key);
    if (it == map_.end()) {
        return false;
    }
    Entry &e = it->second;
    unlink(e);
    if (promoteOnRead_ && e.tier > 0) {
        const uint32_t from = e.tier;
        // Unlinked, the entry cannot be chosen as a victim while tier 0 makes room.
        if (ensureSpace(0, e.size, 0, plan)) {
            PlacementPtr dest = newPlacement(e, 0);
            dest->movedFrom = e.where;
            ++e.where->pendingReads;
            plan.steps.push_back(Step{StepKind::Move, OpPhase::Promote, e.where, dest});
            e.where->current = false;
            e.where = std::move(dest);
            Tier &src = tiers_[from];
            src.used -= std::min(src.used, e.size);
            --src.entries;
            ++tiers_[0].entries;
            ++promotions_;
            link(e, 0);
            return true;
        }
    }
    link(e, e.tier);
    ++e.where->pendingReads;
    plan.steps.push_back(Step{StepKind::Read, phase, e.where, nullptr});
    return true;
}

TierCache::WriteResult
TierCache::write(std::string_view key, uint64_t size, OpPhase phase, Plan &plan) {
    if (map_.count(key) != 0) {
        return WriteResult::Exists;
    }
    const size_t firstStep = plan.steps.size();
    for (uint32_t t = 0; t < tiers_.size(); ++t) {
        if (!ensureSpace(t, size, 0, plan)) {
            continue;
        }
        auto [it, inserted] = map_.try_emplace(std::string(key));
        Entry &e = it->second;
        e.key = it->first;
        e.size = size;
        e.where = newPlacement(e, t);
        link(e, t);
        ++tiers_[t].entries;
        plan.steps.push_back(Step{StepKind::Write, phase, e.where, nullptr});
        plan.steps[firstStep].allocBegin = true;
        plan.steps.back().allocEnd = true;
        return WriteResult::Written;
    }
    // Demotions planned while trying tiers that then refused still happen: the entries did
    // move. Mark the group as one allocation all the same.
    if (plan.steps.size() > firstStep) {
        plan.steps[firstStep].allocBegin = true;
        plan.steps.back().allocEnd = true;
    }
    ++allocFailures_;
    return WriteResult::NoRoom;
}

std::vector<std::string> TierCache::lruOrder(uint32_t t) const {
    std::vector<std::string> keys;
    for (const Entry *e = tiers_[t].lru; e != nullptr; e = e->newer) {
        keys.push_back(e->key);
    }
    return keys;
}

std::vector<uint64_t> TierCache::entrySizes() const {
    std::vector<uint64_t> sizes;
    sizes.reserve(map_.size());
    for (const auto &[key, e] : map_) {
        sizes.push_back(e.size);
    }
    return sizes;
}

void TierCache::restore(Entry &e, PlacementPtr copy) {
    unlink(e);
    Tier &from = tiers_[e.tier];
    from.used -= std::min(from.used, e.size);
    --from.entries;
    e.where->current = false;
    copy->current = true;
    e.where = std::move(copy);
    // It was the victim (or, promoted, it was read from there): the least recent is where it
    // was, or near it.
    linkAsLru(e, e.where->tier);
    tiers_[e.tier].used += e.size;
    ++tiers_[e.tier].entries;
}

void TierCache::dropFailed() {
    const auto intact = [](const Placement &p) { return p.written && !p.failed && p.exists; };
    std::vector<Entry *> doomed;
    std::vector<std::pair<Entry *, PlacementPtr>> back;
    for (auto &[key, e] : map_) {
        if (e.where->written && !e.where->failed) {
            continue;
        }
        // Follow the moves back (an entry may have moved twice in the pass) to a copy whose
        // bytes are there.
        PlacementPtr copy = e.where->movedFrom;
        while (copy != nullptr && !intact(*copy)) {
            copy = copy->movedFrom;
        }
        if (copy != nullptr) {
            back.emplace_back(&e, std::move(copy));
        } else {
            doomed.push_back(&e);
        }
    }
    for (auto &[e, copy] : back) {
        restore(*e, std::move(copy));
    }
    for (Entry *e : doomed) {
        erase(*e);
    }
    // Nothing is in flight: every move is over or undone.
    for (auto &[key, e] : map_) {
        e.where->movedFrom.reset();
    }
}

void TierCache::clear() {
    for (auto &[key, e] : map_) {
        e.where->current = false;
    }
    map_.clear();
    for (Tier &t : tiers_) {
        t.mru = t.lru = nullptr;
        t.used = 0;
        t.entries = 0;
    }
}

} // namespace mlps::kvcache
