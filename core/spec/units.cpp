#include "spec/units.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "spec/text_util.hpp"

namespace mlps::core {

namespace {

__extension__ typedef unsigned __int128 U128; // GCC/Clang: exact overflow checks

// Every parsed quantity must fit an int64: consumers hand sizes to off_t and durations to signed
// clocks, so 2^63 and above are overflow, not just "big".
constexpr U128 kMaxValue = static_cast<U128>(std::numeric_limits<int64_t>::max());

constexpr const char *kSizeExpected = "expected a size like 512MiB, 1.5GB or 4096";
constexpr const char *kDurationExpected = "expected a duration like 30s, 500ms, 2m or 10us";
constexpr const char *kBandwidthExpected = "expected a bandwidth like 64GB/s, 1.5GiB/s or 800MB/s";

[[noreturn]] void
fail(const char *expected, std::string_view text, const std::string &reason = {}) {
    std::string message = std::string(expected) + ", found " + quoteValue(text);
    if (!reason.empty()) {
        message += " (" + reason + ")";
    }
    throw UnitError(message);
}

struct Quantity {
    std::string_view intDigits;
    std::string_view fracDigits;
    std::string_view unit; // trimmed, as written
};

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

// "1.5 GiB" -> {"1", "5", "GiB"}. No sign, no exponent, digits on both sides of a dot.
bool splitQuantity(std::string_view text, Quantity &q) {
    size_t i = 0;
    while (i < text.size() && isDigit(text[i])) {
        ++i;
    }
    if (i == 0) {
        return false;
    }
    q.intDigits = text.substr(0, i);
    if (i < text.size() && text[i] == '.') {
        const size_t start = ++i;
        while (i < text.size() && isDigit(text[i])) {
            ++i;
        }
        if (i == start) {
            return false;
        }
        q.fracDigits = text.substr(start, i - start);
    }
    q.unit = trim(text.substr(i));
    return true;
}

// intDigits.fracDigits * multiplier, rounded to the nearest integer, in 128 bits so that the
// overflow check is exact; false when the result exceeds kMaxValue.
bool scale(const Quantity &q, uint64_t multiplier, uint64_t &out) {
    U128 whole = 0;
    for (const char c : q.intDigits) {
        whole = whole * 10 + static_cast<unsigned>(c - '0');
        if (whole > kMaxValue) {
            return false;
        }
    }
    // 18 fraction digits are far below any unit's resolution; more would overflow 128 bits.
    const std::string_view frac = q.fracDigits.substr(0, 18);
    U128 fraction = 0;
    U128 denominator = 1;
    for (const char c : frac) {
        fraction = fraction * 10 + static_cast<unsigned>(c - '0');
        denominator *= 10;
    }
    const U128 total = whole * multiplier + (fraction * multiplier + denominator / 2) / denominator;
    if (total > kMaxValue) {
        return false;
    }
    out = static_cast<uint64_t>(total);
    return true;
}

struct Unit {
    const char *name;
    uint64_t multiplier;
};

constexpr uint64_t kKi = 1024;
constexpr Unit kSizeUnits[] = {
    {"", 1},
    {"b", 1},
    {"k", 1000},
    {"kb", 1000},
    {"ki", kKi},
    {"kib", kKi},
    {"m", 1000'000},
    {"mb", 1000'000},
    {"mi", kKi *kKi},
    {"mib", kKi *kKi},
    {"g", 1000'000'000},
    {"gb", 1000'000'000},
    {"gi", kKi *kKi *kKi},
    {"gib", kKi *kKi *kKi},
    {"t", 1000'000'000'000},
    {"tb", 1000'000'000'000},
    {"ti", kKi *kKi *kKi *kKi},
    {"tib", kKi *kKi *kKi *kKi},
    {"p", 1000'000'000'000'000},
    {"pb", 1000'000'000'000'000},
    {"pi", kKi *kKi *kKi *kKi *kKi},
    {"pib", kKi *kKi *kKi *kKi *kKi},
    {"e", 1000'000'000'000'000'000},
    {"eb", 1000'000'000'000'000'000},
    {"ei", kKi *kKi *kKi *kKi *kKi *kKi},
    {"eib", kKi *kKi *kKi *kKi *kKi *kKi},
};

constexpr uint64_t kSecond = 1000'000'000;
constexpr Unit kDurationUnits[] = {
    {"", kSecond},
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, // µs (micro sign)
    {"\xce\xbcs", 1000}, // μs (Greek mu)
    {"ms", 1000'000},
    {"s", kSecond},
    {"sec", kSecond},
    {"m", 60 * kSecond},
    {"min", 60 * kSecond},
    {"h", 3600 * kSecond},
    {"d", 86400 * kSecond},
};

template <size_t N>
const Unit *findUnit(const Unit (&units)[N], std::string_view unit) {
    const std::string lower = toLowerAscii(unit);
    for (const Unit &u : units) {
        if (lower == u.name) {
            return &u;
        }
    }
    return nullptr;
}

// Units are case-insensitive ("gib" = "GiB"), except that a unit written with capitals and a
// lowercase b ("Gb", "Mib") is the usual spelling of bits: refusing it beats being off by 8.
bool looksLikeBits(std::string_view unit) {
    if (unit.empty() || unit.back() != 'b') {
        return false;
    }
    return std::any_of(unit.begin(), unit.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

uint64_t parseSizeAs(std::string_view original, std::string_view text, const char *expected) {
    Quantity q;
    if (!splitQuantity(text, q)) {
        fail(expected, original);
    }
    if (looksLikeBits(q.unit)) {
        fail(expected, original, "a lowercase b means bits; write B for bytes");
    }
    const Unit *unit = findUnit(kSizeUnits, q.unit);
    if (unit == nullptr) {
        fail(expected,
             original,
             "unknown unit " + quoteValue(q.unit) +
                 "; use B, KB, KiB, MB, MiB, GB, GiB, TB, TiB, PB, PiB, EB or EiB");
    }
    uint64_t value = 0;
    if (!scale(q, unit->multiplier, value)) {
        fail(expected, original, "too large: the limit is 2^63-1 bytes");
    }
    return value;
}

std::string formatScaled(double value, const char *const *units, size_t nUnits, double step) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    const char *sign = value < 0 ? "-" : "";
    value = std::fabs(value);
    size_t i = 0;
    while (i + 1 < nUnits && value >= step) {
        value /= step;
        ++i;
    }
    char text[64];
    if (i == 0) {
        std::snprintf(text, sizeof text, "%s%.0f %s", sign, value, units[0]);
    } else {
        std::snprintf(text, sizeof text, "%s%.2f %s", sign, value, units[i]);
    }
    return text;
}

} // namespace

uint64_t parseSize(std::string_view text) {
    return parseSizeAs(text, trim(text), kSizeExpected);
}

uint64_t parseDurationNs(std::string_view text) {
    Quantity q;
    if (!splitQuantity(trim(text), q)) {
        fail(kDurationExpected, text);
    }
    const Unit *unit = findUnit(kDurationUnits, q.unit);
    if (unit == nullptr) {
        fail(kDurationExpected,
             text,
             "unknown unit " + quoteValue(q.unit) + "; use ns, us, ms, s, m, h or d");
    }
    uint64_t value = 0;
    if (!scale(q, unit->multiplier, value)) {
        fail(kDurationExpected, text, "too large: the limit is 2^63-1 ns, about 292 years");
    }
    return value;
}

uint64_t parseBandwidth(std::string_view text) {
    const std::string_view body = trim(text);
    const size_t slash = body.find('/');
    if (slash == std::string_view::npos) {
        Quantity q;
        if (splitQuantity(body, q) && !q.unit.empty()) {
            fail(kBandwidthExpected, text, "missing \"/s\"");
        }
        return parseSizeAs(text, body, kBandwidthExpected);
    }
    const std::string per = toLowerAscii(trim(body.substr(slash + 1)));
    if (per != "s" && per != "sec") {
        fail(kBandwidthExpected, text, "a bandwidth is per second: write /s");
    }
    return parseSizeAs(text, trim(body.substr(0, slash)), kBandwidthExpected);
}

std::string formatBytes(double bytes) {
    static const char *const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    return formatScaled(bytes, kUnits, std::size(kUnits), 1024.0);
}

std::string formatBandwidth(double bytesPerSecond) {
    static const char *const kUnits[] = {
        "B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s", "PiB/s", "EiB/s"};
    return formatScaled(bytesPerSecond, kUnits, std::size(kUnits), 1024.0);
}

std::string formatDurationNs(double ns) {
    if (!std::isfinite(ns)) {
        return "n/a";
    }
    const char *sign = ns < 0 ? "-" : "";
    double value = std::fabs(ns);
    struct Step {
        const char *unit;
        double ns;
        double upTo; // use this unit below this many of it (3 significant digits fit)
    };
    static const Step kSteps[] = {
        {"ns", 1, 999.5},
        {"us", 1e3, 999.5},
        {"ms", 1e6, 999.5},
        {"s", 1e9, 119.5},
        {"min", 60e9, 119.5},
        {"h", 3600e9, std::numeric_limits<double>::infinity()},
    };
    const Step *step = &kSteps[0];
    for (const Step &s : kSteps) {
        step = &s;
        if (value / s.ns < s.upTo) {
            break;
        }
    }
    char text[64];
    // %.3g: "2.5 s", "340 us", "16.7 min"; the thresholds above keep it out of exponent form.
    std::snprintf(text, sizeof text, "%s%.3g %s", sign, value / step->ns, step->unit);
    return text;
}

std::string didYouMean(std::string_view word, const std::vector<std::string> &candidates) {
    const std::string w = toLowerAscii(word);
    const size_t limit = std::max<size_t>(2, w.size() / 3);
    std::string best;
    size_t bestDistance = std::numeric_limits<size_t>::max();
    std::vector<size_t> row;
    for (const std::string &candidate : candidates) {
        const std::string c = toLowerAscii(candidate);
        // Classic two-row Levenshtein: insert, delete, substitute all cost 1.
        row.resize(c.size() + 1);
        for (size_t j = 0; j <= c.size(); ++j) {
            row[j] = j;
        }
        for (size_t i = 1; i <= w.size(); ++i) {
            size_t diagonal = row[0];
            row[0] = i;
            for (size_t j = 1; j <= c.size(); ++j) {
                const size_t above = row[j];
                row[j] = std::min(
                    {row[j] + 1, row[j - 1] + 1, diagonal + (w[i - 1] == c[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        const size_t distance = row[c.size()];
        if (distance <= limit && distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

} // namespace mlps::core
