// The operation log (option op_log): one CSV line per planned cache operation, in plan order.
// With arrivals: closed the time column is the request's virtual arrival time, so two runs of
// the same spec and seed write identical logs (the determinism test compares them).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "tier_cache.hpp"

namespace mlps::kvcache {

class OpLog {
  public:
    OpLog() = default;
    ~OpLog();
    OpLog(const OpLog &) = delete;
    OpLog &operator=(const OpLog &) = delete;

    // Throws mlps::Error when the file cannot be created.
    void open(const std::string &path);
    bool enabled() const { return file_ != nullptr; }
    // Lines for every step of a request's plan; `tiers` names the tiers by index.
    void write(uint64_t timeUs,
               uint64_t request,
               const Plan &plan,
               size_t firstStep,
               const std::string *tierNames);
    void close();

  private:
    std::FILE *file_ = nullptr;
};

} // namespace mlps::kvcache
