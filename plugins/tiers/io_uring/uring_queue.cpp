#include "uring_queue.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <new>
#include <unistd.h>

#include "file_io.hpp" // posix::statusFromErrno: the same errno mapping as posix-nvme
#include "uring_ring.hpp"

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

} // namespace

UringQueue::UringQueue(UringTier &tier, uint32_t depth)
    : tier_(tier), settings_(tier.settings()), depth_(depth), ops_(depth), done_(depth) {
    initRing(ring_, settings_);
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

void UringQueue::complete(const mlps_io &io,
                          mlps_status status,
                          int sysErrno,
                          uint64_t bytes) noexcept {
    done_[(doneHead_ + doneCount_) % depth_] =
        mlps_completion{io.user_data, status, sysErrno, status == MLPS_OK ? bytes : 0};
    ++doneCount_;
}

void UringQueue::start(const mlps_io &io) noexcept {
    ++outstanding_;
    const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
    if (io.opcode == MLPS_IO_SYNC && (io.key == nullptr || io.key_len == 0)) {
        int err = 0;
        complete(io, tier_.syncAll(err), err, 0); // syncfs has no io_uring opcode
        return;
    }
    if (io.key == nullptr || io.key_len == 0 ||
        (moves && ((io.buf == nullptr && io.length != 0) || io.offset > UINT64_MAX - io.length))) {
        complete(io, MLPS_E_INVALID, 0, 0);
        return;
    }
    if (moves && settings_.direct &&
        ((reinterpret_cast<uintptr_t>(io.buf) | io.offset | io.length) %
         UringTier::kDirectAlignment) != 0) {
        complete(io, MLPS_E_INVALID, EINVAL, 0); // O_DIRECT would refuse it anyway
        return;
    }
    const std::string_view key(io.key, io.key_len);
    Target target;
    int err = 0;
    mlps_status status = MLPS_OK;
    try {
        switch (io.opcode) {
        case MLPS_IO_WRITE:
            status = tier_.prepareWrite(key, io, target, err);
            break;
        case MLPS_IO_READ:
            status = tier_.prepareRead(key, io, target, err);
            break;
        case MLPS_IO_SYNC:
            status = tier_.prepareSync(key, target, err);
            break;
        case MLPS_IO_DELETE:
            complete(io, tier_.remove(key, err), err, 0);
            return;
        default:
            complete(io, MLPS_E_INVALID, 0, 0);
            return;
        }
    } catch (const std::bad_alloc &) {
        complete(io, MLPS_E_NO_MEMORY, ENOMEM, 0);
        return;
    } catch (...) {
        complete(io, MLPS_E_GENERIC, 0, 0);
        return;
    }
    if (status != MLPS_OK) {
        complete(io, status, err, 0);
        return;
    }
    const uint32_t index = freeOps_.back(); // outstanding_ <= depth_ keeps a slot free
    freeOps_.pop_back();
    ++active_;
    Op &op = ops_[index];
    op.io = io;
    op.target = std::move(target);
    op.phase = io.opcode == MLPS_IO_SYNC ? Phase::Sync : Phase::Data;
    op.issued = 0;
    op.extent = 0;
    op.extentDone = 0;
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
            UringTier::wrote(*op.target.object, op.io.offset + op.io.length);
            if (settings_.syncMode != SyncMode::None) {
                op.phase = Phase::Sync; // the write completes after its fsync
                op.inReady = true;
                ready_.push_back(opIndex);
                return;
            }
        }
    }
    complete(op.io, op.status, op.error, op.io.length);
    if (op.target.ownedFd) {
        ::close(op.target.fd);
    }
    op.target = Target{};
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
    if (c.fsync) {
        const bool full = op.io.opcode == MLPS_IO_WRITE && settings_.syncMode == SyncMode::Fsync;
        io_uring_prep_fsync(sqe, op.target.fd, full ? 0 : IORING_FSYNC_DATASYNC);
    } else {
        auto *buf = static_cast<unsigned char *>(op.io.buf) + (c.offset - op.io.offset) + c.done;
        const auto length = static_cast<unsigned>(c.length - c.done);
        if (op.io.opcode == MLPS_IO_WRITE) {
            io_uring_prep_write(sqe, op.target.fd, buf, length, c.fileOffset + c.done);
        } else {
            io_uring_prep_read(sqe, op.target.fd, buf, length, c.fileOffset + c.done);
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
        c.fsync = op.phase == Phase::Sync;
        if (c.fsync) {
            c.offset = 0;
            c.length = 0;
        } else {
            c.offset = op.io.offset + op.issued;
            c.fileOffset = c.offset;
            c.length = std::min(settings_.chunkSize, op.io.length - op.issued);
            if (!op.target.extents.empty()) { // extents layout: stop at the extent's end
                const Extent &e = op.target.extents[op.extent];
                c.fileOffset = e.offset + op.extentDone;
                c.length = std::min(c.length, e.length - op.extentDone);
            }
        }
        if (!prepare(chunkIndex)) {
            return; // SQ full: the rest goes after the next reap
        }
        freeChunks_.pop_back();
        ++op.inFlight;
        op.issued += c.length;
        if (!c.fsync && !op.target.extents.empty() &&
            (op.extentDone += c.length) == op.target.extents[op.extent].length) {
            ++op.extent;
            op.extentDone = 0;
        }
        if (c.fsync || op.issued == op.io.length) {
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
    if (res < 0) {
        fail(op, -res);
    } else if (!c.fsync && static_cast<uint64_t>(res) < c.length - c.done) {
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

mlps_status UringQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    const uint32_t take = std::min(n, depth_ - outstanding_);
    *accepted = take;
    if (take == 0) {
        return n == 0 ? MLPS_OK : MLPS_BUSY;
    }
    for (uint32_t i = 0; i < take; ++i) {
        start(ios[i]);
    }
    fill();
    flush(); // one io_uring_submit for the whole batch
    return MLPS_OK;
}

mlps_status UringQueue::poll(mlps_completion *out,
                             uint32_t minDone,
                             uint32_t maxDone,
                             uint64_t timeoutNs,
                             uint32_t *nDone) noexcept {
    const uint32_t want = std::min(minDone, maxDone);
    if (reap() != 0) {
        fill();
        flush();
    }
    if (doneCount_ < want && active_ != 0 && timeoutNs != 0) {
        const uint64_t start = nowNs();
        const uint64_t deadline = timeoutNs > UINT64_MAX - start ? UINT64_MAX : start + timeoutNs;
        while (doneCount_ < want && active_ != 0) {
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
    const uint32_t n = std::min(maxDone, doneCount_);
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = done_[doneHead_];
        doneHead_ = (doneHead_ + 1) % depth_;
    }
    doneCount_ -= n;
    outstanding_ -= n;
    *nDone = n;
    return MLPS_OK;
}

} // namespace mlps::uring
