// What the file sources share: reading the input's items in order, this rank's share of them
// (item i goes to rank i % world_size), replay cycles, arrival times from timestamps, and the
// QoS class of each item.
#pragma once

#include <cstdint>
#include <string>

#include "source.hpp"
#include "text_input.hpp"

namespace mlps::kvcache {

// One item of the input, in file order: a request (burstgpt row, mooncake line, group of
// trace operations) or, for sharegpt, a conversation.
class ItemReader {
  public:
    virtual ~ItemReader() = default;
    // Fills out (lengths, payload, turns) and the item's timestamp in seconds (timed inputs);
    // false at the end of the input. Throws inputError on malformed input.
    virtual bool read(Request &out, double &timestampS) = 0;
    virtual void rewind() = 0;
};

std::unique_ptr<ItemReader> makeItemReader(const Settings &s, const SourceContext &ctx);

// Items of this rank, cycle after cycle, with arrival times and QoS.
class ItemCursor {
  public:
    ItemCursor(const Settings &s, const SourceContext &ctx, bool timed);
    bool next(Request &out);
    uint64_t cycle() const { return cycle_; }

  private:
    const Settings &settings_;
    SourceContext ctx_;
    bool timed_;
    std::unique_ptr<ItemReader> reader_;
    uint64_t cycle_ = 0;
    uint64_t index_ = 0;   // item index in the file (every rank's), this cycle
    uint64_t counter_ = 0; // this rank's items so far, all cycles
    uint64_t thisCycle_ = 0;
    bool haveFirst_ = false;
    double firstS_ = 0; // the input's first timestamp
    uint64_t cycleBaseNs_ = 0;
    uint64_t lastAtNs_ = 0;
    bool done_ = false;
};

} // namespace mlps::kvcache
