// The multi-tier cache's bookkeeping: which entry lives in which tier, each tier's LRU order
// and usage, and the waterfall that makes room (reference doc section 4.3). It does no I/O:
// every decision appends steps to a Plan that a worker then executes. Decisions are taken in
// one place, in request order, so that the same requests give the same plan whatever the
// threads do; the I/O runs concurrently and waits only where data depends on earlier steps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "settings.hpp"

namespace mlps::kvcache {

struct Placement;
using PlacementPtr = std::shared_ptr<Placement>;

// One copy of an entry in one tier: the object the worker writes, reads and deletes. Every
// placement has its own object name, so a new copy never collides with an old one that is
// still being read or deleted.
struct Placement {
    std::string key;     // the entry's key
    std::string object;  // the tier object's key
    uint64_t contentKey; // the bytes are a function of (seed, contentKey, offset)
    uint64_t size;       // bytes (padded to the tiers' alignment)
    uint32_t tier;
    // Execution state, guarded by the engine's I/O mutex (the planner holds it too).
    bool written = false; // its write (or the move into it) is over
    bool failed = false;  // ... and did not complete: the bytes are not there
    bool exists = false;  // an object may exist in the tier (delete it at the end)
    bool current = true;  // the entry still lives here (not moved away or evicted)
    uint32_t pendingReads = 0;
    size_t registryIndex = SIZE_MAX; // position in the engine's list of existing objects
    // A move's destination: the copy it moves from, until the move is over (the engine lets go
    // when the write completes). If the pass stops first, the entry goes back there.
    PlacementPtr movedFrom;
};

enum class StepKind : uint8_t { Read, Write, Move, Delete };
enum class OpPhase : uint8_t { Prefill, Decode, MultiTurn, Evict, Promote, Prepopulate };

const char *opPhaseName(OpPhase phase);

struct Step {
    StepKind kind;
    OpPhase phase;
    PlacementPtr target; // Read/Write/Delete: the placement; Move: the source
    PlacementPtr dest;   // Move: the destination
    // An allocation (its evictions and its write) spans [allocBegin .. allocEnd]:
    // max_concurrent_allocs counts allocations in progress.
    bool allocBegin = false;
    bool allocEnd = false;
    // Set by the engine after planning. Tiers free space only when a delete really happens,
    // later than the plan counts it freed: a Write (or Move) into a tier first waits for every
    // removal from that tier planned before it (ids below waitRemovals); a Delete or Move
    // reports its own removal (removalId, in its source tier) when done.
    uint64_t removalId = 0;
    uint64_t waitRemovals = 0;
};

struct Plan {
    std::vector<Step> steps;
    void clear() { steps.clear(); }
};

class TierCache {
  public:
    struct TierLimit {
        std::string name;
        uint64_t limit = 0; // bytes the cache may use in the tier; 0 = skip the tier
    };
    enum class WriteResult { Written, Exists, NoRoom };

    TierCache(std::vector<TierLimit> tiers,
              EvictionParams params,
              bool promoteOnRead,
              std::string objectPrefix);
    ~TierCache();
    TierCache(const TierCache &) = delete;
    TierCache &operator=(const TierCache &) = delete;

    // A hit appends a Read (or, with promote_on_read and room in the fastest tier, a Move that
    // reads the entry into it) and makes the entry the most recent of its tier.
    bool read(std::string_view key, OpPhase phase, Plan &plan);
    // Places a new entry in the fastest tier with room, making room by waterfall demotion;
    // Exists (no I/O) when the key is cached already.
    WriteResult write(std::string_view key, uint64_t size, OpPhase phase, Plan &plan);

    bool contains(std::string_view key) const { return map_.count(key) != 0; }
    int tierOf(std::string_view key) const; // -1 when absent
    size_t tierCount() const { return tiers_.size(); }
    const std::string &tierName(uint32_t t) const { return tiers_[t].name; }
    uint64_t limit(uint32_t t) const { return tiers_[t].limit; }
    uint64_t used(uint32_t t) const { return tiers_[t].used; }
    uint64_t entries(uint32_t t) const { return tiers_[t].entries; }
    uint64_t demotionsFrom(uint32_t t) const { return tiers_[t].demotionsOut; }
    uint64_t evictions() const { return evictions_; }
    uint64_t promotions() const { return promotions_; }
    uint64_t allocFailures() const { return allocFailures_; }
    // Keys of tier t, least recently used first (tests, debugging).
    std::vector<std::string> lruOrder(uint32_t t) const;
    // Sizes of the entries now cached, all tiers (the report's entry-size distribution).
    std::vector<uint64_t> entrySizes() const;

    // After a pass was cut short, while no plan is executing: an entry whose move did not
    // complete goes back to the copy it was moving from (when that one is intact) as the least
    // recent entry of its tier; an entry with no intact copy (a new entry whose write did not
    // complete) is forgotten. Entry counts per tier are then what the tiers hold.
    void dropFailed();
    // Forgets every entry (teardown).
    void clear();

  private:
    struct Entry {
        std::string key;
        uint64_t size = 0;
        PlacementPtr where;
        uint32_t tier = 0;
        Entry *newer = nullptr; // towards the tier's most recent
        Entry *older = nullptr; // towards the tier's least recent
    };
    struct Tier {
        std::string name;
        uint64_t limit = 0;
        uint64_t used = 0;
        uint64_t entries = 0;
        uint64_t demotionsOut = 0;
        Entry *mru = nullptr;
        Entry *lru = nullptr;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    void link(Entry &e, uint32_t t);      // as the most recent of tier t
    void linkAsLru(Entry &e, uint32_t t); // as the least recent of tier t
    void unlink(Entry &e);                // from its tier's list (usage unchanged)
    bool ensureSpace(uint32_t t, uint64_t need, uint32_t depth, Plan &plan);
    PlacementPtr newPlacement(const Entry &e, uint32_t tier);
    void erase(Entry &e);
    // Moves the entry back to `copy` (an earlier placement whose bytes are intact).
    void restore(Entry &e, PlacementPtr copy);

    std::vector<Tier> tiers_;
    EvictionParams params_;
    bool promoteOnRead_;
    std::string prefix_;
    uint64_t serial_ = 0;
    uint64_t evictions_ = 0;
    uint64_t promotions_ = 0;
    uint64_t allocFailures_ = 0;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
};

} // namespace mlps::kvcache
