#include "results/run_figures.hpp"

#include <algorithm>
#include <cstdio>

namespace mlps::core {

namespace {

using json = nlohmann::json;

// The value at a path of object keys, or nullptr where any step is missing.
const json *at(const json &root, std::initializer_list<const char *> path) {
    const json *node = &root;
    for (const char *key : path) {
        if (!node->is_object()) {
            return nullptr;
        }
        const auto it = node->find(key);
        if (it == node->end()) {
            return nullptr;
        }
        node = &*it;
    }
    return node;
}

void addIf(std::vector<Figure> &out,
           const json &root,
           std::initializer_list<const char *> path,
           const std::string &key,
           const std::string &unit = "") {
    if (const json *v = at(root, path);
        v != nullptr && (v->is_number() || v->is_string() || v->is_boolean())) {
        out.push_back({key, *v, unit});
    }
}

std::string number(double v, const char *format = "%.3g") {
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

// Op classes of a tierbench-like report: objects with a bandwidth and at least one op.
std::vector<std::string> reportClasses(const json &report) {
    std::vector<std::string> classes;
    if (!report.is_object()) {
        return classes;
    }
    for (const auto &[name, value] : report.items()) {
        if (value.is_object() && value.contains("bandwidth_gib_per_s") &&
            value.value("ops", 0.0) > 0) {
            classes.push_back(name);
        }
    }
    return classes;
}

// Classes of the job's bandwidth (any benchmark) that moved bytes.
std::vector<std::string> jobClasses(const json &summary) {
    std::vector<std::string> classes;
    const json *bw = at(summary, {"job", "bandwidth"});
    if (bw == nullptr || !bw->is_object()) {
        return classes;
    }
    for (const auto &[name, value] : bw->items()) {
        if (value.is_object() && value.value("bytes", 0.0) > 0) {
            classes.push_back(name);
        }
    }
    return classes;
}

bool isKvcache(const json &summary) {
    return summary.value("benchmark_name", "") == "kvcache";
}

std::vector<Figure> kvcacheHeadline(const json &summary) {
    std::vector<Figure> out;
    const json b = summary.value("benchmark", json::object());
    addIf(out, b, {"model", "key"}, "model");
    addIf(out, b, {"workload", "users"}, "users");
    addIf(out, b, {"summary", "requests_per_second"}, "requests_per_s", "req/s");
    addIf(out, b, {"summary", "cache_stats", "cache_hit_rate"}, "cache_hit_rate");
    addIf(out, b, {"summary", "cache_stats", "storage_health", "overall_status"}, "storage_health");
    return out;
}

std::vector<Figure> bandwidthHeadline(const json &summary) {
    std::vector<Figure> out;
    const json &report = summary.value("benchmark", json::object());
    double total = 0;
    std::vector<Figure> perClass;
    const auto classes = reportClasses(report);
    if (!classes.empty()) {
        for (const auto &c : classes) {
            const double v = report[c].value("bandwidth_gib_per_s", 0.0);
            total += v;
            perClass.push_back({c + "_gib_per_s", v, "GiB/s"});
        }
    } else {
        for (const auto &c : jobClasses(summary)) {
            const double v = summary["job"]["bandwidth"][c].value("aggregate_gib_per_s", 0.0);
            total += v;
            perClass.push_back({c + "_gib_per_s", v, "GiB/s"});
        }
    }
    out.push_back({"gib_per_s", total, "GiB/s"});
    out.insert(out.end(), perClass.begin(), perClass.end());
    return out;
}

void flatten(const json &node,
             const std::string &prefix,
             std::vector<std::pair<std::string, double>> &out) {
    if (node.is_number()) {
        out.emplace_back(prefix, node.get<double>());
    } else if (node.is_boolean()) {
        out.emplace_back(prefix, node.get<bool>() ? 1.0 : 0.0);
    } else if (node.is_object()) {
        for (const auto &[key, value] : node.items()) {
            flatten(value, prefix.empty() ? key : prefix + "." + key, out);
        }
    } else if (node.is_array()) {
        for (size_t i = 0; i < node.size(); ++i) {
            flatten(node[i], prefix + "[" + std::to_string(i) + "]", out);
        }
    }
}

void flattenText(const json &node,
                 const std::string &prefix,
                 std::vector<std::pair<std::string, std::string>> &out) {
    if (node.is_object()) {
        for (const auto &[key, value] : node.items()) {
            flattenText(value, prefix.empty() ? key : prefix + "." + key, out);
        }
    } else if (node.is_string()) {
        out.emplace_back(prefix, node.get<std::string>());
    } else if (!node.is_null()) {
        out.emplace_back(prefix, node.dump());
    }
}

} // namespace

std::vector<Figure> headlineFigures(const json &summary) {
    return isKvcache(summary) ? kvcacheHeadline(summary) : bandwidthHeadline(summary);
}

std::string headlineText(const std::vector<Figure> &figures) {
    // The same order whatever the source (the index's JSON objects come back sorted by key).
    static const std::vector<std::string> order = {
        "model", "users", "requests_per_s", "cache_hit_rate", "storage_health", "gib_per_s"};
    auto rank = [](const Figure &f) {
        const auto it = std::find(order.begin(), order.end(), f.key);
        return it == order.end() ? order.size() : size_t(it - order.begin());
    };
    std::vector<Figure> headline = figures;
    std::stable_sort(headline.begin(), headline.end(), [&rank](const Figure &a, const Figure &b) {
        return rank(a) < rank(b);
    });
    std::string text;
    std::string classes;
    auto add = [&text](const std::string &part) { text += (text.empty() ? "" : ", ") + part; };
    for (const auto &f : headline) {
        const bool num = f.value.is_number();
        const double v = num ? f.value.get<double>() : 0;
        if (f.key == "model" && f.value.is_string()) {
            add(f.value.get<std::string>());
        } else if (f.key == "users" && num) {
            add(number(v, "%.0f") + " users");
        } else if (f.key == "requests_per_s" && num) {
            add(number(v) + " req/s");
        } else if (f.key == "cache_hit_rate" && num) {
            add("hit rate " + number(v * 100, "%.1f") + "%");
        } else if (f.key == "storage_health" && f.value.is_string()) {
            add("storage " + f.value.get<std::string>());
        } else if (f.key == "gib_per_s" && num) {
            add(number(v) + " GiB/s");
        } else if (f.key.ends_with("_gib_per_s") && num) {
            classes += (classes.empty() ? "" : ", ") +
                       f.key.substr(0, f.key.size() - std::string("_gib_per_s").size()) + " " +
                       number(v);
        } else {
            add(f.key + " " + (num ? number(v) : f.value.dump()));
        }
    }
    if (!classes.empty()) {
        text += " (" + classes + ")";
    }
    return text.empty() ? "-" : text;
}

json figuresObject(const std::vector<Figure> &figures) {
    json out = json::object();
    for (const auto &f : figures) {
        out[f.key] = f.value;
    }
    return out;
}

std::vector<Figure> classFigures(const json &summary) {
    std::vector<Figure> out;
    const json &report = summary.value("benchmark", json::object());
    if (isKvcache(summary)) {
        // Per tier and op class, as the kvcache report gives them (latencies in ms).
        for (const auto &tier : report.value("tiers", json::array())) {
            const std::string name = tier.value("name", "?");
            const json classes = tier.value("classes", json::object()); // items() needs an lvalue
            for (const auto &[cls, v] : classes.items()) {
                if (v.value("ops", 0.0) <= 0) {
                    continue;
                }
                const std::string base = name + "." + cls + ".";
                addIf(out, v, {"bandwidth_gib_per_s"}, base + "bandwidth_gib_per_s", "GiB/s");
                addIf(out, v, {"ops_per_s"}, base + "ops_per_s", "/s");
                for (const char *p : {"mean", "p50", "p95", "p99", "p999"}) {
                    addIf(out, v, {"latency_ms", p}, base + p + "_ms", "ms");
                }
            }
        }
        const json qosMetrics =
            report.value("summary", json::object()).value("qos_metrics", json::object());
        for (const auto &[qos, v] : qosMetrics.items()) {
            if (!v.is_object() || v.value("no_data", false)) {
                continue;
            }
            const std::string base = "qos." + qos + ".";
            addIf(out, v, {"total_requests"}, base + "requests");
            addIf(out, v, {"latency_ms", "p95"}, base + "p95_ms", "ms");
            addIf(out, v, {"latency_ms", "p99"}, base + "p99_ms", "ms");
            addIf(out, v, {"sla", "compliance"}, base + "sla_compliance");
        }
        return out;
    }
    const auto classes = reportClasses(report);
    if (!classes.empty()) {
        for (const auto &c : classes) {
            const json &v = report[c];
            addIf(out, v, {"bandwidth_gib_per_s"}, c + ".bandwidth_gib_per_s", "GiB/s");
            addIf(out, v, {"iops"}, c + ".iops", "/s");
            addIf(out, v, {"bytes"}, c + ".bytes", "B");
            addIf(out, v, {"ops"}, c + ".ops");
            for (const char *p : {"mean", "p50", "p90", "p95", "p99", "p99_9", "p99_99", "max"}) {
                addIf(out, v, {"latency_ns", p}, c + ".latency_" + p + "_ns", "ns");
            }
        }
        return out;
    }
    for (const auto &c : jobClasses(summary)) {
        addIf(out,
              summary,
              {"job", "bandwidth", c.c_str(), "aggregate_gib_per_s"},
              c + ".bandwidth_gib_per_s",
              "GiB/s");
        const std::string latency = c + ".latency";
        for (const char *p : {"mean", "p50", "p99"}) {
            addIf(out, summary, {"metrics", latency.c_str(), p}, c + ".latency_" + p + "_ns", "ns");
        }
    }
    return out;
}

std::vector<Figure> referenceColumns(const json &summary) {
    std::vector<Figure> out;
    if (!isKvcache(summary)) {
        return out;
    }
    const json b = summary.value("benchmark", json::object());
    addIf(out, summary, {"started_at"}, "Timestamp");
    addIf(out, b, {"model", "key"}, "Model");
    addIf(out, b, {"workload", "users"}, "Num Users");
    addIf(out, summary, {"timing", "duration_requested_s"}, "Duration (s)");
    addIf(out, b, {"model", "tensor_parallel"}, "Tensor Parallel");
    addIf(out, b, {"workload", "generation_mode"}, "Generation Mode");
    addIf(out, b, {"workload", "performance_profile"}, "Performance Profile");
    addIf(out, b, {"workload", "multi_turn"}, "Multi-turn");
    addIf(out, b, {"workload", "seed"}, "Seed");
    addIf(out, b, {"workload", "max_concurrent_allocs"}, "Max Concurrent Allocs");
    const json &s = b.value("summary", json::object());
    addIf(out, s, {"total_requests"}, "Total Requests");
    addIf(out, s, {"total_tokens"}, "Total Tokens");
    addIf(out, s, {"elapsed_time"}, "Elapsed Time (s)");
    addIf(out, s, {"avg_throughput_tokens_per_sec"}, "Avg Throughput (tok/s)");
    addIf(out, s, {"storage_throughput_tokens_per_sec"}, "Storage Throughput (tok/s)");
    addIf(out, s, {"requests_per_second"}, "Requests/sec");
    const std::pair<const char *, const char *> lat[] = {{"end_to_end_latency_ms", "E2E"},
                                                         {"storage_io_latency_ms", "Storage"},
                                                         {"generation_latency_ms", "Gen"}};
    const std::pair<const char *, const char *> pcts[] = {{"mean", "Mean"},
                                                          {"p50", "P50"},
                                                          {"p95", "P95"},
                                                          {"p99", "P99"},
                                                          {"p999", "P99.9"},
                                                          {"p9999", "P99.99"}};
    for (const auto &[key, label] : lat) {
        for (const auto &[p, plabel] : pcts) {
            if (std::string(label) == "Gen" &&
                (std::string(p) == "p999" || std::string(p) == "p9999")) {
                continue; // the reference stops at P99 for generation
            }
            addIf(out, s, {key, p}, std::string(label) + " Latency " + plabel + " (ms)");
        }
    }
    // mlps times whole entries per tier ("Total"); the reference's Device/Host split needs
    // its block-layer tracing, which mlps does not have.
    for (const char *side : {"read", "write"}) {
        for (const auto &[p, plabel] : pcts) {
            if (std::string(p) == "mean") {
                continue;
            }
            const std::string key = std::string("storage_") + side + "_" + p + "_ms";
            addIf(out,
                  s,
                  {"cache_stats", key.c_str()},
                  std::string("Storage Tier ") + (side[0] == 'r' ? "Read" : "Write") + " Total " +
                      plabel + " (ms)");
        }
    }
    addIf(out, s, {"cache_stats", "cache_hit_rate"}, "Cache Hit Rate");
    addIf(out, s, {"cache_stats", "read_write_ratio"}, "Read/Write Ratio");
    addIf(out, s, {"cache_stats", "total_read_gb"}, "Total Read (GiB)");
    addIf(out, s, {"cache_stats", "total_write_gb"}, "Total Write (GiB)");
    const std::pair<const char *, const char *> roles[] = {
        {"gpu", "GPU"}, {"cpu", "CPU"}, {"storage", "Storage"}};
    for (const char *what : {"written", "read"}) {
        for (const auto &[role, label] : roles) {
            const std::string key = std::string("tier_") + role + "_kv_bytes_" + what + "_gb";
            addIf(out,
                  s,
                  {"cache_stats", key.c_str()},
                  std::string("Tier ") + label + " KV Bytes " +
                      (what[0] == 'w' ? "Written" : "Read") + " (GiB)");
        }
    }
    for (const auto &[role, label] : roles) {
        for (const char *side : {"read", "write"}) {
            const std::string key = std::string("tier_") + role + "_" + side + "_bandwidth_gbps";
            addIf(out,
                  s,
                  {"cache_stats", key.c_str()},
                  std::string("Tier ") + label + " " + (side[0] == 'r' ? "Read" : "Write") +
                      " Bandwidth (GiB/s)");
        }
    }
    for (const auto &[role, label] : roles) {
        const std::string key = std::string(role) + "_entries";
        addIf(out, s, {"cache_stats", key.c_str()}, std::string(label) + " Entries");
    }
    addIf(out, s, {"multi_turn_stats", "hit_rate"}, "Multi-turn Hit Rate");
    return out;
}

std::vector<std::pair<std::string, double>> allFigures(const json &summary) {
    std::vector<std::pair<std::string, double>> out;
    if (const json *t = at(summary, {"timing", "timed_s"})) {
        flatten(*t, "timing.timed_s", out);
    }
    if (const json *bw = at(summary, {"job", "bandwidth"})) {
        flatten(*bw, "job.bandwidth", out);
    }
    if (const json *m = at(summary, {"metrics"})) {
        flatten(*m, "metrics", out);
    }
    if (const json *b = at(summary, {"benchmark"}); b != nullptr && b->is_object()) {
        json report = *b;
        report.erase("headline"); // text for people, not figures
        flatten(report, "benchmark", out);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> runSettings(const json &summary) {
    std::vector<std::pair<std::string, std::string>> out;
    auto text = [&](const char *name, std::initializer_list<const char *> path) {
        if (const json *v = at(summary, path); v != nullptr && !v->is_null()) {
            out.emplace_back(name, v->is_string() ? v->get<std::string>() : v->dump());
        }
    };
    text("benchmark", {"benchmark_name"});
    text("spec.source", {"spec", "source"});
    text("spec.hash", {"spec", "hash_fnv1a64"});
    text("spec.seed", {"spec", "seed"});
    text("command.sets", {"identity", "sets"});
    text("timing.warmup_s", {"timing", "warmup_s"});
    text("timing.duration_requested_s", {"timing", "duration_requested_s"});
    text("ranks", {"ranks"});
    text("hosts", {"identity", "layout", "hosts"});
    text("mlps.version", {"mlps_version"});
    text("mlps.git", {"identity", "mlps", "git"});
    text("benchmark.version", {"plugins", "benchmark", "version"});
    if (const json *opts = at(summary, {"plugins", "benchmark", "options"})) {
        flattenText(*opts, "benchmark.options", out);
    }
    for (const auto &tier : summary.value("tiers", json::array())) {
        const std::string base = "tiers." + tier.value("name", "?") + ".";
        out.emplace_back(base + "plugin", tier.value("plugin", "?"));
        out.emplace_back(base + "version", tier.value("version", "?"));
        if (tier.contains("options")) {
            flattenText(tier["options"], base + "options", out);
        }
    }
    return out;
}

} // namespace mlps::core
