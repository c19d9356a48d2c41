// Splitting one CSV line of the trace inputs (burstgpt, op_log, io_trace: no quoting) into
// fields that remember their column, and parsing numbers with the position in errors.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text_input.hpp"

namespace mlps::kvcache {

struct CsvField {
    std::string_view text;
    uint64_t column = 1; // 1-based
};

inline void splitCsv(std::string_view line, std::vector<CsvField> &out) {
    out.clear();
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        const size_t end = comma == std::string_view::npos ? line.size() : comma;
        std::string_view f = line.substr(start, end - start);
        uint64_t column = start + 1;
        while (!f.empty() && f.front() == ' ') {
            f.remove_prefix(1);
            ++column;
        }
        while (!f.empty() && f.back() == ' ') {
            f.remove_suffix(1);
        }
        out.push_back({f, column});
        if (comma == std::string_view::npos) {
            return;
        }
        start = comma + 1;
    }
}

class CsvNumbers {
  public:
    CsvNumbers(const TextInput &in) : in_(in) {}
    uint64_t unsignedAt(const CsvField &f, const char *what) const {
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
        if (ec != std::errc() || end != f.text.data() + f.text.size() || f.text.empty()) {
            fail(f, what, "a whole number >= 0");
        }
        return v;
    }
    double realAt(const CsvField &f, const char *what) const {
        double v = 0;
        const auto [end, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
        if (ec != std::errc() || end != f.text.data() + f.text.size() || f.text.empty() ||
            !(v >= 0)) {
            fail(f, what, "a number >= 0");
        }
        return v;
    }
    [[noreturn]] void fail(const CsvField &f, const char *what, const char *expected) const {
        inputError(in_.path(),
                   in_.lineNumber(),
                   f.column,
                   std::string(what) + ": expected " + expected + ", found '" +
                       std::string(f.text) + "'");
    }

  private:
    const TextInput &in_;
};

// The header's columns, checked against the known ones: every required column present, no
// unknown column. Returns the index of each known column (-1 when absent).
std::vector<int> mapColumns(const TextInput &in,
                            std::string_view header,
                            const std::vector<std::string_view> &known,
                            const std::vector<bool> &required,
                            const char *layout);

// Timestamps must not go back: "FILE:LINE:COL: ..." otherwise.
void checkMonotonic(
    const TextInput &in, uint64_t column, double previous, double now, const char *unit);

} // namespace mlps::kvcache
