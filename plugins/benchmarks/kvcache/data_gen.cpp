#include "data_gen.hpp"

#include <algorithm>
#include <cstring>

#include "rng.hpp"

namespace mlps::kvcache {

DataGen::DataGen(uint64_t seed, uint64_t chunkSize) : seed_(seed), base_(chunkSize) {
    Rng rng(streamSeed(seed, 0xba5e, 0));
    for (uint64_t i = 0; i + 8 <= chunkSize; i += 8) {
        const uint64_t w = rng.next();
        std::memcpy(base_.data() + i, &w, 8);
    }
}

void DataGen::stampWords(uint64_t contentKey, uint64_t block, uint64_t *words) const noexcept {
    const uint64_t k = mix64(seed_ ^ mix64(contentKey + block * kGamma));
    for (uint64_t j = 0; j < kStamp / 8; ++j) {
        words[j] = k ^ (j * 0xd1b54a32d192ed03ull);
    }
    words[0] = k; // the block's identity, first
    words[1] = block;
}

void DataGen::prime(unsigned char *buf, uint64_t length) const noexcept {
    std::memcpy(buf, base_.data(), std::min<uint64_t>(length, base_.size()));
}

void DataGen::stamp(unsigned char *buf,
                    uint64_t contentKey,
                    uint64_t offset,
                    uint64_t length) const noexcept {
    uint64_t words[kStamp / 8];
    for (uint64_t o = 0; o < length; o += kBlock) {
        stampWords(contentKey, (offset + o) / kBlock, words);
        std::memcpy(buf + o, words, std::min(kStamp, length - o));
    }
}

void DataGen::fill(unsigned char *buf,
                   uint64_t contentKey,
                   uint64_t offset,
                   uint64_t length) const noexcept {
    prime(buf, length);
    stamp(buf, contentKey, offset, length);
}

uint64_t DataGen::mismatches(const unsigned char *buf,
                             uint64_t contentKey,
                             uint64_t offset,
                             uint64_t length) const noexcept {
    uint64_t bad = 0;
    uint64_t words[kStamp / 8];
    unsigned char stampBytes[kStamp];
    for (uint64_t o = 0; o < length; o += kBlock) {
        const uint64_t blockLen = std::min(kBlock, length - o);
        const uint64_t stampLen = std::min(kStamp, blockLen);
        stampWords(contentKey, (offset + o) / kBlock, words);
        std::memcpy(stampBytes, words, kStamp);
        const unsigned char *p = buf + o;
        const unsigned char *b = base_.data() + o; // chunks start at multiples of chunk_size
        if (std::memcmp(p, stampBytes, stampLen) != 0) {
            for (uint64_t i = 0; i < stampLen; ++i) {
                bad += p[i] != stampBytes[i];
            }
        }
        if (blockLen > stampLen &&
            std::memcmp(p + stampLen, b + stampLen, blockLen - stampLen) != 0) {
            for (uint64_t i = stampLen; i < blockLen; ++i) {
                bad += p[i] != b[i];
            }
        }
    }
    return bad;
}

} // namespace mlps::kvcache
