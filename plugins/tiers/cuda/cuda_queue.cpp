#include "cuda_queue.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <sched.h>

namespace mlps::cuda {

namespace {

uint64_t nowNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void sleepNs(uint64_t ns) noexcept {
    timespec ts{static_cast<time_t>(ns / 1'000'000'000ull),
                static_cast<long>(ns % 1'000'000'000ull)};
    nanosleep(&ts, nullptr);
}

// The waiting policy of poll() (see cuda_queue.hpp).
constexpr uint64_t kYieldNs = 20'000;
constexpr uint64_t kMinSleepNs = 10'000;
constexpr uint64_t kMaxSleepNs = 1'000'000;

} // namespace

CudaQueue::CudaQueue(CudaTier &tier, uint32_t depth)
    : tier_(tier), rt_(tier.runtime()), settings_(tier.settings()), depth_(depth),
      streams_(settings_.streams, nullptr), inFlight_(settings_.streams),
      chunks_(settings_.chunksInFlight), ops_(depth), done_(depth) {
    const auto refuse = [&](const char *what, rt::Error err) {
        rt_.getLastError();
        release();
        throw Error("tier '" + tier_.name() + "': cannot open a queue: " + what +
                        " failed: " + rt_.describe(err),
                    err == rt::kErrorMemoryAllocation ? MLPS_E_NO_MEMORY : MLPS_E_IO);
    };
    for (auto &stream : streams_) {
        if (const rt::Error err = rt_.streamCreateWithFlags(&stream, rt::kStreamNonBlocking);
            err != rt::kSuccess) {
            stream = nullptr;
            refuse("cudaStreamCreateWithFlags", err);
        }
    }
    for (auto &chunk : chunks_) {
        if (const rt::Error err = rt_.eventCreateWithFlags(&chunk.event, rt::kEventDisableTiming);
            err != rt::kSuccess) {
            chunk.event = nullptr;
            refuse("cudaEventCreateWithFlags", err);
        }
    }
    freeChunks_.reserve(chunks_.size());
    for (uint32_t i = static_cast<uint32_t>(chunks_.size()); i-- > 0;) {
        freeChunks_.push_back(i);
    }
    freeOps_.reserve(depth);
    for (uint32_t i = depth; i-- > 0;) {
        freeOps_.push_back(i);
    }
}

CudaQueue::~CudaQueue() {
    // close_queue waits for ops in flight, every chunk of them issued and copied: the copies
    // must not touch buffers the caller frees after this returns, and an op cut short would
    // leave its object half written (`plugins check` close-in-flight). Stops when a round
    // makes no progress (a failing device), rather than spin.
    tier_.bindThread();
    for (;;) {
        const size_t readyBefore = ready_.size();
        fill();
        for (rt::Stream stream : streams_) {
            rt_.streamSynchronize(stream);
        }
        const uint32_t retired = reap();
        if ((ready_.empty() && chunksInFlight_ == 0) ||
            (retired == 0 && ready_.size() == readyBefore)) {
            break;
        }
    }
    release();
}

void CudaQueue::release() noexcept {
    for (auto &chunk : chunks_) {
        if (chunk.event != nullptr) {
            rt_.eventDestroy(chunk.event);
            chunk.event = nullptr;
        }
    }
    for (auto &stream : streams_) {
        if (stream != nullptr) {
            rt_.streamDestroy(stream);
            stream = nullptr;
        }
    }
}

void CudaQueue::complete(const mlps_io &io,
                         mlps_status status,
                         int sysErrno,
                         uint64_t bytes) noexcept {
    done_[(doneHead_ + doneCount_) % depth_] =
        mlps_completion{io.user_data, status, sysErrno, status == MLPS_OK ? bytes : 0};
    ++doneCount_;
}

void CudaQueue::start(const mlps_io &io) noexcept {
    ++outstanding_;
    const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
    if (io.key == nullptr || io.key_len == 0) {
        complete(io, io.opcode == MLPS_IO_SYNC ? MLPS_OK : MLPS_E_INVALID, 0, 0);
        return;
    }
    if (moves && ((io.buf == nullptr && io.length != 0) || io.offset > UINT64_MAX - io.length)) {
        complete(io, MLPS_E_INVALID, 0, 0);
        return;
    }
    const std::string_view key(io.key, io.key_len);
    if (io.opcode == MLPS_IO_DELETE) {
        complete(io, tier_.remove(key), 0, 0);
        return;
    }
    if (io.opcode == MLPS_IO_SYNC) { // device memory has nothing to make durable
        complete(io, MLPS_OK, 0, 0);
        return;
    }
    if (!moves) {
        complete(io, MLPS_E_INVALID, 0, 0);
        return;
    }
    const uint32_t index = freeOps_.back(); // outstanding_ <= depth_ keeps a slot free
    Op &op = ops_[index];
    const mlps_status status = io.opcode == MLPS_IO_WRITE ? tier_.prepareWrite(key, io, op.target)
                                                          : tier_.prepareRead(key, io, op.target);
    if (status != MLPS_OK) {
        complete(io, status, 0, 0);
        return;
    }
    freeOps_.pop_back();
    ++active_;
    op.io = io;
    op.issued = 0;
    op.piece = 0;
    op.pieceDone = 0;
    op.inFlight = 0;
    op.status = MLPS_OK;
    op.inReady = io.length != 0;
    if (!op.inReady) {
        finish(index); // nothing to move (a write of 0 bytes only creates the object)
        return;
    }
    ready_.push_back(index);
}

void CudaQueue::fail(Op &op, rt::Error error, const char *what) noexcept {
    if (op.status == MLPS_OK) {
        op.status = MLPS_E_IO;
    }
    if (op.inReady) { // issue none of its remaining chunks (errors are rare: a linear erase)
        ready_.erase(std::find(ready_.begin(), ready_.end(), &op - ops_.data()));
        op.inReady = false;
    }
    if (error != lastLogged_) {
        lastLogged_ = error;
        tier_.host().log(MLPS_LOG_ERROR,
                         "tier '%s': %s failed: %s",
                         tier_.name().c_str(),
                         what,
                         rt_.describe(error).c_str());
    }
}

void CudaQueue::finish(uint32_t opIndex) noexcept {
    Op &op = ops_[opIndex];
    if (op.status == MLPS_OK && op.io.opcode == MLPS_IO_WRITE) {
        CudaTier::wrote(*op.target.object, op.io.offset + op.io.length);
    }
    complete(op.io, op.status, op.status == MLPS_OK ? 0 : EIO, op.io.length);
    op.target.object.reset(); // the last reference of a deleted object frees its extents
    op.target.pieces.clear();
    freeOps_.push_back(opIndex);
    --active_;
}

void CudaQueue::fill() noexcept {
    while (!ready_.empty() && !freeChunks_.empty()) {
        const uint32_t opIndex = ready_.front();
        Op &op = ops_[opIndex];
        const Extent &piece = op.target.pieces[op.piece];
        const uint64_t length = std::min(settings_.chunkSize, piece.length - op.pieceDone);
        unsigned char *device = tier_.pool().at(piece.offset + op.pieceDone);
        unsigned char *host = static_cast<unsigned char *>(op.io.buf) + op.issued;
        const uint32_t s = nextStream_;
        nextStream_ = (nextStream_ + 1) % static_cast<uint32_t>(streams_.size());
        const bool write = op.io.opcode == MLPS_IO_WRITE;
        rt::Error err =
            write ? rt_.memcpyAsync(device, host, length, rt::kMemcpyHostToDevice, streams_[s])
                  : rt_.memcpyAsync(host, device, length, rt::kMemcpyDeviceToHost, streams_[s]);
        if (err != rt::kSuccess) {
            fail(op, err, "cudaMemcpyAsync");
            if (op.inFlight == 0) {
                finish(opIndex);
            }
            continue;
        }
        const uint32_t chunkIndex = freeChunks_.back();
        err = rt_.eventRecord(chunks_[chunkIndex].event, streams_[s]);
        if (err != rt::kSuccess) {
            // The copy is queued but cannot be watched: wait for it, so that the buffer is free
            // when the op completes.
            rt_.streamSynchronize(streams_[s]);
            fail(op, err, "cudaEventRecord");
            if (op.inFlight == 0) {
                finish(opIndex);
            }
            continue;
        }
        freeChunks_.pop_back();
        chunks_[chunkIndex].op = opIndex;
        inFlight_[s].push_back(chunkIndex);
        ++chunksInFlight_;
        ++op.inFlight;
        op.issued += length;
        if ((op.pieceDone += length) == piece.length) {
            ++op.piece;
            op.pieceDone = 0;
        }
        if (op.issued == op.io.length) {
            ready_.pop_front();
            op.inReady = false;
        }
    }
}

void CudaQueue::retire(uint32_t stream) noexcept {
    auto &fifo = inFlight_[stream];
    while (!fifo.empty()) {
        const uint32_t chunkIndex = fifo.front();
        Chunk &chunk = chunks_[chunkIndex];
        const rt::Error err = rt_.eventQuery(chunk.event);
        if (err == rt::kErrorNotReady) {
            return; // the ones behind it on this stream are not done either
        }
        fifo.pop_front();
        freeChunks_.push_back(chunkIndex);
        --chunksInFlight_;
        Op &op = ops_[chunk.op];
        if (err != rt::kSuccess) {
            fail(op,
                 err,
                 op.io.opcode == MLPS_IO_WRITE ? "host-to-device copy" : "device-to-host copy");
        }
        if (--op.inFlight == 0 && !op.inReady) {
            finish(chunk.op);
        }
    }
}

uint32_t CudaQueue::reap() noexcept {
    const uint32_t before = chunksInFlight_;
    for (uint32_t s = 0; s < streams_.size(); ++s) {
        retire(s);
    }
    return before - chunksInFlight_;
}

mlps_status CudaQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    const uint32_t take = std::min(n, depth_ - outstanding_);
    *accepted = take;
    if (take == 0) {
        return n == 0 ? MLPS_OK : MLPS_BUSY;
    }
    tier_.bindThread();
    for (uint32_t i = 0; i < take; ++i) {
        start(ios[i]);
    }
    fill();
    return MLPS_OK;
}

mlps_status CudaQueue::poll(mlps_completion *out,
                            uint32_t minDone,
                            uint32_t maxDone,
                            uint64_t timeoutNs,
                            uint32_t *nDone) noexcept {
    minDone = std::min(minDone, maxDone);
    tier_.bindThread();
    uint32_t n = 0;
    uint64_t waitStartNs = 0;
    for (;;) {
        if (reap() != 0) {
            fill(); // freed events take the chunks that waited for them
        }
        while (n < maxDone && doneCount_ != 0) {
            out[n++] = done_[doneHead_];
            doneHead_ = (doneHead_ + 1) % depth_;
            --doneCount_;
            --outstanding_;
        }
        // Nothing left in flight means nothing more can come: never wait for it.
        if (n >= minDone || active_ == 0 || timeoutNs == 0) {
            break;
        }
        const uint64_t now = nowNs();
        if (waitStartNs == 0) {
            waitStartNs = now;
        }
        const uint64_t waited = now - waitStartNs;
        if (waited >= timeoutNs) {
            break;
        }
        if (waited < kYieldNs) {
            sched_yield();
        } else {
            sleepNs(std::min(timeoutNs - waited, std::clamp(waited / 8, kMinSleepNs, kMaxSleepNs)));
        }
    }
    *nDone = n;
    return MLPS_OK;
}

} // namespace mlps::cuda
