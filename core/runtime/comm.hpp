// The ranks of a run. Built with MPI and launched by mpiexec/srun, the world is every rank of
// the job (mpi_comm.cpp); otherwise it is one rank and every collective returns at once, so a
// plain `mlpsrun run` behaves exactly as without MPI.
//
// Collectives come in two flavours. The host API's barrier/allreduce (called by a benchmark's
// main thread) block until done, but give up when the job is being torn down. The core's own
// exchanges take a GiveUp predicate, polled while waiting, and report whether they completed:
// a rank that died must never hang the others (DESIGN.md §5).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlps::core {

// Polled while a collective waits; returning true abandons the wait.
using GiveUp = std::function<bool()>;

class Comm {
  public:
    virtual ~Comm() = default;
    virtual uint32_t rank() const = 0;
    virtual uint32_t size() const = 0;
    virtual uint32_t localRank() const = 0;
    // True when the world is an MPI job (even of one rank).
    virtual bool isMpi() const { return false; }
    // True when point-to-point messages may be posted and polled from a second thread while
    // the main thread is inside a collective (MPI_THREAD_MULTIPLE).
    virtual bool concurrentMessages() const { return true; }
    // "Open MPI 4.1.4, MPI_THREAD_MULTIPLE", or "" for the world of one.
    virtual std::string describe() const { return {}; }

    // Host API collectives (benchmark's main thread). Give up, leaving `values` as they are,
    // once a stop signal has been seen for a moment (the job is going down).
    virtual void barrier() = 0;
    // op: MLPS_REDUCE_SUM / MIN / MAX.
    virtual void allreduceU64(uint64_t *values, uint32_t n, int op) = 0;

    // The core's collectives: false when giveUp() ended the wait (the world is then broken:
    // no further collective is attempted).
    virtual bool allreduce(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) = 0;
    // In place; only rank 0's values are the result.
    virtual bool reduceToRoot(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) = 0;
    // Rank 0's text reaches every rank.
    virtual bool broadcast(std::string &text, const GiveUp &giveUp) = 0;
    // Every rank's text, by rank, on every rank.
    virtual bool
    allgather(const std::string &mine, std::vector<std::string> &all, const GiveUp &giveUp) = 0;

    // Messages (a separate channel from the collectives; never blocks). Messages from one rank
    // to another arrive in the order posted.
    virtual void post(uint32_t destination, std::string bytes) = 0;
    // One message that has arrived, with its sender.
    virtual std::optional<std::pair<uint32_t, std::string>> poll() = 0;
    // Waits until every posted message has been delivered.
    virtual bool flushPosted(const GiveUp &giveUp) = 0;

    // A collective gave up: the job cannot finish cleanly (MPI_Finalize would hang).
    virtual bool broken() const { return false; }

    // MPI when built with it and launched by an MPI launcher, else the world of one.
    static std::unique_ptr<Comm> createWorld();
    // True when this process was started by mpiexec/srun (an MPI launcher's environment).
    static bool launchedByMpi();
};

// The usual GiveUp: never while the run goes on; `graceNs` after a stop signal (SIGINT, or
// SIGTERM from mpiexec tearing down the job after a rank died). mpiexec sends SIGKILL one
// second after SIGTERM (odls_base_sigkill_timeout), so the default grace leaves rank 0 time
// to write what it has.
uint64_t stopGraceNs();
GiveUp giveUpAfterStop(uint64_t graceNs = stopGraceNs());

// A rank that could not get ready: who, where and why.
struct RankFailure {
    uint32_t rank = 0;
    std::string host;
    int exitCode = 0;
    std::string message;
};

// Every rank passes its exit code (0 = ready) and message; every rank learns the failures of
// all ranks (empty = every rank is ready). A rank that does not answer counts as failed.
std::vector<RankFailure> agree(Comm &comm, int exitCode, const std::string &message);
// "rank 1 (host n2): message" lines, or the message once when every rank said the same.
std::string describeFailures(const std::vector<RankFailure> &failures, uint32_t worldSize);

} // namespace mlps::core
