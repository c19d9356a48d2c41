#include "runtime/comm.hpp"

#include <cstdlib>
#include <deque>

#include <nlohmann/json.hpp>

#include <mlps/host_api.h>

#include "build_config.hpp"
#include "runtime/clock.hpp"
#include "runtime/signals.hpp"
#include "util/sys_info.hpp"

#if MLPS_HAVE_MPI
#include "runtime/mpi_comm.hpp"
#endif

namespace mlps::core {

namespace {

class SingleRankComm final : public Comm {
  public:
    uint32_t rank() const override { return 0; }
    uint32_t size() const override { return 1; }
    uint32_t localRank() const override { return 0; }
    void barrier() override {}
    void allreduceU64(uint64_t * /*values*/, uint32_t /*n*/, int /*op*/) override {}
    bool allreduce(uint64_t *, uint32_t, int, const GiveUp &) override { return true; }
    bool reduceToRoot(uint64_t *, uint32_t, int, const GiveUp &) override { return true; }
    bool broadcast(std::string &, const GiveUp &) override { return true; }
    bool
    allgather(const std::string &mine, std::vector<std::string> &all, const GiveUp &) override {
        all = {mine};
        return true;
    }
    // A world of one talks only to itself.
    void post(uint32_t /*destination*/, std::string bytes) override {
        inbox_.push_back(std::move(bytes));
    }
    std::optional<std::pair<uint32_t, std::string>> poll() override {
        if (inbox_.empty()) {
            return std::nullopt;
        }
        std::pair<uint32_t, std::string> message{0, std::move(inbox_.front())};
        inbox_.pop_front();
        return message;
    }
    bool flushPosted(const GiveUp &) override { return true; }

  private:
    std::deque<std::string> inbox_;
};

} // namespace

bool Comm::launchedByMpi() {
    // Open MPI's mpiexec, PMI-1/2 launchers (MPICH, Slurm's srun --mpi=pmi2) and PMIx (srun
    // --mpi=pmix, Open MPI 5) each leave one of these in a rank's environment.
    for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
        if (std::getenv(name) != nullptr) {
            return true;
        }
    }
    return false;
}

std::unique_ptr<Comm> Comm::createWorld() {
#if MLPS_HAVE_MPI
    if (launchedByMpi()) {
        return std::make_unique<MpiComm>();
    }
#endif
    return std::make_unique<SingleRankComm>();
}

uint64_t stopGraceNs() {
    // Open MPI's odls_base_sigkill_timeout (seconds between mpiexec's SIGTERM and SIGKILL,
    // default 1) reaches the ranks' environment when set by the user or by `--hosts`; waiting
    // 40% of it leaves the rest for writing summary.json.
    double seconds = 1.0;
    if (const char *value = std::getenv("OMPI_MCA_odls_base_sigkill_timeout")) {
        const double parsed = std::atof(value);
        if (parsed > 0) {
            seconds = parsed;
        }
    }
    return static_cast<uint64_t>(seconds * 0.4 * 1e9);
}

GiveUp giveUpAfterStop(uint64_t graceNs) {
    return [graceNs, seenNs = uint64_t{0}]() mutable {
        if (!stopSignalled()) {
            return false;
        }
        const uint64_t now = monotonicNs();
        if (seenNs == 0) {
            seenNs = now;
        }
        return now - seenNs >= graceNs;
    };
}

std::vector<RankFailure> agree(Comm &comm, int exitCode, const std::string &message) {
    uint64_t worst = static_cast<uint64_t>(exitCode < 0 ? 1 : exitCode);
    if (comm.size() == 1) {
        if (worst == 0) {
            return {};
        }
        return {RankFailure{0, hostName(), exitCode, message}};
    }
    const GiveUp giveUp = giveUpAfterStop();
    if (!comm.allreduce(&worst, 1, MLPS_REDUCE_MAX, giveUp)) {
        return {RankFailure{comm.rank(),
                            hostName(),
                            exitCode != 0 ? exitCode : 1,
                            "the other ranks did not answer (a rank died or the job was stopped)"}};
    }
    if (worst == 0) {
        return {};
    }
    const nlohmann::json mine = {
        {"rank", comm.rank()}, {"host", hostName()}, {"code", exitCode}, {"message", message}};
    std::vector<std::string> all;
    if (!comm.allgather(mine.dump(), all, giveUp)) {
        return {RankFailure{comm.rank(),
                            hostName(),
                            static_cast<int>(worst),
                            "a rank failed to get ready and the others did not answer"}};
    }
    std::vector<RankFailure> failures;
    for (const auto &text : all) {
        const auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() || j.value("code", 0) == 0) {
            continue;
        }
        failures.push_back(RankFailure{
            j.value("rank", 0u), j.value("host", ""), j.value("code", 1), j.value("message", "")});
    }
    return failures;
}

std::string describeFailures(const std::vector<RankFailure> &failures, uint32_t worldSize) {
    if (failures.empty()) {
        return {};
    }
    bool same = failures.size() == worldSize && worldSize > 1;
    for (const auto &f : failures) {
        same = same && f.message == failures.front().message;
    }
    if (same || worldSize == 1) {
        return failures.front().message + (same ? " (on every rank)" : "");
    }
    std::string text;
    for (const auto &f : failures) {
        text += (text.empty() ? "" : "\n  ") + std::string("rank ") + std::to_string(f.rank) +
                " (host " + f.host + "): " + f.message;
    }
    return failures.size() == 1 ? text : "ranks failed to get ready:\n  " + text;
}

} // namespace mlps::core
