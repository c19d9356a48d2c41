#include "results/job_figures.hpp"

#include <map>

namespace mlps::core {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

} // namespace

nlohmann::json rankMetricsJson(const std::vector<MetricInfo> &metrics,
                               const MetricsSnapshot &snapshot,
                               double timedSeconds) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto &m : metrics) {
        if (m.id >= snapshot.values.size()) {
            continue;
        }
        const HistogramSnapshot &h = snapshot.values[m.id];
        if (m.kind == MetricKind::Gauge) {
            out[m.name] = {{"value", h.sum}};
        } else if (m.kind == MetricKind::Counter) {
            out[m.name] = {{"total", h.sum},
                           {"per_s", timedSeconds > 0 ? double(h.sum) / timedSeconds : 0.0}};
        } else {
            out[m.name] = {{"count", h.count},
                           {"mean", h.mean()},
                           {"p50", h.percentile(0.50)},
                           {"p99", h.percentile(0.99)},
                           {"max", h.count != 0 ? h.max : 0}};
        }
    }
    return out;
}

nlohmann::json bandwidthJson(const std::vector<MetricInfo> &metrics,
                             const MetricsSnapshot &merged,
                             const std::vector<uint64_t> &firstDoneTotals,
                             const JobWindow &window) {
    nlohmann::json out = nlohmann::json::object();
    const double aggregate = window.aggregateSeconds();
    const double firstDone = window.firstDoneSeconds();
    for (const auto &m : metrics) {
        if (m.kind != MetricKind::Counter || !m.name.ends_with(".bytes") ||
            m.id >= merged.values.size()) {
            continue;
        }
        const uint64_t total = merged.values[m.id].sum;
        const uint64_t early = m.id < firstDoneTotals.size() ? firstDoneTotals[m.id] : 0;
        const double aggregateRate = aggregate > 0 ? double(total) / aggregate / kGiB : 0.0;
        out[m.name.substr(0, m.name.size() - 6)] = {
            {"bytes", total},
            {"aggregate_gib_per_s", aggregateRate},
            {"last_done_gib_per_s", aggregateRate},
            {"first_done_bytes", early},
            {"first_done_gib_per_s", firstDone > 0 ? double(early) / firstDone / kGiB : 0.0},
        };
    }
    return out;
}

nlohmann::json perHostJson(const std::vector<nlohmann::json> &perRank) {
    std::map<std::string, nlohmann::json> hosts;
    std::vector<std::string> order;
    for (const auto &rank : perRank) {
        if (!rank.is_object()) {
            continue;
        }
        const nlohmann::json &inventory = rank.value("host", nlohmann::json::object());
        const std::string name = inventory.value("hostname", "?");
        auto [it, added] = hosts.try_emplace(name);
        nlohmann::json &host = it->second;
        if (added) {
            order.push_back(name);
            host = inventory;
            host.erase("rank");
            host.erase("local_rank");
            host["ranks"] = nlohmann::json::array();
            host["tier_locations"] = nlohmann::json::array();
            host["bytes"] = nlohmann::json::object();
        }
        host["ranks"].push_back(rank.value("rank", 0));
        for (const auto &tier : rank.value("tiers", nlohmann::json::array())) {
            nlohmann::json where = {{"tier", tier.value("name", "")},
                                    {"location", tier.value("location", "")}};
            if (tier.contains("file_system")) {
                where["file_system"] = tier["file_system"];
            }
            bool seen = false;
            for (const auto &known : host["tier_locations"]) {
                seen = seen || (known.value("tier", "") == where.value("tier", "") &&
                                known.value("location", "") == where.value("location", ""));
            }
            if (!seen) {
                host["tier_locations"].push_back(where);
            }
        }
        const nlohmann::json metrics = rank.value("metrics", nlohmann::json::object());
        for (const auto &[name2, value] : metrics.items()) {
            if (name2.ends_with(".bytes") && value.contains("total")) {
                const std::string cls = name2.substr(0, name2.size() - 6);
                host["bytes"][cls] =
                    host["bytes"].value(cls, uint64_t{0}) + value["total"].get<uint64_t>();
            }
        }
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto &name : order) {
        out.push_back(hosts[name]);
    }
    return out;
}

} // namespace mlps::core
