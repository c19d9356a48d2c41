#include "runtime/mpi_merge.hpp"

#include <chrono>
#include <thread>

#include <mlps/host_api.h>

#include "results/run_summary.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

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

} // namespace mlps::core
