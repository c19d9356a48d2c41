// The bytes tierbench writes: a deterministic function of (seed, object, byte offset), so a
// rewrite produces the same bytes and every read can be checked without keeping a copy.
//
// Layout: every 4 KiB block starts with a 64-byte stamp of (seed, object, block) and continues
// with a base pattern that depends only on (seed, offset modulo 1 MiB). Every 4 KiB block of
// the object set is distinct (dedup at 4 KiB finds nothing), and a buffer that already holds
// the content of one range can be turned into that of another range with the same offset
// modulo 1 MiB by rewriting the stamps alone: 1/64 of the bytes. That is what keeps sequential
// writes' CPU per GiB at fio's level (fio's default scramble_buffers plays the same trick);
// regenerating every byte per write cost as much as fio with refill_buffers=1.
#pragma once

#include <cstdint>

namespace mlps::tierbench {

class DataPattern {
  public:
    // The base pattern repeats with this period (bytes).
    static constexpr uint64_t kPeriod = uint64_t{1} << 20;

    explicit DataPattern(uint64_t seed) : seed_(seed) {}

    // Writes the content of [offset, offset + length) of `object` into buf.
    void fill(void *buf, uint32_t object, uint64_t offset, uint64_t length) const noexcept;
    // Same result as fill(), provided buf holds the content of some range of `length` bytes at
    // an offset congruent to `offset` modulo kPeriod (any object), and both are 8-byte aligned.
    void restamp(void *buf, uint32_t object, uint64_t offset, uint64_t length) const noexcept;
    // How many bytes of buf differ from the content of [offset, offset + length) of `object`.
    uint64_t
    mismatches(const void *buf, uint32_t object, uint64_t offset, uint64_t length) const noexcept;

  private:
    uint64_t stampWord(uint32_t object, uint64_t block, uint64_t k) const noexcept;
    uint64_t baseKey(uint64_t block) const noexcept;
    uint64_t word(uint32_t object, uint64_t wordIndex) const noexcept;
    unsigned char byteAt(uint32_t object, uint64_t offset) const noexcept;

    uint64_t seed_;
};

} // namespace mlps::tierbench
