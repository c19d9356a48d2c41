#include "runtime/mpi_merge.hpp"

#include <chrono>
#include <map>
#include <thread>

#include <mlps/host_api.h>

#include "runtime/run_summary.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

uint64_t layoutHash(const std::vector<MetricInfo> &metrics) {
    std::string text;
    for (const auto &m : metrics) {
        text += m.name + "|" + std::to_string(static_cast<int>(m.kind)) + "|" + m.unit + ";";
    }
    return std::stoull(specHash(text), nullptr, 16);
}

bool isHistogram(const MetricInfo &m) {
    return m.kind == MetricKind::Histogram;
}

} // namespace

bool agreeWindow(Comm &comm,
                 uint64_t startNs,
                 uint64_t endNs,
                 const std::vector<MetricInfo> &metrics,
                 JobWindow &window) {
    const uint64_t hash = layoutHash(metrics);
    uint64_t low[4] = {startNs, endNs, metrics.size(), hash};
    uint64_t high[3] = {endNs, metrics.size(), hash};
    const GiveUp giveUp = giveUpAfterStop();
    if (!comm.allreduce(low, 4, MLPS_REDUCE_MIN, giveUp) ||
        !comm.allreduce(high, 3, MLPS_REDUCE_MAX, giveUp)) {
        return false;
    }
    window.earliestStartNs = low[0];
    window.firstEndNs = low[1];
    window.latestEndNs = high[0];
    if (low[2] != high[1] || low[3] != high[2]) {
        throw RunError("the ranks registered different metrics (a benchmark must register the "
                       "same names in the same order on every rank): cannot merge them");
    }
    return true;
}

bool reduceMetrics(Comm &comm, const std::vector<MetricInfo> &metrics, MetricsSnapshot &snapshot) {
    if (comm.size() == 1) {
        return true;
    }
    snapshot.values.resize(metrics.size());
    // One array per operation: SUM (buckets, count, sum), MIN (min), MAX (max, time).
    std::vector<uint64_t> sums;
    std::vector<uint64_t> mins;
    std::vector<uint64_t> maxes;
    for (size_t i = 0; i < metrics.size(); ++i) {
        const HistogramSnapshot &h = snapshot.values[i];
        if (isHistogram(metrics[i])) {
            sums.insert(sums.end(), h.counts.begin(), h.counts.end());
        }
        sums.push_back(h.count);
        sums.push_back(h.sum);
        mins.push_back(h.min);
        maxes.push_back(h.max);
    }
    maxes.push_back(snapshot.timeNs);
    const GiveUp giveUp = giveUpAfterStop();
    if (!comm.reduceToRoot(sums.data(), uint32_t(sums.size()), MLPS_REDUCE_SUM, giveUp) ||
        !comm.reduceToRoot(mins.data(), uint32_t(mins.size()), MLPS_REDUCE_MIN, giveUp) ||
        !comm.reduceToRoot(maxes.data(), uint32_t(maxes.size()), MLPS_REDUCE_MAX, giveUp)) {
        return false;
    }
    if (comm.rank() != 0) {
        return true;
    }
    size_t at = 0;
    for (size_t i = 0; i < metrics.size(); ++i) {
        HistogramSnapshot &h = snapshot.values[i];
        if (isHistogram(metrics[i])) {
            std::copy(sums.begin() + long(at),
                      sums.begin() + long(at + Histogram::kBuckets),
                      h.counts.begin());
            at += Histogram::kBuckets;
        }
        h.count = sums[at++];
        h.sum = sums[at++];
        h.min = mins[i];
        h.max = maxes[i];
    }
    snapshot.timeNs = maxes.back();
    return true;
}

bool gatherRankReports(Comm &comm, const nlohmann::json &mine, std::vector<nlohmann::json> &all) {
    const GiveUp giveUp = giveUpAfterStop();
    nlohmann::json message = mine;
    message["t"] = "rank";
    if (comm.rank() != 0) {
        comm.post(0, message.dump());
        return comm.flushPosted(giveUp);
    }
    all.assign(comm.size(), nullptr);
    all[0] = mine;
    uint32_t missing = comm.size() - 1;
    while (missing > 0) {
        if (auto got = comm.poll()) {
            auto parsed = nlohmann::json::parse(got->second, nullptr, false);
            if (!parsed.is_discarded() && parsed.value("t", "") == "rank" &&
                got->first < all.size() && all[got->first].is_null()) {
                parsed.erase("t");
                all[got->first] = std::move(parsed);
                --missing;
            }
            continue;
        }
        if (giveUp()) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}

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
