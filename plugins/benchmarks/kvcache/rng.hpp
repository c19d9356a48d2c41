// Small, fast, seedable random streams. Every random choice of the benchmark comes from a
// stream derived from (run seed, purpose, index), so a user's requests do not depend on how
// threads interleave.
#pragma once

#include <cstdint>
#include <string_view>

namespace mlps::kvcache {

inline constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;

// splitmix64's finaliser: a strong 64-bit mix.
constexpr uint64_t mix64(uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Seed of stream `index` of kind `purpose` under the run seed.
constexpr uint64_t streamSeed(uint64_t seed, uint64_t purpose, uint64_t index) noexcept {
    return mix64(mix64(seed + purpose * kGamma) ^ (index + 1) * 0xd1b54a32d192ed03ull);
}

// FNV-1a then mixed: a key's 64-bit identity (content of its bytes, log ordering).
constexpr uint64_t hashKey(std::string_view key) noexcept {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : key) {
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
    return mix64(h);
}

// splitmix64 as a generator: period 2^64, one add and a mix per draw.
class Rng {
  public:
    explicit Rng(uint64_t seed = 0) noexcept : state_(seed) {}
    uint64_t next() noexcept { return mix64(state_ += kGamma); }
    // Uniform in [0, 1).
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [lo, hi], both inclusive (Python's randint). Modulo bias is below
    // 2^-40 for the ranges used here.
    int64_t randint(int64_t lo, int64_t hi) noexcept {
        if (hi <= lo) {
            return lo;
        }
        return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
    }

  private:
    uint64_t state_;
};

} // namespace mlps::kvcache
