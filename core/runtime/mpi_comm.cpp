#include "build_config.hpp"

#if MLPS_HAVE_MPI

#include <chrono>
#include <thread>

#include <mlps/host_api.h>

#include "runtime/clock.hpp"
#include "runtime/mpi_comm.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

constexpr int kMessageTag = 17;

MPI_Op mpiOp(int op) {
    switch (op) {
    case MLPS_REDUCE_MIN:
        return MPI_MIN;
    case MLPS_REDUCE_MAX:
        return MPI_MAX;
    default:
        return MPI_SUM;
    }
}

std::string mpiErrorText(int rc) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    return std::string(text, static_cast<size_t>(length));
}

// Spins (yielding) for a while, then sleeps growing to 200 us. Open MPI progresses a
// non-blocking collective only inside MPI_Test, on every rank, so long sleeps multiply a
// reduction's rounds (a 60 KiB histogram reduce took 60 ms with 1 ms sleeps); but a rank
// waiting long on a slower one should not steal the core the slower one runs on (ranks are
// often oversubscribed on small machines).
class Backoff {
  public:
    void pause() {
        if (++rounds_ < 2000) {
            std::this_thread::yield();
            return;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(sleepUs_));
        sleepUs_ = sleepUs_ < 200 ? sleepUs_ * 2 : 200;
    }

  private:
    unsigned rounds_ = 0;
    unsigned sleepUs_ = 10;
};

} // namespace

MpiComm::MpiComm() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized == 0) {
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &threadLevel_) != MPI_SUCCESS) {
            throw SystemError("MPI_Init_thread failed");
        }
        ownsInit_ = true;
    } else {
        MPI_Query_thread(&threadLevel_);
    }
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rank_ = static_cast<uint32_t>(rank);
    size_ = static_cast<uint32_t>(size);
    // Errors come back as codes: the core names the failure instead of MPI aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &hostComm_);
    MPI_Comm_dup(MPI_COMM_WORLD, &coreComm_);
    MPI_Comm_dup(MPI_COMM_WORLD, &messageComm_);
    // The local rank: this rank's place among the ranks sharing its node's memory.
    MPI_Comm node = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    if (node != MPI_COMM_NULL) {
        int local = 0;
        MPI_Comm_rank(node, &local);
        localRank_ = static_cast<uint32_t>(local);
        MPI_Comm_free(&node);
    }
}

MpiComm::~MpiComm() {
    if (!ownsInit_) {
        return;
    }
    if (broken_) {
        // A rank is gone or unreachable: MPI_Finalize would wait for it forever. Leaving
        // without it makes mpiexec end the job, which is what a broken job should do.
        return;
    }
    {
        std::lock_guard lock(postMutex_);
        for (auto &p : posted_) {
            if (p.request != MPI_REQUEST_NULL) {
                MPI_Cancel(&p.request);
                MPI_Request_free(&p.request);
            }
        }
        posted_.clear();
    }
    MPI_Comm_free(&messageComm_);
    MPI_Comm_free(&coreComm_);
    MPI_Comm_free(&hostComm_);
    MPI_Finalize();
}

std::string MpiComm::describe() const {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::string text(version, static_cast<size_t>(length));
    const auto cut = text.find_first_of(",\n");
    if (cut != std::string::npos) {
        text.resize(cut);
    }
    const char *level = threadLevel_ == MPI_THREAD_MULTIPLE     ? "MPI_THREAD_MULTIPLE"
                        : threadLevel_ == MPI_THREAD_SERIALIZED ? "MPI_THREAD_SERIALIZED"
                        : threadLevel_ == MPI_THREAD_FUNNELED   ? "MPI_THREAD_FUNNELED"
                                                                : "MPI_THREAD_SINGLE";
    return text + ", " + level;
}

void MpiComm::check(int rc, const char *what) {
    if (rc != MPI_SUCCESS) {
        broken_ = true;
        throw SystemError(std::string(what) + ": " + mpiErrorText(rc));
    }
}

bool MpiComm::wait(MPI_Request &request, const GiveUp &giveUp) {
    if (broken_) {
        return false;
    }
    Backoff backoff;
    for (;;) {
        int done = 0;
        const int rc = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            logError("MPI: " + mpiErrorText(rc));
            broken_ = true;
            return false;
        }
        if (done != 0) {
            return true;
        }
        if (giveUp && giveUp()) {
            // The request stays pending: MPI offers no way to cancel a collective. The world
            // is broken from here on and is not finalized.
            broken_ = true;
            return false;
        }
        backoff.pause();
    }
}

void MpiComm::barrier() {
    MPI_Request request = MPI_REQUEST_NULL;
    if (broken_ || MPI_Ibarrier(hostComm_, &request) != MPI_SUCCESS) {
        return;
    }
    wait(request, giveUpAfterStop());
}

void MpiComm::allreduceU64(uint64_t *values, uint32_t n, int op) {
    MPI_Request request = MPI_REQUEST_NULL;
    if (broken_ || MPI_Iallreduce(MPI_IN_PLACE,
                                  values,
                                  static_cast<int>(n),
                                  MPI_UINT64_T,
                                  mpiOp(op),
                                  hostComm_,
                                  &request) != MPI_SUCCESS) {
        return;
    }
    wait(request, giveUpAfterStop());
}

bool MpiComm::allreduce(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) {
    MPI_Request request = MPI_REQUEST_NULL;
    if (broken_) {
        return false;
    }
    check(MPI_Iallreduce(MPI_IN_PLACE,
                         values,
                         static_cast<int>(n),
                         MPI_UINT64_T,
                         mpiOp(op),
                         coreComm_,
                         &request),
          "MPI_Iallreduce");
    return wait(request, giveUp);
}

bool MpiComm::reduceToRoot(uint64_t *values, uint32_t n, int op, const GiveUp &giveUp) {
    MPI_Request request = MPI_REQUEST_NULL;
    if (broken_) {
        return false;
    }
    // MPI_IN_PLACE is valid at the root only; the others send from their buffer.
    check(MPI_Ireduce(rank_ == 0 ? MPI_IN_PLACE : values,
                      rank_ == 0 ? values : nullptr,
                      static_cast<int>(n),
                      MPI_UINT64_T,
                      mpiOp(op),
                      0,
                      coreComm_,
                      &request),
          "MPI_Ireduce");
    return wait(request, giveUp);
}

bool MpiComm::broadcast(std::string &text, const GiveUp &giveUp) {
    if (broken_) {
        return false;
    }
    uint64_t length = text.size();
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Ibcast(&length, 1, MPI_UINT64_T, 0, coreComm_, &request), "MPI_Ibcast");
    if (!wait(request, giveUp)) {
        return false;
    }
    text.resize(length);
    check(MPI_Ibcast(text.data(), static_cast<int>(length), MPI_CHAR, 0, coreComm_, &request),
          "MPI_Ibcast");
    return wait(request, giveUp);
}

bool MpiComm::allgather(const std::string &mine,
                        std::vector<std::string> &all,
                        const GiveUp &giveUp) {
    if (broken_) {
        return false;
    }
    int length = static_cast<int>(mine.size());
    std::vector<int> lengths(size_);
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, coreComm_, &request),
          "MPI_Iallgather");
    if (!wait(request, giveUp)) {
        return false;
    }
    std::vector<int> offsets(size_);
    int total = 0;
    for (uint32_t r = 0; r < size_; ++r) {
        offsets[r] = total;
        total += lengths[r];
    }
    std::string buffer(static_cast<size_t>(total), '\0');
    check(MPI_Iallgatherv(mine.data(),
                          length,
                          MPI_CHAR,
                          buffer.data(),
                          lengths.data(),
                          offsets.data(),
                          MPI_CHAR,
                          coreComm_,
                          &request),
          "MPI_Iallgatherv");
    if (!wait(request, giveUp)) {
        return false;
    }
    all.clear();
    for (uint32_t r = 0; r < size_; ++r) {
        all.push_back(
            buffer.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lengths[r])));
    }
    return true;
}

void MpiComm::reapPosted() {
    for (auto it = posted_.begin(); it != posted_.end();) {
        int done = 0;
        MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
        it = done != 0 ? posted_.erase(it) : std::next(it);
    }
}

void MpiComm::post(uint32_t destination, std::string bytes) {
    std::lock_guard lock(postMutex_);
    if (broken_) {
        return;
    }
    reapPosted();
    // std::list: the buffer must not move while MPI owns it.
    Posted &p = posted_.emplace_back();
    p.bytes = std::move(bytes);
    if (MPI_Isend(p.bytes.data(),
                  static_cast<int>(p.bytes.size()),
                  MPI_CHAR,
                  static_cast<int>(destination),
                  kMessageTag,
                  messageComm_,
                  &p.request) != MPI_SUCCESS) {
        posted_.pop_back();
    }
}

std::optional<std::pair<uint32_t, std::string>> MpiComm::poll() {
    // A matched probe: safe when two threads poll (MPI_Iprobe + MPI_Recv would race).
    int found = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    if (broken_ ||
        MPI_Improbe(MPI_ANY_SOURCE, kMessageTag, messageComm_, &found, &message, &status) !=
            MPI_SUCCESS ||
        found == 0) {
        return std::nullopt;
    }
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string bytes(static_cast<size_t>(count), '\0');
    MPI_Mrecv(bytes.data(), count, MPI_CHAR, &message, MPI_STATUS_IGNORE);
    return std::pair<uint32_t, std::string>{static_cast<uint32_t>(status.MPI_SOURCE),
                                            std::move(bytes)};
}

bool MpiComm::flushPosted(const GiveUp &giveUp) {
    Backoff backoff;
    for (;;) {
        {
            std::lock_guard lock(postMutex_);
            if (broken_) {
                return false;
            }
            reapPosted();
            if (posted_.empty()) {
                return true;
            }
        }
        if (giveUp && giveUp()) {
            broken_ = true;
            return false;
        }
        backoff.pause();
    }
}

} // namespace mlps::core

#endif // MLPS_HAVE_MPI
