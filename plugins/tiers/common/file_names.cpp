#include "file_names.hpp"

#include <cstdio>

namespace mlps::posix {

namespace {
constexpr size_t kMaxHexKeyBytes = 100; // 200 characters: below NAME_MAX (255) everywhere
constexpr size_t kPrefixBytes = 80;
constexpr char kHex[] = "0123456789abcdef";

void appendHex(std::string &out, std::string_view bytes) {
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
}
} // namespace

uint64_t stableHash(std::string_view key) noexcept {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : key) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string fileNameFor(std::string_view key, uint64_t unique) {
    std::string name;
    if (key.size() <= kMaxHexKeyBytes) {
        name.reserve(key.size() * 2);
        appendHex(name, key);
        return name;
    }
    name.reserve(kPrefixBytes * 2 + 40);
    appendHex(name, key.substr(0, kPrefixBytes));
    char tail[48];
    std::snprintf(tail,
                  sizeof tail,
                  "~%016llx~%llx",
                  static_cast<unsigned long long>(stableHash(key)),
                  static_cast<unsigned long long>(unique));
    name += tail;
    return name;
}

std::string bucketName(uint32_t index, uint32_t fanout) {
    int width = 1;
    for (uint32_t top = fanout - 1; top > 0xf; top >>= 4) {
        ++width;
    }
    char name[16];
    std::snprintf(name, sizeof name, "%0*x", width, index);
    return name;
}

} // namespace mlps::posix
