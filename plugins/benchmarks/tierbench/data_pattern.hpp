// The bytes tierbench writes: a deterministic function of (seed, object, byte offset), so a
// rewrite produces the same bytes and every read can be checked without keeping a copy.
#pragma once

#include <cstdint>

namespace mlps::tierbench {

class DataPattern {
  public:
    explicit DataPattern(uint64_t seed) : seed_(seed) {}

    // Writes the content of [offset, offset + length) of `object` into buf.
    void fill(void *buf, uint32_t object, uint64_t offset, uint64_t length) const noexcept;
    // How many bytes of buf differ from the content of [offset, offset + length) of `object`.
    uint64_t
    mismatches(const void *buf, uint32_t object, uint64_t offset, uint64_t length) const noexcept;

  private:
    uint64_t blockKey(uint32_t object, uint64_t block) const noexcept;
    uint64_t word(uint32_t object, uint64_t wordIndex) const noexcept;
    unsigned char byteAt(uint32_t object, uint64_t offset) const noexcept;

    uint64_t seed_;
};

} // namespace mlps::tierbench
