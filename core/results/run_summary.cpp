#include "results/run_summary.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "spec/units.hpp"
#include "util/errors.hpp"

namespace mlps::core {

void writeJsonFile(const std::string &path, const nlohmann::json &summary) {
    const std::string tmp = path + ".tmp";
    bool written = false;
    {
        std::ofstream out(tmp);
        out << summary.dump(2) << '\n';
        out.flush();
        written = static_cast<bool>(out);
    }
    // A half-written file is worse than none: a full or failing file system leaves nothing.
    if (!written) {
        const int e = errno;
        std::remove(tmp.c_str());
        throw SystemError("cannot write " + tmp +
                          (e != 0 ? std::string(": ") + std::strerror(e) : ""));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        std::remove(tmp.c_str());
        throw SystemError("cannot rename " + tmp + " to " + path + ": " + std::strerror(e));
    }
}

std::string specHash(const std::string &text) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : text) {
        hash = (hash ^ c) * 0x100000001b3ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double num(const nlohmann::json &j, const char *key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string latencyText(const nlohmann::json &h) {
    return "lat mean " + formatDurationNs(num(h, "mean")) + "  p50 " +
           formatDurationNs(num(h, "p50")) + "  p99 " + formatDurationNs(num(h, "p99")) +
           "  p99.9 " + formatDurationNs(num(h, "p99_9")) + "  max " +
           formatDurationNs(num(h, "max"));
}

std::string countText(double value) {
    char text[32];
    if (value >= 1e6) {
        std::snprintf(text, sizeof text, "%.2fM", value / 1e6);
    } else if (value >= 1e4) {
        std::snprintf(text, sizeof text, "%.1fk", value / 1e3);
    } else if (value >= 10 || value == 0 || value == static_cast<double>(uint64_t(value))) {
        std::snprintf(text, sizeof text, "%.0f", value);
    } else {
        std::snprintf(text, sizeof text, "%.2f", value); // a rate of 0.27/s is not "0"
    }
    return text;
}

// A histogram value in its own unit: durations for "ns", sizes for "bytes", else a number.
std::string valueText(double value, const std::string &unit) {
    if (unit == "ns") {
        return formatDurationNs(value);
    }
    if (unit == "bytes") {
        return formatBytes(value);
    }
    return countText(value) + (unit.empty() ? "" : " " + unit);
}

// Metrics are grouped by the part of their name before the last dot: "read.bytes",
// "read.ops" and "read.latency" make one line "read".
void printMetrics(const nlohmann::json &metrics, std::ostream &out) {
    std::map<std::string, std::map<std::string, nlohmann::json>> groups;
    for (const auto &[name, value] : metrics.items()) {
        const auto dot = name.rfind('.');
        const std::string group = dot == std::string::npos ? "" : name.substr(0, dot);
        const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
        groups[group][leaf] = value;
    }
    std::vector<std::string> classLines;
    std::vector<std::string> rest;
    for (const auto &[group, leaves] : groups) {
        std::string line;
        const auto bytes = leaves.find("bytes");
        const auto ops = leaves.find("ops");
        const auto latency = leaves.find("latency");
        if (bytes != leaves.end() && num(bytes->second, "total") == 0 &&
            (ops == leaves.end() || num(ops->second, "total") == 0)) {
            continue; // nothing happened in this class (e.g. no writes in a read run)
        }
        if (bytes != leaves.end()) {
            line += formatBandwidth(num(bytes->second, "per_s")) + "  " +
                    formatBytes(num(bytes->second, "total"));
        }
        if (ops != leaves.end()) {
            line += (line.empty() ? "" : "  ") + countText(num(ops->second, "per_s")) + " op/s";
        }
        if (latency != leaves.end() && num(latency->second, "count") > 0) {
            line += (line.empty() ? "" : "  ") + latencyText(latency->second);
        }
        for (const auto &[leaf, value] : leaves) {
            if (leaf == "bytes" || leaf == "ops" || leaf == "latency") {
                continue;
            }
            const std::string label = group.empty() ? leaf : group + "." + leaf;
            if (value.value("kind", "") == "gauge") {
                rest.push_back(label + " " + countText(num(value, "value")) + " " +
                               value.value("unit", "") + " (at the end)");
            } else if (value.value("kind", "") == "counter") {
                const std::string unit = value.value("unit", "");
                rest.push_back(label + " " +
                               (unit == "bytes" ? formatBytes(num(value, "total"))
                                                : countText(num(value, "total")) + " " + unit));
            } else if (num(value, "count") > 0) {
                const std::string unit = value.value("unit", "");
                rest.push_back(label + " p50 " + valueText(num(value, "p50"), unit) + " p99 " +
                               valueText(num(value, "p99"), unit));
            }
        }
        if (!line.empty()) {
            char head[40];
            std::snprintf(head, sizeof head, "  %-12s ", group.c_str());
            classLines.push_back(head + line);
        }
    }
    // Traffic classes first (what people look for), then the other figures.
    for (const auto &line : classLines) {
        out << line << '\n';
    }
    for (const auto &line : rest) {
        out << "  " << line << '\n';
    }
}

} // namespace

void printHumanSummary(const nlohmann::json &summary, std::ostream &out) {
    const auto &timing = summary.at("timing");
    out << "\n"
        << summary.value("benchmark_name", "?") << " run " << summary.value("run_id", "?") << ": "
        << summary.value("status", "?");
    if (summary.value("partial", false)) {
        out << " (partial results)";
    }
    out << "\n  timed window " << formatDurationNs(num(timing, "timed_s") * 1e9) << ", "
        << summary.value("ranks", 1) << " rank(s)\n";
    // The benchmark's verdict in its own words (report key "headline", results.md), before the
    // figures it is drawn from.
    const nlohmann::json report = summary.value("benchmark", nlohmann::json::object());
    if (report.is_object() && report.contains("headline") && report["headline"].is_array()) {
        for (const auto &line : report["headline"]) {
            if (line.is_string()) {
                out << "  " << line.get<std::string>() << '\n';
            }
        }
    }
    if (summary.contains("metrics")) {
        printMetrics(summary.at("metrics"), out);
    }
    // A job of several ranks: where they ran, and the first-done view next to the aggregate.
    const nlohmann::json job = summary.value("job", nlohmann::json::object());
    if (job.value("ranks", 1) > 1) {
        out << "  job: " << job.value("ranks", 1) << " ranks on "
            << summary.value("per_host", nlohmann::json::array()).size() << " host(s)"
            << (job.value("merged", false) ? ", merged" : ", NOT merged (rank 0's figures)");
        if (job.contains("window")) {
            out << "; first rank done after "
                << formatDurationNs(num(job["window"], "first_done_s") * 1e9);
        }
        out << '\n';
        const nlohmann::json bandwidth = job.value("bandwidth", nlohmann::json::object());
        for (const auto &[name, bw] : bandwidth.items()) {
            if (num(bw, "bytes") == 0) {
                continue;
            }
            char head[40];
            std::snprintf(head, sizeof head, "  %-12s ", name.c_str());
            out << head << "aggregate " << formatBandwidth(num(bw, "aggregate_gib_per_s") * kGiB)
                << "  first done " << formatBandwidth(num(bw, "first_done_gib_per_s") * kGiB)
                << '\n';
        }
        if (job.contains("missing_ranks")) {
            out << "  missing ranks: " << job["missing_ranks"].dump() << '\n';
        }
    }
    if (summary.contains("tiers")) {
        for (const auto &tier : summary.at("tiers")) {
            out << "  tier " << tier.value("name", "?") << " (" << tier.value("plugin", "?")
                << "): " << tier.value("location", "") << ", "
                << formatBytes(num(tier, "used_bytes")) << " used of "
                << formatBytes(num(tier, "capacity_bytes")) << "\n";
        }
    }
    for (const auto &error : summary.value("errors", nlohmann::json::array())) {
        out << "  error: " << error.get<std::string>() << '\n';
    }
    out << "  results: " << summary.value("results_dir", "") << "/summary.json\n";
}

} // namespace mlps::core
