// Log-linear histogram. Bucket arithmetic (kSubBits = S, shift = max(0, msb(v) - S)):
//
//     bucket(v) = shift * 2^S + (v >> shift)
//
// For v < 2^(S+1) the shift is 0 and the bucket is v itself (exact). Above, v >> shift keeps
// the S+1 leading bits of v, a number in [2^S, 2^(S+1)), so each power of two gets 2^S buckets
// of width 2^shift whose lower bound is at least 2^S * 2^shift: the relative width
// (high - low) / low = (2^shift - 1) / ((v >> shift) * 2^shift) < 2^-S = 1/128.
// UINT64_MAX lands in the last bucket (shift 64 - S - 1, top bits all ones), whose high end is
// exactly UINT64_MAX, so no arithmetic here overflows.
#include "results/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mlps::core {

namespace {

constexpr unsigned kExactLimit = 2 * Histogram::kSubBuckets; // values below are exact

} // namespace

unsigned Histogram::bucketOf(uint64_t value) noexcept {
    if (value < kExactLimit) {
        return static_cast<unsigned>(value);
    }
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(value));
    const unsigned shift = msb - kSubBits;
    return shift * kSubBuckets + static_cast<unsigned>(value >> shift);
}

uint64_t Histogram::bucketLow(unsigned bucket) noexcept {
    if (bucket >= kBuckets) {
        bucket = kBuckets - 1;
    }
    if (bucket < kExactLimit) {
        return bucket;
    }
    const unsigned shift = bucket / kSubBuckets - 1;
    const uint64_t top = bucket - shift * kSubBuckets; // in [kSubBuckets, 2 * kSubBuckets)
    return top << shift;
}

uint64_t Histogram::bucketHigh(unsigned bucket) noexcept {
    if (bucket >= kBuckets) {
        bucket = kBuckets - 1;
    }
    if (bucket < kExactLimit) {
        return bucket;
    }
    const unsigned shift = bucket / kSubBuckets - 1;
    return bucketLow(bucket) + ((uint64_t{1} << shift) - 1);
}

Histogram::Histogram() : counts_(std::make_unique<std::atomic<uint64_t>[]>(kBuckets)) {
    reset();
}

void Histogram::record(uint64_t value) noexcept {
    // Relaxed everywhere: each field is an independent tally; readers (snapshot) only need
    // every increment to land eventually, not an order between fields.
    counts_[bucketOf(value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    // min/max: a plain load first, so the common case (no new extreme) writes nothing and the
    // cache line stays shared between recording threads.
    uint64_t lo = min_.load(std::memory_order_relaxed);
    while (value < lo && !min_.compare_exchange_weak(lo, value, std::memory_order_relaxed)) {
    }
    uint64_t hi = max_.load(std::memory_order_relaxed);
    while (value > hi && !max_.compare_exchange_weak(hi, value, std::memory_order_relaxed)) {
    }
}

HistogramSnapshot Histogram::snapshot() const {
    HistogramSnapshot s;
    for (unsigned b = 0; b < kBuckets; ++b) {
        s.counts[b] = counts_[b].load(std::memory_order_relaxed);
        s.count += s.counts[b];
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    if (s.count > 0) {
        s.min = min_.load(std::memory_order_relaxed);
        s.max = max_.load(std::memory_order_relaxed);
    }
    return s;
}

void Histogram::reset() noexcept {
    for (unsigned b = 0; b < kBuckets; ++b) {
        counts_[b].store(0, std::memory_order_relaxed);
    }
    sum_.store(0, std::memory_order_relaxed);
    min_.store(UINT64_MAX, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
}

void HistogramSnapshot::merge(const HistogramSnapshot &other) {
    if (counts.size() < other.counts.size()) {
        counts.resize(other.counts.size(), 0);
    }
    for (size_t b = 0; b < other.counts.size(); ++b) {
        counts[b] += other.counts[b];
    }
    count += other.count;
    sum += other.sum;
    min = std::min(min, other.min);
    max = std::max(max, other.max);
}

HistogramSnapshot HistogramSnapshot::since(const HistogramSnapshot &earlier) const {
    HistogramSnapshot d;
    d.counts.assign(counts.size(), 0);
    size_t first = counts.size();
    size_t last = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
        const uint64_t before = b < earlier.counts.size() ? earlier.counts[b] : 0;
        // Saturate: a snapshot taken out of order must not turn into 2^64 samples.
        d.counts[b] = counts[b] > before ? counts[b] - before : 0;
        if (d.counts[b] != 0) {
            d.count += d.counts[b];
            first = std::min(first, b);
            last = b;
        }
    }
    d.sum = sum > earlier.sum ? sum - earlier.sum : 0;
    if (d.count > 0) {
        // Every value of the interval lies in its non-empty buckets and in [this->min, max].
        d.min = std::max(Histogram::bucketLow(static_cast<unsigned>(first)), min);
        d.max = std::min(Histogram::bucketHigh(static_cast<unsigned>(last)), max);
    }
    return d;
}

double HistogramSnapshot::mean() const {
    return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count);
}

double HistogramSnapshot::percentile(double q) const {
    if (count == 0) {
        return 0.0;
    }
    q = std::clamp(q, 0.0, 1.0);
    // Rank of the wanted value, 1-based: ceil(q * count), at least the first value.
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
    rank = std::clamp<uint64_t>(rank, 1, count);
    uint64_t seen = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
        seen += counts[b];
        if (seen >= rank) {
            const auto low = static_cast<double>(Histogram::bucketLow(static_cast<unsigned>(b)));
            const auto high = static_cast<double>(Histogram::bucketHigh(static_cast<unsigned>(b)));
            const double mid = low + (high - low) / 2.0;
            if (min > max) {
                return mid; // no min/max known (a hand-built snapshot)
            }
            return std::clamp(mid, static_cast<double>(min), static_cast<double>(max));
        }
    }
    // count larger than the buckets' sum (inconsistent snapshot): the largest value seen.
    return static_cast<double>(max);
}

} // namespace mlps::core
