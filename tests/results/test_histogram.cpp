#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "results/histogram.hpp"

using mlps::core::Histogram;
using mlps::core::HistogramSnapshot;

TEST_CASE("buckets are contiguous, ordered and cover every uint64") {
    CHECK(Histogram::bucketOf(0) == 0);
    CHECK(Histogram::bucketLow(0) == 0);
    CHECK(Histogram::bucketOf(UINT64_MAX) == Histogram::kBuckets - 1);
    CHECK(Histogram::bucketHigh(Histogram::kBuckets - 1) == UINT64_MAX);
    for (unsigned b = 0; b + 1 < Histogram::kBuckets; ++b) {
        INFO("bucket ", b);
        REQUIRE(Histogram::bucketLow(b) <= Histogram::bucketHigh(b));
        REQUIRE(Histogram::bucketHigh(b) + 1 == Histogram::bucketLow(b + 1));
        REQUIRE(Histogram::bucketOf(Histogram::bucketLow(b)) == b);
        REQUIRE(Histogram::bucketOf(Histogram::bucketHigh(b)) == b);
    }
}

TEST_CASE("small values are exact") {
    for (uint64_t v = 0; v < 2 * Histogram::kSubBuckets; ++v) {
        REQUIRE(Histogram::bucketOf(v) == v);
        REQUIRE(Histogram::bucketLow(static_cast<unsigned>(v)) == v);
        REQUIRE(Histogram::bucketHigh(static_cast<unsigned>(v)) == v);
    }
    CHECK(Histogram::bucketHigh(Histogram::bucketOf(256)) == 257); // first 2-wide bucket
}

TEST_CASE("every value lies in its bucket and the relative width is at most 1/128") {
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 200000; ++i) {
        // Spread over all magnitudes: a random value shifted right by a random amount.
        const uint64_t v = rng() >> (rng() % 64);
        const unsigned b = Histogram::bucketOf(v);
        INFO("value ", v, " bucket ", b);
        REQUIRE(b < Histogram::kBuckets);
        const uint64_t low = Histogram::bucketLow(b);
        const uint64_t high = Histogram::bucketHigh(b);
        REQUIRE(low <= v);
        REQUIRE(v <= high);
        if (v >= 2 * Histogram::kSubBuckets) {
            REQUIRE(static_cast<double>(high - low) / static_cast<double>(low) <= 1.0 / 128);
        } else {
            REQUIRE(low == high);
        }
    }
}

TEST_CASE("record keeps count, sum, min and max") {
    Histogram h;
    for (uint64_t v : {5u, 1000u, 7u, 123456u}) {
        h.record(v);
    }
    HistogramSnapshot s = h.snapshot();
    CHECK(s.count == 4);
    CHECK(s.sum == 5 + 1000 + 7 + 123456);
    CHECK(s.min == 5);
    CHECK(s.max == 123456);
    CHECK(s.mean() == doctest::Approx((5 + 1000 + 7 + 123456) / 4.0));
    h.record(0);
    h.record(UINT64_MAX);
    s = h.snapshot();
    CHECK(s.min == 0);
    CHECK(s.max == UINT64_MAX);
    CHECK(s.counts[0] == 1);
    CHECK(s.counts[Histogram::kBuckets - 1] == 1);
    h.reset();
    s = h.snapshot();
    CHECK(s.count == 0);
    CHECK(s.sum == 0);
    CHECK(s.min == UINT64_MAX);
    CHECK(s.max == 0);
}

TEST_CASE("an empty histogram reports zeros") {
    HistogramSnapshot s = Histogram().snapshot();
    CHECK(s.count == 0);
    CHECK(s.mean() == 0.0);
    CHECK(s.percentile(0.5) == 0.0);
    CHECK(s.percentile(1.0) == 0.0);
}

TEST_CASE("percentiles of a uniform distribution 1..100000") {
    Histogram h;
    for (uint64_t v = 1; v <= 100000; ++v) {
        h.record(v);
    }
    const HistogramSnapshot s = h.snapshot();
    CHECK(s.percentile(0.50) == doctest::Approx(50000).epsilon(0.01));
    CHECK(s.percentile(0.90) == doctest::Approx(90000).epsilon(0.01));
    CHECK(s.percentile(0.99) == doctest::Approx(99000).epsilon(0.01));
    CHECK(s.percentile(0.999) == doctest::Approx(99900).epsilon(0.01));
    CHECK(s.percentile(0.0) == 1.0);      // the first value, exact bucket
    CHECK(s.percentile(1.0) == 100000.0); // clamped to max
    CHECK(s.mean() == doctest::Approx(50000.5));
}

TEST_CASE("percentiles: ranks are ceil(q * count) and exact in small buckets") {
    Histogram h;
    for (uint64_t v = 1; v <= 10; ++v) {
        h.record(v * 10); // 10, 20, ..., 100: all exact
    }
    const HistogramSnapshot s = h.snapshot();
    CHECK(s.percentile(0.5) == 50.0);  // rank 5
    CHECK(s.percentile(0.51) == 60.0); // rank ceil(5.1) = 6
    CHECK(s.percentile(0.9) == 90.0);
    CHECK(s.percentile(0.91) == 100.0);
}

TEST_CASE("percentiles of a constant and of an exponential distribution") {
    Histogram constant;
    for (int i = 0; i < 1000; ++i) {
        constant.record(1'000'000);
    }
    const HistogramSnapshot c = constant.snapshot();
    // The bucket's midpoint is clamped to [min, max], which is the value itself.
    CHECK(c.percentile(0.5) == 1'000'000.0);
    CHECK(c.percentile(0.99) == 1'000'000.0);

    std::mt19937_64 rng(7);
    std::exponential_distribution<double> dist(1.0 / 50000.0);
    std::vector<uint64_t> values;
    Histogram h;
    for (int i = 0; i < 20000; ++i) {
        const auto v = static_cast<uint64_t>(dist(rng)) + 1000;
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    const HistogramSnapshot s = h.snapshot();
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
        const double exact = static_cast<double>(values[rank - 1]);
        INFO("q ", q);
        // The midpoint of a bucket is within half a bucket (<= 1/256) of any value in it.
        CHECK(std::abs(s.percentile(q) - exact) / exact <= 1.0 / 256);
    }
}

TEST_CASE("merge of two histograms equals the histogram of the union") {
    std::mt19937_64 rng(99);
    Histogram a, b, all;
    for (int i = 0; i < 5000; ++i) {
        const uint64_t v = rng() >> (rng() % 64);
        (i % 3 == 0 ? a : b).record(v);
        all.record(v);
    }
    HistogramSnapshot merged = a.snapshot();
    merged.merge(b.snapshot());
    const HistogramSnapshot expected = all.snapshot();
    CHECK(merged.counts == expected.counts);
    CHECK(merged.count == expected.count);
    CHECK(merged.sum == expected.sum);
    CHECK(merged.min == expected.min);
    CHECK(merged.max == expected.max);
    CHECK(merged.percentile(0.99) == expected.percentile(0.99));

    HistogramSnapshot empty;
    empty.merge(expected);
    CHECK(empty.counts == expected.counts);
    CHECK(empty.min == expected.min);
}

TEST_CASE("since() gives the interval's samples") {
    Histogram h;
    for (uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    const HistogramSnapshot first = h.snapshot();
    for (uint64_t v = 1000; v < 2000; ++v) {
        h.record(v);
    }
    const HistogramSnapshot second = h.snapshot();
    const HistogramSnapshot d = second.since(first);
    CHECK(d.count == 1000);
    CHECK(d.sum == (1000 + 1999) * 1000 / 2);
    CHECK(d.min == 1000); // exact bucket low
    CHECK(d.max == 1999); // narrowed to second.max
    CHECK(d.percentile(0.5) == doctest::Approx(1500).epsilon(0.01));

    const HistogramSnapshot none = second.since(second);
    CHECK(none.count == 0);
    CHECK(none.min == UINT64_MAX);
    CHECK(none.max == 0);
    CHECK(none.percentile(0.5) == 0.0);

    Histogram empty;
    CHECK(second.since(empty.snapshot()).counts == second.counts);
}

TEST_CASE("concurrent record from 4 threads adds up exactly") {
    Histogram h;
    constexpr int kThreads = 4;
    constexpr uint64_t kPerThread = 50000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&h, t] {
            for (uint64_t i = 0; i < kPerThread; ++i) {
                h.record(i % 1000 + static_cast<uint64_t>(t)); // shared buckets: real contention
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    const HistogramSnapshot s = h.snapshot();
    CHECK(s.count == kThreads * kPerThread);
    uint64_t expectedSum = 0;
    for (int t = 0; t < kThreads; ++t) {
        for (uint64_t i = 0; i < kPerThread; ++i) {
            expectedSum += i % 1000 + static_cast<uint64_t>(t);
        }
    }
    CHECK(s.sum == expectedSum);
    CHECK(s.min == 0);
    CHECK(s.max == 999 + kThreads - 1);
    CHECK(s.counts[0] == kPerThread / 1000); // only thread 0 records 0
}
