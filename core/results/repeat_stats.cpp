#include "results/repeat_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "results/run_figures.hpp"

namespace mlps::core {

using json = nlohmann::json;

json describeValues(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    if (n == 0) {
        return {{"n", 0}};
    }
    const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    double sum = 0;
    for (double v : values) {
        sum += v;
    }
    const double mean = sum / double(n);
    double squares = 0;
    for (double v : values) {
        squares += (v - mean) * (v - mean);
    }
    const double stddev = n > 1 ? std::sqrt(squares / double(n - 1)) : 0.0;
    return {{"n", n},
            {"median", median},
            {"min", values.front()},
            {"max", values.back()},
            {"mean", mean},
            {"stddev", stddev},
            {"cv", mean != 0 ? json(stddev / std::fabs(mean)) : json(nullptr)}};
}

json repeatRecord(const std::string &repeatId,
                  const std::vector<json> &summaries,
                  const std::vector<std::string> &summaryPaths) {
    json runs = json::array();
    std::vector<std::string> order;
    std::map<std::string, std::vector<double>> values;
    std::map<std::string, std::string> units;
    size_t counted = 0;
    for (size_t i = 0; i < summaries.size(); ++i) {
        const json &s = summaries[i];
        const auto headline = headlineFigures(s);
        const bool counts = s.value("status", "") == "ok" && !s.value("partial", false);
        runs.push_back({{"id", s.value("run_id", "?")},
                        {"status", s.value("status", "?")},
                        {"partial", s.value("partial", false)},
                        {"counted", counts},
                        {"summary", i < summaryPaths.size() ? summaryPaths[i] : ""},
                        {"headline", figuresObject(headline)}});
        if (!counts) {
            continue;
        }
        ++counted;
        for (const auto &f : headline) {
            if (!f.value.is_number()) {
                continue;
            }
            if (!values.contains(f.key)) {
                order.push_back(f.key);
                units[f.key] = f.unit;
            }
            values[f.key].push_back(f.value.get<double>());
        }
    }
    json figures = json::object();
    for (const auto &key : order) {
        json stats = describeValues(values[key]);
        stats["unit"] = units[key];
        figures[key] = stats;
    }
    const json first = summaries.empty() ? json::object() : summaries.front();
    return {{"schema", kRepeatSchema},
            {"repeat_id", repeatId},
            {"benchmark", first.value("benchmark_name", "?")},
            {"spec", first.value("spec", json::object())},
            {"repeat", summaries.size()},
            {"counted", counted},
            {"runs", runs},
            {"figures", figures}};
}

void printRepeat(const json &record, std::ostream &out) {
    out << "repeat " << record.value("repeat_id", "?") << ": " << record.value("repeat", 0)
        << " runs of " << record["spec"].value("source", "?") << ", " << record.value("counted", 0)
        << " complete\n";
    for (const auto &run : record.value("runs", json::array())) {
        out << "  " << run.value("id", "?") << "  " << run.value("status", "?")
            << (run.value("counted", false) ? "" : " (not counted)") << "\n";
    }
    const json figures = record.value("figures", json::object()); // items() needs an lvalue
    for (const auto &[key, stats] : figures.items()) {
        char cv[32] = "-";
        if (stats["cv"].is_number()) {
            std::snprintf(cv, sizeof cv, "%.2f%%", stats["cv"].get<double>() * 100);
        }
        char line[256];
        std::snprintf(line,
                      sizeof line,
                      "  %-24s median %.4g  min %.4g  max %.4g  CV %s  %s\n",
                      key.c_str(),
                      stats.value("median", 0.0),
                      stats.value("min", 0.0),
                      stats.value("max", 0.0),
                      cv,
                      stats.value("unit", "").c_str());
        out << line;
    }
}

} // namespace mlps::core
