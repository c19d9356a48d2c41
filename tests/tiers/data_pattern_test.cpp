// tierbench's data pattern on its own: restamping a filled buffer gives exactly what fill()
// gives, every 4 KiB block is distinct, and mismatches() counts changed bytes on any range.
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "data_pattern.hpp"

using mlps::tierbench::DataPattern;

namespace {
std::vector<unsigned char> filled(const DataPattern &d, uint32_t object, uint64_t off, uint64_t n) {
    std::vector<unsigned char> buf(n);
    d.fill(buf.data(), object, off, n);
    return buf;
}
} // namespace

TEST_CASE("data pattern: restamp turns one range's content into another's") {
    const DataPattern d(42);
    constexpr uint64_t kMiB = DataPattern::kPeriod;
    for (const uint64_t length : {uint64_t{4096}, uint64_t{65536 + 8}, 2 * kMiB}) {
        auto buf = filled(d, 3, 7 * kMiB, length);
        d.restamp(buf.data(), 9, 2 * kMiB, length); // another object, a congruent offset
        CHECK(buf == filled(d, 9, 2 * kMiB, length));
        CHECK(d.mismatches(buf.data(), 9, 2 * kMiB, length) == 0);
        CHECK(d.mismatches(buf.data(), 3, 7 * kMiB, length) > 0); // the stamps changed
    }
}

TEST_CASE("data pattern: every 4 KiB block of several objects is distinct") {
    const DataPattern d(7);
    std::set<std::string> blocks;
    uint64_t total = 0;
    for (uint32_t object = 0; object < 4; ++object) {
        const auto buf = filled(d, object, 0, 3 * DataPattern::kPeriod); // the base repeats
        for (uint64_t at = 0; at < buf.size(); at += 4096, ++total) {
            blocks.emplace(reinterpret_cast<const char *>(buf.data() + at), 4096);
        }
    }
    CHECK(blocks.size() == total);
    // A different seed gives different bytes.
    CHECK(filled(DataPattern(8), 0, 0, 4096) != filled(d, 0, 0, 4096));
}

TEST_CASE("data pattern: unaligned ranges agree with the whole, and mismatches count bytes") {
    const DataPattern d(1);
    const auto whole = filled(d, 5, 0, 3 * 4096);
    for (const auto &[off, len] :
         {std::pair<uint64_t, uint64_t>{3, 20}, {61, 9}, {4090, 4107}, {4095, 1}, {0, 3 * 4096}}) {
        auto part = filled(d, 5, off, len);
        CHECK(std::memcmp(part.data(), whole.data() + off, len) == 0);
        CHECK(d.mismatches(part.data(), 5, off, len) == 0);
        part[0] ^= 0xff;
        part[len - 1] ^= 0x01;
        CHECK(d.mismatches(part.data(), 5, off, len) == (len == 1 ? 1u : 2u));
    }
}
