// How object keys (arbitrary bytes) become file names, and which fan-out folder holds them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mlps::posix {

// 64-bit FNV-1a: stable across builds and platforms, so a kept tier folder has the same layout
// for the same keys every time.
uint64_t stableHash(std::string_view key) noexcept;

// Lower-case hex of the key bytes: safe in any file system and reversible. Keys longer than
// 100 bytes are cut to their first 80 bytes, then "~<hash>~<unique>": the tier's index holds
// the mapping, so such names need not be reversible, only unique.
std::string fileNameFor(std::string_view key, uint64_t unique);

// The name of fan-out folder `index` of `fanout`: fixed-width hex ("00".."ff" for 256).
std::string bucketName(uint32_t index, uint32_t fanout);

} // namespace mlps::posix
