// Units of sizes, durations and bandwidths as they appear in specs and on the command line.
//   sizes:      4096  64KiB  1.5GB  512MiB  2TiB  (K/M/G/T/P = 10^3.., KiB/MiB.. = 2^10..; B
//   optional) durations:  30s  500ms  2m  1h  10us  250ns  (a plain number = seconds) bandwidth:
//   64GB/s  1.5GiB/s  800MB/s  (a plain number = bytes/s)
// Parse errors throw UnitError with a message that says what was expected.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mlps::core {

class UnitError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

uint64_t parseSize(std::string_view text);
uint64_t parseDurationNs(std::string_view text);
uint64_t parseBandwidth(std::string_view text); // bytes per second

// For people: "1.50 GiB", "512 B"; "2.5 s", "340 us"; "1.20 GiB/s".
std::string formatBytes(double bytes);
std::string formatDurationNs(double ns);
std::string formatBandwidth(double bytesPerSecond);

// Levenshtein-based suggestion among candidates; empty when nothing is close enough.
std::string didYouMean(std::string_view word, const std::vector<std::string> &candidates);

} // namespace mlps::core
