#include "runtime/mpi_control.hpp"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "util/log.hpp"
#include "util/sys_info.hpp"

namespace mlps::core {

JobControl::JobControl(Comm &comm, RunContext &run, bool stonewall)
    : comm_(comm), run_(run), stonewall_(stonewall),
      active_(comm.size() > 1 && comm.concurrentMessages()), totals_(comm.size()),
      done_(comm.size(), false) {
    if (comm.size() > 1 && !comm.concurrentMessages()) {
        logWarn("the MPI library does not allow MPI_THREAD_MULTIPLE: ranks stop on their own "
                "deadlines (no stonewall), and the progress line shows rank 0 only");
    }
}

void JobControl::handle(uint32_t from, const std::string &bytes) {
    const auto message = nlohmann::json::parse(bytes, nullptr, false);
    if (message.is_discarded() || from >= comm_.size()) {
        return;
    }
    const std::string type = message.value("t", "");
    if (type == "progress") {
        totals_[from] = message.value("c", std::vector<uint64_t>{});
    } else if (type == "done") {
        done_[from] = true;
        if (message.contains("c")) {
            totals_[from] = message["c"].get<std::vector<uint64_t>>();
        }
        if (!message.value("ok", true)) {
            const std::string text = "rank " + std::to_string(from) + " (host " +
                                     message.value("host", "?") +
                                     "): " + message.value("error", "failed");
            errors_.push_back(text);
            stopAll(text);
        } else if (stonewall_) {
            stopAll("stonewall: rank " + std::to_string(from) + " finished first");
        }
    } else if (type == "stop") {
        // Not a failure of this rank: the benchmark sees should_stop() and drains.
        if (run_.phase() != MLPS_PHASE_TEARDOWN) {
            logInfo("stopping: " + message.value("why", "asked by rank 0"));
        }
        run_.abort();
    } else if (type == "end") {
        endReceived_ = true;
    }
}

void JobControl::stopAll(const std::string &why) {
    if (stopSent_ || comm_.rank() != 0) {
        return;
    }
    stopSent_ = true;
    const std::string message = nlohmann::json{{"t", "stop"}, {"why", why}}.dump();
    for (uint32_t r = 1; r < comm_.size(); ++r) {
        if (!done_[r]) {
            comm_.post(r, message);
        }
    }
    if (!done_[0]) {
        logInfo("stopping: " + why);
        run_.abort();
    }
}

void JobControl::pumpLocked() {
    while (auto message = comm_.poll()) {
        handle(message->first, message->second);
    }
}

void JobControl::pump() {
    if (!active_) {
        return;
    }
    std::lock_guard lock(mutex_);
    pumpLocked();
}

void JobControl::postProgress(const std::vector<uint64_t> &counterTotals) {
    if (!active_ || comm_.rank() == 0) {
        return;
    }
    std::lock_guard lock(mutex_);
    comm_.post(0, nlohmann::json{{"t", "progress"}, {"c", counterTotals}}.dump());
}

std::vector<uint64_t> JobControl::clusterTotals(const std::vector<uint64_t> &own) {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> sum = own;
    for (uint32_t r = 1; r < totals_.size(); ++r) {
        for (size_t i = 0; i < sum.size() && i < totals_[r].size(); ++i) {
            sum[i] += totals_[r][i];
        }
    }
    return sum;
}

uint32_t JobControl::ranksDone() {
    std::lock_guard lock(mutex_);
    uint32_t n = 0;
    for (bool d : done_) {
        n += d ? 1 : 0;
    }
    return n;
}

std::vector<std::string> JobControl::rankErrors() {
    std::lock_guard lock(mutex_);
    return errors_;
}

std::vector<std::vector<uint64_t>> JobControl::lastTotals() {
    std::lock_guard lock(mutex_);
    return totals_;
}

bool JobControl::finish(bool ok, const std::string &error, std::vector<uint32_t> &missing) {
    missing.clear();
    if (comm_.size() == 1) {
        return true;
    }
    const GiveUp giveUp = giveUpAfterStop();
    const uint32_t me = comm_.rank();
    {
        std::lock_guard lock(mutex_);
        if (me == 0) {
            done_[0] = true;
            if (!ok) {
                errors_.push_back("rank 0 (host " + hostName() + "): " + error);
                stopAll(errors_.back());
            } else if (stonewall_) {
                stopAll("stonewall: rank 0 finished first");
            }
        } else {
            comm_.post(
                0,
                nlohmann::json{{"t", "done"}, {"ok", ok}, {"error", error}, {"host", hostName()}}
                    .dump());
        }
    }
    // Waiting is on the other ranks' benchmarks, which may legitimately take long: no time
    // limit, but a word every 30 s, and an end when the job is being torn down (a signal).
    uint64_t nextNote = monotonicNs() + 30'000'000'000ull;
    auto sleepABit = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            pumpLocked();
            if (me == 0) {
                bool all = true;
                for (bool d : done_) {
                    all = all && d;
                }
                if (all) {
                    const std::string end = nlohmann::json{{"t", "end"}}.dump();
                    for (uint32_t r = 1; r < comm_.size(); ++r) {
                        comm_.post(r, end);
                    }
                    break;
                }
            } else if (endReceived_) {
                break;
            }
        }
        if (giveUp()) {
            std::lock_guard lock(mutex_);
            for (uint32_t r = 0; r < done_.size(); ++r) {
                if (!done_[r] && me == 0) {
                    missing.push_back(r);
                }
            }
            return false;
        }
        if (monotonicNs() >= nextNote) {
            nextNote += 30'000'000'000ull;
            if (me == 0) {
                logInfo("waiting for " + std::to_string(comm_.size() - ranksDone()) +
                        " rank(s) to finish their timed phase");
            }
        }
        sleepABit();
    }
    return comm_.flushPosted(giveUp);
}

} // namespace mlps::core
