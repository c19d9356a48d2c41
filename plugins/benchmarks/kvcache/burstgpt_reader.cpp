// burstgpt input: the BurstGPT CSV (Timestamp,Model,Request tokens,Response tokens,Total
// tokens,Log Type). A row is one request: Request tokens of context, Response tokens generated,
// arriving at Timestamp (s) / trace_speedup. Rows must be in time order.
#include <algorithm>
#include <cmath>

#include "csv_fields.hpp"
#include "file_source.hpp"

namespace mlps::kvcache {

void checkMonotonic(
    const TextInput &in, uint64_t column, double previous, double now, const char *unit) {
    if (now < previous) {
        char text[160];
        std::snprintf(text,
                      sizeof text,
                      "non-monotonic timestamps: %.6g %s comes after %.6g %s (the input must be "
                      "in time order)",
                      now,
                      unit,
                      previous,
                      unit);
        inputError(in.path(), in.lineNumber(), column, text);
    }
}

std::vector<int> mapColumns(const TextInput &in,
                            std::string_view header,
                            const std::vector<std::string_view> &known,
                            const std::vector<bool> &required,
                            const char *layout) {
    std::vector<CsvField> fields;
    splitCsv(header, fields);
    std::vector<int> index(known.size(), -1);
    std::string knownList;
    for (const auto k : known) {
        knownList += (knownList.empty() ? "" : ", ") + std::string(k);
    }
    for (size_t i = 0; i < fields.size(); ++i) {
        size_t k = 0;
        while (k < known.size() && known[k] != fields[i].text) {
            ++k;
        }
        if (k == known.size()) {
            inputError(in.path(),
                       in.lineNumber(),
                       fields[i].column,
                       "unknown column '" + std::string(fields[i].text) + "' in the " + layout +
                           " header (known: " + knownList + ")");
        }
        index[k] = static_cast<int>(i);
    }
    for (size_t k = 0; k < known.size(); ++k) {
        if (required[k] && index[k] < 0) {
            inputError(in.path(),
                       in.lineNumber(),
                       0,
                       "the " + std::string(layout) + " header lacks the column '" +
                           std::string(known[k]) + "'");
        }
    }
    return index;
}

namespace {

class BurstGptReader final : public ItemReader {
  public:
    explicit BurstGptReader(const Settings &s) : in_(s.datasetPath), numbers_(in_) {}

    bool read(Request &out, double &timestampS) override {
        std::string_view line;
        if (columns_.empty()) {
            if (!in_.next(line) || line.empty()) {
                inputError(in_.path(), 0, 0, "the file is empty (expected the BurstGPT header)");
            }
            columns_ = mapColumns(in_,
                                  line,
                                  {"Timestamp",
                                   "Model",
                                   "Request tokens",
                                   "Response tokens",
                                   "Total tokens",
                                   "Log Type"},
                                  {true, false, true, true, false, false},
                                  "BurstGPT");
            width_ = 0;
            for (const int c : columns_) {
                width_ = std::max(width_, c + 1);
            }
        }
        for (;;) {
            if (!in_.next(line)) {
                if (rows_ == 0) {
                    inputError(in_.path(), in_.lineNumber(), 0, "no requests: only a header");
                }
                return false;
            }
            if (!line.empty()) {
                break;
            }
        }
        splitCsv(line, fields_);
        if (fields_.size() < static_cast<size_t>(width_)) {
            inputError(in_.path(),
                       in_.lineNumber(),
                       0,
                       "expected " + std::to_string(width_) + " fields, found " +
                           std::to_string(fields_.size()));
        }
        const CsvField &ts = fields_[columns_[0]];
        timestampS = numbers_.realAt(ts, "Timestamp");
        if (rows_ != 0) {
            checkMonotonic(in_, ts.column, previous_, timestampS, "s");
        }
        previous_ = timestampS;
        ++rows_;
        const uint64_t request = numbers_.unsignedAt(fields_[columns_[2]], "Request tokens");
        const uint64_t response = numbers_.unsignedAt(fields_[columns_[3]], "Response tokens");
        out.context = static_cast<uint32_t>(std::clamp<uint64_t>(request, 1, UINT32_MAX / 2));
        out.generation = static_cast<uint32_t>(std::min<uint64_t>(response, UINT32_MAX / 2));
        return true;
    }

    void rewind() override {
        in_.rewind();
        columns_.clear();
        rows_ = 0;
    }

  private:
    TextInput in_;
    CsvNumbers numbers_;
    std::vector<int> columns_;
    int width_ = 0;
    std::vector<CsvField> fields_;
    uint64_t rows_ = 0;
    double previous_ = 0;
};

} // namespace

std::unique_ptr<ItemReader> makeBurstGptReader(const Settings &s) {
    return std::make_unique<BurstGptReader>(s);
}

} // namespace mlps::kvcache
