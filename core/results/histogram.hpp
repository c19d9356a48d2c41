// Log-linear latency/size histogram, fio-style: values below 2^(kSubBits+1) land in exact
// buckets; above, each power-of-two range [2^k, 2^(k+1)) is split into 2^kSubBits equal buckets,
// so a bucket's width is at most 1/2^kSubBits of its lower bound (relative error <= 1/128 =
// 0.78% with kSubBits = 7; the midpoint a percentile reports is within 1/256 of any value in the
// bucket). The layout is fixed, so histograms merge exactly by adding counts (threads, ranks).
// Recording is lock-free. Layout and bound: share/doc/histograms.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace mlps::core {

class HistogramSnapshot;

class Histogram {
  public:
    static constexpr unsigned kSubBits = 7;
    static constexpr unsigned kSubBuckets = 1u << kSubBits;
    // Group 0 holds 0..kSubBuckets-1 and group 1 kSubBuckets..2*kSubBuckets-1, both exactly;
    // group g >= 2 holds [2^(g+kSubBits-1), 2^(g+kSubBits)) in buckets 2^(g-1) wide. The last
    // group ends at UINT64_MAX (bit 63), hence 64 - kSubBits + 1 groups.
    static constexpr unsigned kGroups = 64 - kSubBits + 1;
    static constexpr unsigned kBuckets = kGroups * kSubBuckets;

    static unsigned bucketOf(uint64_t value) noexcept;
    static uint64_t bucketLow(unsigned bucket) noexcept;  // smallest value in the bucket
    static uint64_t bucketHigh(unsigned bucket) noexcept; // largest value in the bucket

    Histogram();
    // Lock-free; safe from any number of threads.
    void record(uint64_t value) noexcept;
    // A copy taken while others record is consistent per bucket; its count is the sum of the
    // copied buckets, so percentiles always walk a self-consistent distribution.
    HistogramSnapshot snapshot() const;
    // Not atomic with concurrent record() calls: call it while nobody records.
    void reset() noexcept;

  private:
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;
    // The count is not kept separately: it is the sum of the buckets (one atomic less per
    // record). sum/min/max share one cache line, apart from the object's other members.
    alignas(64) std::atomic<uint64_t> sum_{0};
    std::atomic<uint64_t> min_{UINT64_MAX}, max_{0};
};

// A plain copy: merge, subtract (interval deltas) and query it.
class HistogramSnapshot {
  public:
    std::vector<uint64_t> counts = std::vector<uint64_t>(Histogram::kBuckets, 0);
    uint64_t count = 0;
    uint64_t sum = 0; // wraps only past 584 years of nanoseconds
    uint64_t min = UINT64_MAX;
    uint64_t max = 0;

    void merge(const HistogramSnapshot &other);
    // this - earlier, for per-interval views (min/max are taken from the buckets, narrowed to
    // this snapshot's [min, max]).
    HistogramSnapshot since(const HistogramSnapshot &earlier) const;
    double mean() const;
    // q in [0,1]; the midpoint of the bucket holding the value of rank ceil(q*count), clamped
    // to [min, max]. 0 when empty.
    double percentile(double q) const;
};

} // namespace mlps::core
