#include "data_pattern.hpp"

#include <bit>
#include <cstring>

namespace mlps::tierbench {

namespace {

// splitmix64's finaliser: a strong 64-bit mix.
constexpr uint64_t mix(uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;
// One strong hash per 4 KiB block, then a cheap, vectorisable step per 8-byte word: every word
// of the object set is distinct and generation runs at memory speed, not hash speed.
constexpr uint64_t kWordsPerBlock = 512;

// Bytes of buf that differ from `expected`, counting each differing byte once.
inline unsigned differingBytes(uint64_t a, uint64_t expected) noexcept {
    uint64_t d = a ^ expected;
    d |= d >> 4;
    d |= d >> 2;
    d |= d >> 1;
    return static_cast<unsigned>(std::popcount(d & 0x0101010101010101ull));
}

} // namespace

uint64_t DataPattern::blockKey(uint32_t object, uint64_t block) const noexcept {
    return mix(mix(seed_ ^ (uint64_t{object} + 1) * kGamma) + block * 0xd1b54a32d192ed03ull);
}

uint64_t DataPattern::word(uint32_t object, uint64_t wordIndex) const noexcept {
    return blockKey(object, wordIndex / kWordsPerBlock) ^ ((wordIndex % kWordsPerBlock) * kGamma);
}

unsigned char DataPattern::byteAt(uint32_t object, uint64_t offset) const noexcept {
    // Through memcpy, like the word loops, so both agree on byte order on any machine.
    const uint64_t w = word(object, offset / 8);
    unsigned char bytes[8];
    std::memcpy(bytes, &w, 8);
    return bytes[offset % 8];
}

void DataPattern::fill(void *buf,
                       uint32_t object,
                       uint64_t offset,
                       uint64_t length) const noexcept {
    auto *p = static_cast<unsigned char *>(buf);
    const uint64_t end = offset + length;
    uint64_t o = offset;
    for (; o < end && o % 8 != 0; ++o) {
        *p++ = byteAt(object, o);
    }
    while (end - o >= 8) {
        const uint64_t w0 = o / 8;
        const uint64_t first = w0 % kWordsPerBlock;
        uint64_t count = kWordsPerBlock - first;
        if (count > (end - o) / 8) {
            count = (end - o) / 8;
        }
        const uint64_t key = blockKey(object, w0 / kWordsPerBlock);
        // (first + k) * kGamma as a running sum: additions vectorise on any x86-64, a 64-bit
        // vector multiply needs AVX-512.
        uint64_t step = first * kGamma;
        for (uint64_t k = 0; k < count; ++k, step += kGamma) {
            const uint64_t w = key ^ step;
            std::memcpy(p + k * 8, &w, 8);
        }
        p += count * 8;
        o += count * 8;
    }
    for (; o < end; ++o) {
        *p++ = byteAt(object, o);
    }
}

uint64_t DataPattern::mismatches(const void *buf,
                                 uint32_t object,
                                 uint64_t offset,
                                 uint64_t length) const noexcept {
    const auto *p = static_cast<const unsigned char *>(buf);
    const uint64_t end = offset + length;
    uint64_t o = offset;
    uint64_t bad = 0;
    for (; o < end && o % 8 != 0; ++o) {
        bad += *p++ != byteAt(object, o);
    }
    while (end - o >= 8) {
        const uint64_t w0 = o / 8;
        const uint64_t first = w0 % kWordsPerBlock;
        uint64_t count = kWordsPerBlock - first;
        if (count > (end - o) / 8) {
            count = (end - o) / 8;
        }
        const uint64_t key = blockKey(object, w0 / kWordsPerBlock);
        // First a branch-free pass that only says whether anything differs (the usual case is
        // nothing), then a byte count only for a block that does.
        uint64_t any = 0;
        uint64_t step = first * kGamma;
        for (uint64_t k = 0; k < count; ++k, step += kGamma) {
            uint64_t w;
            std::memcpy(&w, p + k * 8, 8);
            any |= w ^ key ^ step;
        }
        if (any != 0) {
            step = first * kGamma;
            for (uint64_t k = 0; k < count; ++k, step += kGamma) {
                uint64_t w;
                std::memcpy(&w, p + k * 8, 8);
                bad += differingBytes(w, key ^ step);
            }
        }
        p += count * 8;
        o += count * 8;
    }
    for (; o < end; ++o) {
        bad += *p++ != byteAt(object, o);
    }
    return bad;
}

} // namespace mlps::tierbench
