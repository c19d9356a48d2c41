// The world of an MPI job (Open MPI, MPICH, Slurm's srun). Only compiled with MLPS_HAVE_MPI.
//
// Thread level: MPI_THREAD_MULTIPLE. The host API's barrier/allreduce run on the benchmark's
// main thread, but the sampler thread exchanges progress and stop messages while the main
// thread is inside the benchmark (and possibly inside one of its collectives), so two threads
// call MPI at once. When the library grants less, messages are disabled during the timed phase
// (no live cluster progress, no stonewall) and everything else still works from the main
// thread.
//
// Three communicators, duplicated from MPI_COMM_WORLD, keep traffic apart: the host API's
// collectives, the core's collectives, and the message channel. Errors return (not abort) so
// the core can report them; waits poll MPI_Test so a GiveUp can end them.
#pragma once

#include <atomic>
#include <list>
#include <mutex>

// The C API only: MPI's deprecated C++ bindings add nothing and warn under -Wextra.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include "runtime/comm.hpp"

namespace mlps::core {

class MpiComm final : public Comm {
  public:
    MpiComm();
    ~MpiComm() override;
    MpiComm(const MpiComm &) = delete;
    MpiComm &operator=(const MpiComm &) = delete;

    uint32_t rank() const override { return rank_; }
    uint32_t size() const override { return size_; }
    uint32_t localRank() const override { return localRank_; }
    bool isMpi() const override { return true; }
    bool concurrentMessages() const override { return threadLevel_ == MPI_THREAD_MULTIPLE; }
    std::string describe() const override;

    void barrier() override;
    void allreduceU64(uint64_t *values, uint32_t n, int op) override;
    bool allreduce(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) override;
    bool reduceToRoot(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) override;
    bool broadcast(std::string &text, const GiveUp &giveUp) override;
    bool allgather(const std::string &mine,
                   std::vector<std::string> &all,
                   const GiveUp &giveUp) override;
    void post(uint32_t destination, std::string bytes) override;
    std::optional<std::pair<uint32_t, std::string>> poll() override;
    bool flushPosted(const GiveUp &giveUp) override;
    bool broken() const override { return broken_.load(); }

  private:
    // Polls `request` until done (true) or until giveUp() (false; the world is then broken).
    bool wait(MPI_Request &request, const GiveUp &giveUp);
    void check(int rc, const char *what);

    struct Posted {
        std::string bytes;
        MPI_Request request = MPI_REQUEST_NULL;
    };
    void reapPosted(); // under postMutex_

    uint32_t rank_ = 0, size_ = 1, localRank_ = 0;
    int threadLevel_ = MPI_THREAD_SINGLE;
    bool ownsInit_ = false;
    std::atomic<bool> broken_{false};      // set by any thread whose wait gave up
    MPI_Comm hostComm_ = MPI_COMM_NULL;    // the host API's collectives
    MPI_Comm coreComm_ = MPI_COMM_NULL;    // the core's collectives
    MPI_Comm messageComm_ = MPI_COMM_NULL; // post/poll
    std::mutex postMutex_;
    std::list<Posted> posted_;
};

} // namespace mlps::core
