#include "posix_queue.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <unistd.h>

#include "file_io.hpp"

namespace mlps::posix {

PosixQueue::PosixQueue(PosixTier &tier, uint32_t depth)
    : StoreQueue(depth), store_(tier.store()), chunkSize_(tier.store().settings().chunkSize),
      ops_(depth), done_(depth) {
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

void PosixQueue::start(const mlps_io &io) noexcept {
    store::Target target;
    int err = 0;
    const mlps_status status = store_.prepare(io, target, err);
    std::lock_guard lock(mutex_);
    if (status != MLPS_OK || target.work == store::Work::Done) {
        done_.push(mlps_completion{io.user_data, status, err, 0});
        return;
    }
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
        if (op.target.work != store::Work::Data) {
            op.pending = 1;
            pending_.push_back(Chunk{slot, {}, true});
        } else {
            op.pending = 0;
            store::ChunkCursor cursor;
            do { // a 0-byte op is one empty chunk: it completes through the workers too
                const store::Piece piece =
                    cursor.peek(io.offset, io.length, op.target.extents, chunkSize_);
                pending_.push_back(Chunk{slot, piece, false});
                ++op.pending;
                cursor.advance(piece, op.target.extents);
            } while (!cursor.finished(io.length));
        }
    } catch (...) {
        op.status = MLPS_E_NO_MEMORY;
        op.error = ENOMEM;
        if (op.pending == 0) {
            --inFlight_;
            done_.push(mlps_completion{io.user_data, MLPS_E_NO_MEMORY, ENOMEM, 0});
            op.target = store::Target{};
            freeOps_.push_back(slot);
        }
    }
    queued_ += op.pending;
}

void PosixQueue::submitted() noexcept {
    // One wake-up per chunk, not all workers per submit: the rest sleep on.
    if (queued_ >= workers_.size()) {
        workReady_.notify_all();
    } else {
        for (size_t i = 0; i < queued_; ++i) {
            workReady_.notify_one();
        }
    }
    queued_ = 0;
}

mlps_status PosixQueue::runWhole(const Op &op, int &err) noexcept {
    switch (op.target.work) {
    case store::Work::SyncAll:
        return store_.syncAll(err);
    case store::Work::Unlink:
        return store_.unlinkRemoved(op.target, err);
    default: // SyncObject: the object's file, or the extents layout's data file
        if (::fdatasync(op.target.fd) != 0) {
            err = errno;
            return statusFromErrno(err);
        }
        return MLPS_OK;
    }
}

void PosixQueue::runChunk(const Chunk &chunk) noexcept {
    Op &op = ops_[chunk.op]; // stable while pending > 0: only this queue's workers touch it
    mlps_status status = MLPS_OK;
    int err = 0;
    const store::Piece &piece = chunk.piece;
    if (chunk.whole) {
        status = runWhole(op, err);
    } else if (piece.length != 0) {
        if (op.io.opcode == MLPS_IO_WRITE) {
            err = pwriteFull(op.target.fd,
                             static_cast<const char *>(op.io.buf) + piece.bufOffset,
                             piece.length,
                             piece.fileOffset);
        } else {
            uint64_t moved = 0;
            err = preadFull(op.target.fd,
                            static_cast<char *>(op.io.buf) + piece.bufOffset,
                            piece.length,
                            piece.fileOffset,
                            &moved);
            if (err == 0 && moved != piece.length) {
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
    op.pending -= chunk.count;
    if (op.pending != 0) {
        return;
    }
    // The last chunk: finish the op outside the lock (a write may fsync).
    lock.unlock();
    if (op.status == MLPS_OK && op.io.opcode == MLPS_IO_WRITE) {
        err = finishWrite(op);
        if (err != 0) {
            op.status = statusFromErrno(err);
            op.error = err;
        }
    }
    const bool moves = op.io.opcode == MLPS_IO_WRITE || op.io.opcode == MLPS_IO_READ;
    const mlps_completion completion{
        op.io.user_data, op.status, op.error, op.status == MLPS_OK && moves ? op.io.length : 0};
    op.target = store::Target{}; // drops the object and any fd opened for this op
    lock.lock();
    done_.push(completion);
    freeOps_.push_back(chunk.op); // reserved capacity: cannot throw
    --inFlight_;
    lock.unlock();
    opDone_.notify_all();
}

int PosixQueue::finishWrite(const Op &op) noexcept {
    const SyncMode mode = store_.settings().syncMode;
    if (mode != SyncMode::None) {
        const int rc = mode == SyncMode::Fsync ? ::fsync(op.target.fd) : ::fdatasync(op.target.fd);
        if (rc != 0) {
            return errno;
        }
    }
    store::FileStore::wrote(*op.target.object, op.io.offset + op.io.length);
    return 0;
}

PosixQueue::Chunk PosixQueue::takeWork() noexcept {
    // Each blocking call costs a sleep and a wake-up (a context switch, an IPI on a VM), so a
    // worker moves as much as its share in one call: alone with a 256 MiB read it issues one
    // pread of 256 MiB, as fio's psync does, not 256 of 1 MiB; with more workers than queued
    // chunks nothing merges and the chunks still run in parallel.
    Chunk chunk = pending_.front();
    pending_.pop_front();
    const size_t share = (pending_.size() + workers_.size()) / workers_.size(); // ceil, with us
    while (!chunk.whole && chunk.count < share && !pending_.empty()) {
        const Chunk &next = pending_.front();
        if (next.op != chunk.op || next.whole ||
            next.piece.fileOffset != chunk.piece.fileOffset + chunk.piece.length ||
            next.piece.bufOffset != chunk.piece.bufOffset + chunk.piece.length) {
            break;
        }
        chunk.piece.length += next.piece.length;
        ++chunk.count;
        pending_.pop_front();
    }
    return chunk;
}

void PosixQueue::work() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        workReady_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) {
            return; // stopping, nothing left
        }
        const Chunk chunk = takeWork();
        lock.unlock();
        runChunk(chunk);
        lock.lock();
    }
}

uint32_t PosixQueue::collect(mlps_completion *out,
                             uint32_t want,
                             uint32_t maxDone,
                             uint64_t timeoutNs) noexcept {
    std::unique_lock lock(mutex_);
    // The caller only waits: it never runs a chunk itself. Tried (2026-11-30): a poll that ran
    // queued chunks before waiting moved kvcache-storage and vs-fio's rows no more than their
    // noise, while it stopped the benchmark seeing other completions for a whole transfer and
    // could leave its thread inside a hung device's pread, out of reach of the op deadlines.
    if (done_.size() < want && timeoutNs != 0) {
        const auto ready = [&] { return done_.size() >= want; };
        // Very long timeouts are "wait until done": avoid overflowing the clock.
        if (timeoutNs >= (uint64_t{1} << 62)) {
            opDone_.wait(lock, ready);
        } else {
            opDone_.wait_for(lock, std::chrono::nanoseconds(timeoutNs), ready);
        }
    }
    return done_.take(out, maxDone);
}

} // namespace mlps::posix
