// The reference's I/O trace (its --io-trace-log; option io_trace): one CSV line per planned
// operation, Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase, zstd-compressed (level 3,
// one streaming frame) when the name ends in .zst. Timestamp: seconds since the run's start
// (the op log's clock: virtual with closed arrivals and in trace mode). Tier-<index> of the
// spec's tiers. A move is a Read (Evict) on its source, a Write (Evict) on its destination and
// a Delete (Evict) of the source; evictions are Delete rows (the reference logs no deletes).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "tier_cache.hpp"

namespace mlps::kvcache {

class IoTrace {
  public:
    IoTrace();
    ~IoTrace();
    IoTrace(const IoTrace &) = delete;
    IoTrace &operator=(const IoTrace &) = delete;

    // Throws mlps::Error when the file cannot be created, or when it ends in .zst and zstd
    // support was not built in.
    void open(const std::string &path);
    bool enabled() const { return file_ != nullptr; }
    void write(uint64_t timeUs, const Plan &plan);
    void close(); // finishes the zstd frame

  private:
    void line(const char *text, size_t n);
    void put(uint64_t timeUs,
             const char *op,
             uint64_t bytes,
             uint32_t tier,
             const std::string &key,
             const char *phase);
    void flushZstd(bool end);

    std::FILE *file_ = nullptr;
    std::string path_;
    struct Zstd;
    std::unique_ptr<Zstd> zstd_;
    std::string pending_; // zstd: text not yet compressed
    std::string line_;    // the line being formatted (reused)
};

} // namespace mlps::kvcache
