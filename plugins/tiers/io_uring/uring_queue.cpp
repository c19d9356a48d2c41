#include "uring_queue.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <sys/syscall.h>
#include <unistd.h>

#include "file_io.hpp" // posix::statusFromErrno: the errno mapping of the store

namespace mlps::uring {

namespace {

uint64_t nowNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

__kernel_timespec toTimespec(uint64_t ns) noexcept {
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(ns / 1'000'000'000ull);
    ts.tv_nsec = static_cast<long long>(ns % 1'000'000'000ull);
    return ts;
}

// A number for the calling thread, never reused within the process: pthread_t values (and
// thread ids) are reused once a thread exits, and a new thread that looked like the ring's
// owner would be refused by the kernel (EEXIST) for ever.
uint64_t threadToken() noexcept {
    static std::atomic<uint64_t> next{1};
    thread_local const uint64_t token = next.fetch_add(1, std::memory_order_relaxed);
    return token;
}

} // namespace

UringQueue::UringQueue(UringTier &tier, uint32_t depth)
    : StoreQueue(depth), store_(tier.store()), ringSettings_(tier.ring()),
      chunkSize_(tier.store().settings().chunkSize), syncMode_(tier.store().settings().syncMode),
      ops_(depth), done_(depth) {
    setup_ = initRing(ring_, ringSettings_, true);
    // At most one SQE per ring entry in flight: the CQ (twice as large) can never overflow.
    const uint32_t entries = ring_.sq.ring_entries;
    chunks_.resize(entries);
    freeChunks_.reserve(entries);
    for (uint32_t i = entries; i-- > 0;) {
        freeChunks_.push_back(i);
    }
    freeOps_.reserve(depth);
    for (uint32_t i = depth; i-- > 0;) {
        freeOps_.push_back(i);
    }
    retry_.reserve(entries);
}

UringQueue::~UringQueue() {
    // close_queue waits for ops in flight: the kernel must not write into buffers (or read
    // keys) that the caller frees after this returns.
    while (active_ != 0) {
        fill();
        flush();
        io_uring_cqe *cqe = nullptr;
        const int rc = io_uring_wait_cqe(&ring_, &cqe);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
            break; // the ring is broken: nothing more will complete
        }
        reap();
    }
    io_uring_queue_exit(&ring_);
}

void UringQueue::bind() noexcept {
    if (setup_.mode != RingMode::SingleIssuer) {
        return;
    }
    const uint64_t self = threadToken();
    if (!enabled_) {
        // io_uring_enable_rings is declared by liburing 2.3 but not exported: the system call.
        if (::syscall(
                __NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) ==
            0) {
            enabled_ = true;
            owner_ = self;
            return;
        }
        // Not enabled (nothing was ever submitted to it): a Shared ring replaces it.
    } else if (self == owner_ || active_ != 0 || io_uring_sq_ready(&ring_) != 0) {
        // A queue handed to another thread with ops in flight stays on its ring: the kernel
        // lets only the owner submit and wait there (see README, "Rings").
        return;
    }
    // The queue moved to another thread between ops: nothing is in flight, so a fresh ring
    // that any thread may use replaces this one (once; the queue stays Shared).
    io_uring fresh{};
    try {
        setup_ = initRing(fresh, ringSettings_, false);
    } catch (...) {
        return; // no ring to be had: the old one answers with errors, as completions
    }
    io_uring_queue_exit(&ring_);
    ring_ = fresh;
}

void UringQueue::flushTaskWork() noexcept {
    // Without TASKRUN_FLAG a SingleIssuer ring's completions wait for an explicit request;
    // a Shared ring without it posts them on any kernel entry (the next wait).
    const bool due = setup_.taskrunFlag
                         ? (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0
                         : setup_.mode == RingMode::SingleIssuer && active_ != 0;
    if (due) {
        io_uring_get_events(&ring_);
    }
}

void UringQueue::complete(const mlps_io &io,
                          mlps_status status,
                          int sysErrno,
                          uint64_t bytes) noexcept {
    done_.push(mlps_completion{io.user_data, status, sysErrno, status == MLPS_OK ? bytes : 0});
}

void UringQueue::start(const mlps_io &io) noexcept {
    bind(); // before the op counts as active: a queue that changed threads while idle moves
    store::Target target;
    int err = 0;
    mlps_status status = store_.prepare(io, target, err);
    if (status == MLPS_OK && target.work == store::Work::SyncAll) {
        status = store_.syncAll(err); // syncfs has no io_uring opcode
        target.work = store::Work::Done;
    }
    if (status != MLPS_OK || target.work == store::Work::Done) {
        complete(io, status, err, 0);
        return;
    }
    const uint32_t index = freeOps_.back(); // outstanding_ <= depth_ keeps a slot free
    freeOps_.pop_back();
    ++active_;
    Op &op = ops_[index];
    op.io = io;
    op.target = std::move(target);
    op.phase = op.target.work == store::Work::Data     ? Phase::Data
               : op.target.work == store::Work::Unlink ? Phase::Unlink
                                                       : Phase::Sync;
    op.cursor = store::ChunkCursor{};
    op.inFlight = 0;
    op.error = 0;
    op.status = MLPS_OK;
    if (op.phase == Phase::Data && io.length == 0) {
        finish(index); // nothing to move (a write of 0 bytes only creates the object)
        return;
    }
    op.inReady = true;
    ready_.push_back(index);
}

void UringQueue::fail(Op &op, int sysErrno) noexcept {
    if (op.error == 0) {
        op.error = sysErrno;
        op.status = sysErrno == 0 ? MLPS_E_IO : posix::statusFromErrno(sysErrno);
    }
    if (op.inReady) { // issue none of its remaining chunks (errors are rare: a linear erase)
        ready_.erase(std::find(ready_.begin(), ready_.end(), &op - ops_.data()));
        op.inReady = false;
    }
}

void UringQueue::finish(uint32_t opIndex) noexcept {
    Op &op = ops_[opIndex];
    if (op.error == 0 && op.phase == Phase::Data) {
        if (op.io.opcode == MLPS_IO_WRITE) {
            store::FileStore::wrote(*op.target.object, op.io.offset + op.io.length);
            if (syncMode_ != SyncMode::None) {
                op.phase = Phase::Sync; // the write completes after its fsync
                op.inReady = true;
                ready_.push_back(opIndex);
                return;
            }
        }
    }
    const bool moves = op.io.opcode == MLPS_IO_WRITE || op.io.opcode == MLPS_IO_READ;
    complete(op.io, op.status, op.error, moves ? op.io.length : 0);
    op.target = store::Target{}; // closes a descriptor opened for this op alone
    freeOps_.push_back(opIndex);
    --active_;
}

bool UringQueue::prepare(uint32_t chunkIndex) noexcept {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
        return false;
    }
    const Chunk &c = chunks_[chunkIndex];
    const Op &op = ops_[c.op];
    if (c.kind == Phase::Sync) {
        const bool full = op.io.opcode == MLPS_IO_WRITE && syncMode_ == SyncMode::Fsync;
        io_uring_prep_fsync(sqe, op.target.fd, full ? 0 : IORING_FSYNC_DATASYNC);
    } else if (c.kind == Phase::Unlink) {
        io_uring_prep_unlinkat(sqe, AT_FDCWD, op.target.unlinkPath.c_str(), 0);
    } else {
        auto *buf = static_cast<unsigned char *>(op.io.buf) + c.piece.bufOffset + c.done;
        const auto length = static_cast<unsigned>(c.piece.length - c.done);
        const uint64_t offset = c.piece.fileOffset + c.done;
        if (op.io.opcode == MLPS_IO_WRITE) {
            io_uring_prep_write(sqe, op.target.fd, buf, length, offset);
        } else {
            io_uring_prep_read(sqe, op.target.fd, buf, length, offset);
        }
    }
    io_uring_sqe_set_data64(sqe, chunkIndex);
    return true;
}

void UringQueue::fill() noexcept {
    while (!retry_.empty()) {
        if (!prepare(retry_.back())) {
            return;
        }
        retry_.pop_back();
    }
    while (!ready_.empty() && !freeChunks_.empty()) {
        const uint32_t opIndex = ready_.front();
        Op &op = ops_[opIndex];
        const uint32_t chunkIndex = freeChunks_.back();
        Chunk &c = chunks_[chunkIndex];
        c.op = opIndex;
        c.done = 0;
        c.kind = op.phase;
        c.piece = op.phase == Phase::Data
                      ? op.cursor.peek(op.io.offset, op.io.length, op.target.extents, chunkSize_)
                      : store::Piece{};
        if (!prepare(chunkIndex)) {
            return; // SQ full: the rest goes after the next reap
        }
        freeChunks_.pop_back();
        ++op.inFlight;
        if (c.kind == Phase::Data) {
            op.cursor.advance(c.piece, op.target.extents);
        }
        if (c.kind != Phase::Data || op.cursor.finished(op.io.length)) {
            ready_.pop_front();
            op.inReady = false;
        }
    }
}

void UringQueue::onCqe(uint32_t chunkIndex, int res) noexcept {
    Chunk &c = chunks_[chunkIndex];
    Op &op = ops_[c.op];
    if (res == -EAGAIN || res == -EINTR) {
        retry_.push_back(chunkIndex);
        return;
    }
    if (c.kind == Phase::Unlink && (res == -EINVAL || res == -EOPNOTSUPP)) {
        // A kernel without IORING_OP_UNLINKAT (before 5.11): the store unlinks, here in
        // poll(), still off the submitting call.
        int err = 0;
        res = store_.unlinkRemoved(op.target, err) == MLPS_OK ? 0 : -err;
    } else if (c.kind == Phase::Unlink && res == -ENOENT) {
        res = 0; // gone already (a sweep by another tier on the same persistent folder)
    }
    if (res < 0) {
        fail(op, -res);
    } else if (c.kind == Phase::Data && static_cast<uint64_t>(res) < c.piece.length - c.done) {
        if (res == 0) {
            // End of file on a read (the file is shorter than what we wrote: changed behind our
            // back) or a write that moves nothing: never spin on it.
            fail(op, op.io.opcode == MLPS_IO_WRITE ? EIO : 0);
        } else {
            c.done += static_cast<uint64_t>(res); // short transfer: go on with the rest
            if (op.error == 0) {
                retry_.push_back(chunkIndex);
                return;
            }
        }
    }
    freeChunks_.push_back(chunkIndex);
    if (--op.inFlight == 0 && !op.inReady) {
        finish(c.op);
    }
}

uint32_t UringQueue::reap() noexcept {
    uint32_t seen = 0;
    unsigned head = 0;
    io_uring_cqe *cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        onCqe(static_cast<uint32_t>(io_uring_cqe_get_data64(cqe)), cqe->res);
        ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
    return seen;
}

void UringQueue::flush() noexcept {
    if (io_uring_sq_ready(&ring_) != 0) {
        // -EBUSY/-EAGAIN: the kernel is short of resources; the SQEs stay queued and go with
        // the next call.
        io_uring_submit(&ring_);
    }
}

void UringQueue::submitted() noexcept {
    bind();
    fill();
    flush(); // one io_uring_submit for the whole batch
}

uint32_t UringQueue::collect(mlps_completion *out,
                             uint32_t want,
                             uint32_t maxDone,
                             uint64_t timeoutNs) noexcept {
    bind();
    flushTaskWork();
    if (reap() != 0) {
        fill();
        flush();
    }
    if (done_.size() < want && active_ != 0 && timeoutNs != 0) {
        const uint64_t start = nowNs();
        const uint64_t deadline = timeoutNs > UINT64_MAX - start ? UINT64_MAX : start + timeoutNs;
        while (done_.size() < want && active_ != 0) {
            const uint64_t now = nowNs();
            if (now >= deadline) {
                break;
            }
            __kernel_timespec ts = toTimespec(deadline - now);
            io_uring_cqe *cqe = nullptr;
            // Submits what waits and sleeps for a CQE in one system call.
            const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
            if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
                break;
            }
            if (reap() != 0) {
                fill();
                flush();
            }
        }
    }
    return done_.take(out, maxDone);
}

} // namespace mlps::uring
