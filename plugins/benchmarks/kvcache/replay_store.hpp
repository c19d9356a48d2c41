// source: trace. Replayed operations go to the tier the trace names, not through the
// waterfall: this store keeps which keys exist in which tier (one object per key and tier) and
// turns each operation into plan steps. A trace without deletes (the reference's) would fill a
// tier: a write that does not fit deletes the tier's least recently used objects first.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "planner.hpp"
#include "tier_cache.hpp"
#include "workload.hpp"

namespace mlps::kvcache {

class ReplayStore {
  public:
    ReplayStore(std::vector<uint64_t> limits, uint64_t alignment, std::string objectPrefix);

    void apply(const ReplayOp &op, Plan &plan, PlanStats &stats);
    uint64_t used(uint32_t tier) const { return tiers_[tier].used; }
    uint64_t entries(uint32_t tier) const { return tiers_[tier].objects.size(); }
    // Forget objects whose write failed or never ran (a phase cut short).
    void dropFailed();
    void clear();

  private:
    struct Object {
        PlacementPtr where;
        std::list<std::string>::iterator lru;
    };
    struct Tier {
        uint64_t limit = 0;
        uint64_t used = 0;
        std::unordered_map<std::string, Object> objects;
        std::list<std::string> lru; // front: least recently used
    };

    void write(uint32_t tier, const std::string &key, uint64_t bytes, OpPhase phase, Plan &plan);
    void remove(uint32_t tier, const std::string &key, OpPhase phase, Plan &plan);
    void makeRoom(uint32_t tier, uint64_t bytes, Plan &plan);
    PlacementPtr place(uint32_t tier, const std::string &key, uint64_t bytes);

    std::vector<Tier> tiers_;
    uint64_t alignment_;
    std::string prefix_;
    uint64_t serial_ = 0;
};

} // namespace mlps::kvcache
