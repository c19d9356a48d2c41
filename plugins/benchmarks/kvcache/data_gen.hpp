// The bytes of every entry: a function of (seed, entry key, offset), generated straight into
// the I/O buffers and checked on read without keeping a copy.
//
// Layout: a random base pattern of chunk_size bytes (from the seed) repeats every chunk; the
// first 64 bytes of every 4 KiB block are replaced by a stamp derived from (seed, key, block
// index). Every 4 KiB block of every entry is therefore distinct (dedup-resistant at 4 KiB),
// and a write only stamps 64 bytes per 4 KiB into a buffer that already holds the base
// pattern: generation costs 1/64 of the bytes written, no copy.
#pragma once

#include <cstdint>
#include <vector>

namespace mlps::kvcache {

class DataGen {
  public:
    static constexpr uint64_t kBlock = 4096;
    static constexpr uint64_t kStamp = 64;

    DataGen(uint64_t seed, uint64_t chunkSize);

    uint64_t chunkSize() const noexcept { return base_.size(); }
    // Copies the base pattern into a write buffer (once, when the buffer is made).
    void prime(unsigned char *buf, uint64_t length) const noexcept;
    // Stamps [offset, offset + length) of entry `contentKey` into a primed buffer. offset is a
    // multiple of chunk_size; length at most chunk_size.
    void
    stamp(unsigned char *buf, uint64_t contentKey, uint64_t offset, uint64_t length) const noexcept;
    // The full content (base + stamps), for a buffer that is not primed.
    void
    fill(unsigned char *buf, uint64_t contentKey, uint64_t offset, uint64_t length) const noexcept;
    // Bytes of buf that differ from the content of [offset, offset + length) of the entry.
    uint64_t mismatches(const unsigned char *buf,
                        uint64_t contentKey,
                        uint64_t offset,
                        uint64_t length) const noexcept;

  private:
    void stampWords(uint64_t contentKey, uint64_t block, uint64_t *words) const noexcept;

    uint64_t seed_;
    std::vector<unsigned char> base_;
};

} // namespace mlps::kvcache
