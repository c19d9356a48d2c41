#include "data_pattern.hpp"

#include <algorithm>
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
constexpr uint64_t kWordsPerBlock = 512; // 4 KiB
constexpr uint64_t kStampWords = 8;      // 64 bytes
constexpr uint64_t kBlocksPerPeriod = DataPattern::kPeriod / (kWordsPerBlock * 8);

// Bytes of buf that differ from `expected`, counting each differing byte once.
inline unsigned differingBytes(uint64_t a, uint64_t expected) noexcept {
    uint64_t d = a ^ expected;
    d |= d >> 4;
    d |= d >> 2;
    d |= d >> 1;
    return static_cast<unsigned>(std::popcount(d & 0x0101010101010101ull));
}

// The 8-byte-aligned part of [offset, end) cut into pieces inside one 4 KiB block:
// visit(wordIndex of the piece's first word, words, pointer offset from the range's start).
template <typename Visit>
void forEachBlockPiece(uint64_t from, uint64_t end, Visit &&visit) noexcept {
    uint64_t o = from;
    while (end - o >= 8) {
        const uint64_t w0 = o / 8;
        const uint64_t count = std::min(kWordsPerBlock - w0 % kWordsPerBlock, (end - o) / 8);
        visit(w0, count, o - from);
        o += count * 8;
    }
}

} // namespace

uint64_t DataPattern::stampWord(uint32_t object, uint64_t block, uint64_t k) const noexcept {
    return mix(mix(mix(seed_ ^ (uint64_t{object} + 1) * kGamma) + block * 0xd1b54a32d192ed03ull) +
               k);
}

uint64_t DataPattern::baseKey(uint64_t block) const noexcept {
    return mix(mix(seed_ + 0x632be59bd9b4e019ull) + (block % kBlocksPerPeriod) * kGamma);
}

uint64_t DataPattern::word(uint32_t object, uint64_t wordIndex) const noexcept {
    const uint64_t block = wordIndex / kWordsPerBlock;
    const uint64_t k = wordIndex % kWordsPerBlock;
    return k < kStampWords ? stampWord(object, block, k) : baseKey(block) ^ (k * kGamma);
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
    const uint64_t aligned = o;
    forEachBlockPiece(aligned, end, [&](uint64_t w0, uint64_t count, uint64_t at) {
        const uint64_t first = w0 % kWordsPerBlock;
        const uint64_t key = baseKey(w0 / kWordsPerBlock);
        // (first + k) * kGamma as a running sum: additions vectorise on any x86-64, a 64-bit
        // vector multiply needs AVX-512. The stamp words are written over afterwards.
        uint64_t step = first * kGamma;
        for (uint64_t k = 0; k < count; ++k, step += kGamma) {
            const uint64_t w = key ^ step;
            std::memcpy(p + at + k * 8, &w, 8);
        }
        for (uint64_t k = first; k < std::min(kStampWords, first + count); ++k) {
            const uint64_t w = stampWord(object, w0 / kWordsPerBlock, k);
            std::memcpy(p + at + (k - first) * 8, &w, 8);
        }
    });
    o = end - (end - aligned) % 8;
    p += o - aligned;
    for (; o < end; ++o) {
        *p++ = byteAt(object, o);
    }
}

void DataPattern::restamp(void *buf,
                          uint32_t object,
                          uint64_t offset,
                          uint64_t length) const noexcept {
    auto *p = static_cast<unsigned char *>(buf);
    forEachBlockPiece(offset, offset + length, [&](uint64_t w0, uint64_t count, uint64_t at) {
        const uint64_t first = w0 % kWordsPerBlock;
        for (uint64_t k = first; k < std::min(kStampWords, first + count); ++k) {
            const uint64_t w = stampWord(object, w0 / kWordsPerBlock, k);
            std::memcpy(p + at + (k - first) * 8, &w, 8);
        }
    });
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
    const uint64_t aligned = o;
    forEachBlockPiece(aligned, end, [&](uint64_t w0, uint64_t count, uint64_t at) {
        const uint64_t first = w0 % kWordsPerBlock;
        const uint64_t block = w0 / kWordsPerBlock;
        const uint64_t stamps = first < kStampWords ? std::min(kStampWords - first, count) : 0;
        const unsigned char *q = p + at;
        for (uint64_t k = 0; k < stamps; ++k) {
            uint64_t w;
            std::memcpy(&w, q + k * 8, 8);
            bad += differingBytes(w, stampWord(object, block, first + k));
        }
        // The base words: first a branch-free pass that only says whether anything differs
        // (the usual case is nothing), then a byte count only for a block that does.
        const uint64_t key = baseKey(block);
        uint64_t any = 0;
        uint64_t step = (first + stamps) * kGamma;
        for (uint64_t k = stamps; k < count; ++k, step += kGamma) {
            uint64_t w;
            std::memcpy(&w, q + k * 8, 8);
            any |= w ^ key ^ step;
        }
        if (any != 0) {
            step = (first + stamps) * kGamma;
            for (uint64_t k = stamps; k < count; ++k, step += kGamma) {
                uint64_t w;
                std::memcpy(&w, q + k * 8, 8);
                bad += differingBytes(w, key ^ step);
            }
        }
    });
    o = end - (end - aligned) % 8;
    p += o - aligned;
    for (; o < end; ++o) {
        bad += *p++ != byteAt(object, o);
    }
    return bad;
}

} // namespace mlps::tierbench
