#include "posix_queue.hpp"

#include <algorithm>
#include <chrono>
#include <unistd.h>

#include "file_io.hpp"

namespace mlps::posix {

PosixQueue::PosixQueue(PosixTier &tier, uint32_t depth)
    : tier_(tier), depth_(depth), chunkSize_(tier.chunkSize()), ops_(depth), done_(depth) {
    freeOps_.reserve(depth);
    for (uint32_t i = depth; i > 0; --i) {
        freeOps_.push_back(i - 1);
    }
    // More workers than ops in flight could never all be busy.
    const uint32_t threads = std::max<uint32_t>(1, std::min(tier.threads(), depth));
    workers_.reserve(threads);
    try {
        for (uint32_t i = 0; i < threads; ++i) {
            workers_.emplace_back([this] { work(); });
        }
    } catch (...) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        workReady_.notify_all();
        for (std::thread &worker : workers_) {
            worker.join();
        }
        throw;
    }
}

PosixQueue::~PosixQueue() {
    std::unique_lock lock(mutex_);
    opDone_.wait(lock, [this] { return inFlight_ == 0; });
    stopping_ = true;
    lock.unlock();
    workReady_.notify_all();
    for (std::thread &worker : workers_) {
        worker.join();
    }
}

void PosixQueue::pushLocked(const mlps_completion &completion) noexcept {
    done_[(doneHead_ + doneCount_) % depth_] = completion;
    ++doneCount_;
}

mlps_status PosixQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    const uint32_t take = std::min(n, depth_ - outstanding_);
    *accepted = take;
    if (take == 0 && n != 0) {
        return MLPS_BUSY;
    }
    size_t queued = 0; // chunks handed to the workers
    for (uint32_t i = 0; i < take; ++i) {
        const mlps_io &io = ios[i];
        ++outstanding_;
        Target target;
        int err = 0;
        const mlps_status status = tier_.prepare(io, target, err);
        std::lock_guard lock(mutex_);
        if (status != MLPS_OK) {
            pushLocked(mlps_completion{io.user_data, status, err, 0});
            continue;
        }
        const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
        // A slot is free: at most depth_ ops are outstanding.
        const uint32_t slot = freeOps_.back();
        freeOps_.pop_back();
        Op &op = ops_[slot];
        op.io = io;
        op.target = std::move(target);
        op.error = 0;
        op.status = MLPS_OK;
        ++inFlight_;
        // A failed push (bad_alloc) leaves the op with the chunks already queued; it still
        // completes, short of bytes, as an I/O error.
        try {
            if (!moves) {
                op.pending = 1;
                pending_.push_back(Chunk{slot, 0, 0, true});
            } else {
                const uint64_t chunks =
                    io.length == 0 ? 1 : (io.length + chunkSize_ - 1) / chunkSize_;
                op.pending = static_cast<uint32_t>(chunks);
                for (uint64_t c = 0; c < chunks; ++c) {
                    const uint64_t offset = c * chunkSize_;
                    pending_.push_back(
                        Chunk{slot, offset, std::min(chunkSize_, io.length - offset), false});
                }
            }
        } catch (...) {
            op.pending = 0;
            for (const Chunk &chunk : pending_) {
                op.pending += chunk.op == slot ? 1 : 0;
            }
            op.status = MLPS_E_NO_MEMORY;
            op.error = ENOMEM;
            if (op.pending == 0) {
                --inFlight_;
                pushLocked(mlps_completion{io.user_data, MLPS_E_NO_MEMORY, ENOMEM, 0});
                op.target = Target{};
                freeOps_.push_back(slot);
            }
        }
        queued += op.pending;
    }
    // One wake-up per chunk, not all workers per submit: the rest sleep on.
    if (queued >= workers_.size()) {
        workReady_.notify_all();
    } else {
        for (size_t i = 0; i < queued; ++i) {
            workReady_.notify_one();
        }
    }
    return MLPS_OK;
}

void PosixQueue::runChunk(const Chunk &chunk) noexcept {
    Op &op = ops_[chunk.op]; // stable while pending > 0: only this queue's workers touch it
    mlps_status status = MLPS_OK;
    int err = 0;
    if (chunk.whole) {
        status = op.io.opcode == MLPS_IO_DELETE ? tier_.unlinkTarget(op.target, err)
                                                : tier_.syncTarget(op.io, op.target, err);
    } else if (chunk.length != 0) {
        const uint64_t offset = op.io.offset + chunk.offset;
        if (op.io.opcode == MLPS_IO_WRITE) {
            err = pwriteFull(op.target.fd,
                             static_cast<const char *>(op.io.buf) + chunk.offset,
                             chunk.length,
                             offset);
        } else {
            uint64_t moved = 0;
            err = preadFull(op.target.fd,
                            static_cast<char *>(op.io.buf) + chunk.offset,
                            chunk.length,
                            offset,
                            &moved);
            if (err == 0 && moved != chunk.length) {
                status = MLPS_E_IO; // the file is shorter than what we wrote: changed behind us
            }
        }
        if (err != 0) {
            status = statusFromErrno(err);
        }
    }
    std::unique_lock lock(mutex_);
    if (status != MLPS_OK && op.status == MLPS_OK) {
        op.status = status;
        op.error = err;
    }
    if (--op.pending != 0) {
        return;
    }
    // The last chunk: finish the op outside the lock (a write may fsync).
    lock.unlock();
    if (op.status == MLPS_OK && op.io.opcode == MLPS_IO_WRITE) {
        err = tier_.finishWrite(op.io, op.target);
        if (err != 0) {
            op.status = statusFromErrno(err);
            op.error = err;
        }
    }
    const bool moves = op.io.opcode == MLPS_IO_WRITE || op.io.opcode == MLPS_IO_READ;
    const mlps_completion completion{
        op.io.user_data, op.status, op.error, op.status == MLPS_OK && moves ? op.io.length : 0};
    op.target = Target{}; // drops the object and any fd opened for this op
    lock.lock();
    pushLocked(completion);
    freeOps_.push_back(chunk.op); // reserved capacity: cannot throw
    --inFlight_;
    lock.unlock();
    opDone_.notify_all();
}

void PosixQueue::work() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        workReady_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) {
            return; // stopping, nothing left
        }
        const Chunk chunk = pending_.front();
        pending_.pop_front();
        lock.unlock();
        runChunk(chunk);
        lock.lock();
    }
}

mlps_status PosixQueue::poll(mlps_completion *out,
                             uint32_t minDone,
                             uint32_t maxDone,
                             uint64_t timeoutNs,
                             uint32_t *nDone) noexcept {
    // Never wait for more than is outstanding (the ABI: no blocking on an empty queue).
    const uint32_t want = std::min({minDone, maxDone, outstanding_});
    std::unique_lock lock(mutex_);
    if (doneCount_ < want && timeoutNs != 0) {
        const auto ready = [&] { return doneCount_ >= want; };
        // Very long timeouts are "wait until done": avoid overflowing the clock.
        if (timeoutNs >= (uint64_t{1} << 62)) {
            opDone_.wait(lock, ready);
        } else {
            opDone_.wait_for(lock, std::chrono::nanoseconds(timeoutNs), ready);
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

} // namespace mlps::posix
