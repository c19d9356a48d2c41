// Sizes, durations and bandwidths as people write them, and every way to get them wrong.
#include <cmath>
#include <string>

#include <doctest/doctest.h>

#include "spec/units.hpp"

using namespace mlps::core;

namespace {

std::string unitError(uint64_t (*parse)(std::string_view), std::string_view text) {
    try {
        parse(text);
    } catch (const UnitError &e) {
        return e.what();
    }
    FAIL("no UnitError for \"" << std::string(text) << "\"");
    return "";
}

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;
constexpr uint64_t kTiB = kGiB * 1024;
constexpr uint64_t kSecond = 1000'000'000;

} // namespace

TEST_SUITE("units") {

    TEST_CASE("sizes in every unit") {
        CHECK(parseSize("4096") == 4096);
        CHECK(parseSize("0") == 0);
        CHECK(parseSize("64KiB") == 64 * kKiB);
        CHECK(parseSize("1.5GB") == 1500'000'000);
        CHECK(parseSize("512MiB") == 512 * kMiB);
        CHECK(parseSize("2TiB") == 2 * kTiB);
        CHECK(parseSize("1.5 GiB") == 3 * kGiB / 2);
        CHECK(parseSize("  7B  ") == 7);
        CHECK(parseSize("1k") == 1000);
        CHECK(parseSize("1K") == 1000);
        CHECK(parseSize("1KB") == 1000);
        CHECK(parseSize("1kb") == 1000);
        CHECK(parseSize("1Ki") == kKiB);
        CHECK(parseSize("1kib") == kKiB);
        CHECK(parseSize("1KIB") == kKiB);
        CHECK(parseSize("3M") == 3000'000);
        CHECK(parseSize("3MB") == 3000'000);
        CHECK(parseSize("2G") == 2000'000'000);
        CHECK(parseSize("1T") == 1000'000'000'000);
        CHECK(parseSize("1TB") == 1000'000'000'000);
        CHECK(parseSize("1P") == 1000'000'000'000'000);
        CHECK(parseSize("1PiB") == kTiB * 1024);
        CHECK(parseSize("1EiB") == kTiB * kMiB);
        CHECK(parseSize("0.5KiB") == 512);
        CHECK(parseSize("1.25 MiB") == kMiB + kMiB / 4);
        // Fractions round to the nearest byte.
        CHECK(parseSize("1.5") == 2);
        CHECK(parseSize("0.0001KB") == 0);
        // The largest value that fits an int64, and leading zeros.
        CHECK(parseSize("9223372036854775807") == 9223372036854775807ull);
        CHECK(parseSize("000000000000000000000012") == 12);
    }

    TEST_CASE("bad sizes say what was expected and what was found") {
        CHECK(unitError(parseSize, "-1GiB") ==
              "expected a size like 512MiB, 1.5GB or 4096, found \"-1GiB\"");
        CHECK(unitError(parseSize, "lots") ==
              "expected a size like 512MiB, 1.5GB or 4096, found \"lots\"");
        CHECK(unitError(parseSize, "") == "expected a size like 512MiB, 1.5GB or 4096, found \"\"");
        CHECK(unitError(parseSize, "   ").find("found \"   \"") != std::string::npos);
        for (const char *bad : {"nan",
                                "inf",
                                "-inf",
                                "NaN",
                                "1e3",
                                ".5GB",
                                "1.GB",
                                "1.5.5GB",
                                "+1GB",
                                "0x10",
                                "1,000",
                                "1_000",
                                "GiB",
                                "1 2"}) {
            CAPTURE(bad);
            CHECK(unitError(parseSize, bad).rfind("expected a size like", 0) == 0);
        }
        CHECK(unitError(parseSize, "1GiBx").find("unknown unit \"GiBx\"") != std::string::npos);
        CHECK(unitError(parseSize, "12 lots").find("unknown unit \"lots\"") != std::string::npos);
        CHECK(unitError(parseSize, "1 KiB B").find("unknown unit") != std::string::npos);
        // Capitals with a lowercase b are bits: refused instead of being off by 8.
        CHECK(unitError(parseSize, "1Gb").find("lowercase b means bits") != std::string::npos);
        // Overflow: 2^63 and beyond.
        CHECK(unitError(parseSize, "8EiB").find("too large") != std::string::npos);
        CHECK(unitError(parseSize, "9223372036854775808").find("too large") != std::string::npos);
        CHECK(unitError(parseSize, "99999999999999999999999999999999").find("too large") !=
              std::string::npos);
        CHECK(unitError(parseSize, "16777216TiB").find("too large") != std::string::npos);
        // Hostile text is quoted with control bytes escaped and cut short.
        const std::string message = unitError(parseSize, std::string(500, 'x') + "\x01\n");
        CHECK(message.size() < 200);
        CHECK(message.find("...") != std::string::npos);
        CHECK(unitError(parseSize, "1\x01").find("\\x01") != std::string::npos);
    }

    TEST_CASE("durations in every unit") {
        CHECK(parseDurationNs("30s") == 30 * kSecond);
        CHECK(parseDurationNs("500ms") == 500'000'000);
        CHECK(parseDurationNs("2m") == 120 * kSecond);
        CHECK(parseDurationNs("2min") == 120 * kSecond);
        CHECK(parseDurationNs("1h") == 3600 * kSecond);
        CHECK(parseDurationNs("1d") == 86400 * kSecond);
        CHECK(parseDurationNs("10us") == 10'000);
        CHECK(parseDurationNs("10\xc2\xb5s") == 10'000); // µs
        CHECK(parseDurationNs("250ns") == 250);
        CHECK(parseDurationNs("5") == 5 * kSecond);
        CHECK(parseDurationNs("1.5s") == 1500'000'000);
        CHECK(parseDurationNs("1.5") == 1500'000'000);
        CHECK(parseDurationNs("0.5ms") == 500'000);
        CHECK(parseDurationNs(" 2 S ") == 2 * kSecond);
        CHECK(parseDurationNs("3sec") == 3 * kSecond);
        CHECK(parseDurationNs("0") == 0);
    }

    TEST_CASE("bad durations") {
        CHECK(unitError(parseDurationNs, "-1s") ==
              "expected a duration like 30s, 500ms, 2m or 10us, found \"-1s\"");
        for (const char *bad : {"", "s", "nan", "inf", "1e3s", "1..5s", "ten seconds", "1s2"}) {
            CAPTURE(bad);
            CHECK(unitError(parseDurationNs, bad).rfind("expected a duration like", 0) == 0);
        }
        CHECK(unitError(parseDurationNs, "5 fortnights").find("unknown unit \"fortnights\"") !=
              std::string::npos);
        CHECK(unitError(parseDurationNs, "200000d").find("too large") != std::string::npos);
        CHECK(unitError(parseDurationNs, "9223372036854775808ns").find("too large") !=
              std::string::npos);
    }

    TEST_CASE("bandwidths") {
        CHECK(parseBandwidth("64GB/s") == 64'000'000'000);
        CHECK(parseBandwidth("1.5GiB/s") == 3 * kGiB / 2);
        CHECK(parseBandwidth("800MB/s") == 800'000'000);
        CHECK(parseBandwidth("1000") == 1000);
        CHECK(parseBandwidth("1 GiB / s") == kGiB);
        CHECK(parseBandwidth("2KiB/sec") == 2 * kKiB);
        CHECK(parseBandwidth("10gb/S") == 10'000'000'000);
    }

    TEST_CASE("bad bandwidths") {
        CHECK(unitError(parseBandwidth, "-1GB/s") ==
              "expected a bandwidth like 64GB/s, 1.5GiB/s or 800MB/s, found \"-1GB/s\"");
        CHECK(unitError(parseBandwidth, "64GB").find("missing \"/s\"") != std::string::npos);
        CHECK(unitError(parseBandwidth, "1GiB/min").find("per second") != std::string::npos);
        CHECK(unitError(parseBandwidth, "10Gb/s").find("bits") != std::string::npos);
        for (const char *bad : {"", "/s", "GB/s", "fast", "nan/s", "1GB/s/s"}) {
            CAPTURE(bad);
            CHECK(unitError(parseBandwidth, bad).rfind("expected a bandwidth like", 0) == 0);
        }
        CHECK(unitError(parseBandwidth, "9EiB/s").find("too large") != std::string::npos);
    }

    TEST_CASE("formatting for people") {
        CHECK(formatBytes(0) == "0 B");
        CHECK(formatBytes(512) == "512 B");
        CHECK(formatBytes(1023) == "1023 B");
        CHECK(formatBytes(1024) == "1.00 KiB");
        CHECK(formatBytes(1.5 * double(kGiB)) == "1.50 GiB");
        CHECK(formatBytes(3.0 * double(kTiB)) == "3.00 TiB");
        CHECK(formatBytes(-2048) == "-2.00 KiB");
        CHECK(formatBytes(std::nan("")) == "n/a");
        CHECK(formatBandwidth(1.2 * double(kGiB)) == "1.20 GiB/s");
        CHECK(formatBandwidth(100) == "100 B/s");
        CHECK(formatDurationNs(0) == "0 ns");
        CHECK(formatDurationNs(250) == "250 ns");
        CHECK(formatDurationNs(999.7) == "1 us");
        CHECK(formatDurationNs(340e3) == "340 us");
        CHECK(formatDurationNs(1.5e6) == "1.5 ms");
        CHECK(formatDurationNs(2.5e9) == "2.5 s");
        CHECK(formatDurationNs(90e9) == "90 s");
        CHECK(formatDurationNs(1e12) == "16.7 min");
        CHECK(formatDurationNs(9e12) == "2.5 h");
        CHECK(formatDurationNs(INFINITY) == "n/a");
    }

    TEST_CASE("did you mean") {
        const std::vector<std::string> keys = {"duration", "warmup", "seed", "results_dir", "keep"};
        CHECK(didYouMean("durration", keys) == "duration");
        CHECK(didYouMean("Duration", keys) == "duration");
        CHECK(didYouMean("warmpu", keys) == "warmup");
        CHECK(didYouMean("result_dir", keys) == "results_dir");
        CHECK(didYouMean("kep", keys) == "keep");
        CHECK(didYouMean("completely_different", keys).empty());
        CHECK(didYouMean("xyz", keys).empty());
        CHECK(didYouMean("anything", {}).empty());
        // The limit grows with the word: 4 edits are fine for a 12-letter word, not for a 6-letter
        // one.
        CHECK(didYouMean("progres_intrvl", {"progress_interval"}) == "progress_interval");
        CHECK(didYouMean("abcdef", {"abzzzz"}).empty());
    }

} // TEST_SUITE
