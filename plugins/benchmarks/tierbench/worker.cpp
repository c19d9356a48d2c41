#include "worker.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace mlps::tierbench {

namespace {

constexpr uint64_t kPollTimeoutNs = 100'000'000; // wake up to look at the stop flag
constexpr uint64_t kProgressIntervalNs = 250'000'000;
constexpr uint32_t kMaxLoggedProblems = 8;

const char *statusName(mlps_status status) {
    switch (status) {
    case MLPS_E_INVALID:
        return "invalid";
    case MLPS_E_NOT_SUPPORTED:
        return "not supported";
    case MLPS_E_NOT_FOUND:
        return "not found";
    case MLPS_E_NO_SPACE:
        return "no space";
    case MLPS_E_IO:
        return "I/O error";
    case MLPS_E_RANGE:
        return "out of range";
    case MLPS_E_NO_MEMORY:
        return "no memory";
    case MLPS_E_STOPPED:
        return "stopped";
    case MLPS_E_TIMEOUT:
        return "timeout";
    default:
        return "error";
    }
}

const char *opName(uint32_t opcode) {
    switch (opcode) {
    case MLPS_IO_WRITE:
        return "write";
    case MLPS_IO_READ:
        return "read";
    case MLPS_IO_DELETE:
        return "delete";
    default:
        return "sync";
    }
}

uint64_t splitmix(uint64_t &state) noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

Worker::Worker(SharedState &shared, uint32_t id, TierQueue queue)
    : shared_(shared), settings_(shared.settings), id_(id), queue_(std::move(queue)),
      slicesPerObject_(settings_.objectSize / settings_.ioSize),
      rng_(shared.seed ^ (uint64_t{shared.rank} << 32) ^
           (uint64_t{id} + 1) * 0xd1b54a32d192ed03ull) {
    const uint32_t depth = settings_.queueDepth;
    buffers_.reserve(depth);
    for (uint32_t i = 0; i < depth; ++i) {
        buffers_.emplace_back(shared_.host, shared_.tierIndex, settings_.ioSize);
    }
    slots_.resize(depth);
    free_.reserve(depth);
    for (uint32_t i = depth; i-- > 0;) {
        free_.push_back(i);
    }
    pending_.reserve(depth);
    batch_.resize(depth);
    completions_.resize(depth);
    for (uint32_t o = id; o < settings_.objects; o += settings_.threads) {
        owned_.push_back(o);
    }
    const double fraction = settings_.mode == Mode::Read    ? 1.0
                            : settings_.mode == Mode::Write ? 0.0
                                                            : settings_.readFraction;
    readThreshold_ = fraction >= 1.0 ? UINT64_MAX : static_cast<uint64_t>(std::ldexp(fraction, 64));
}

uint64_t Worker::random() noexcept {
    return splitmix(rng_);
}

void Worker::position(Workload workload, uint32_t &object, uint64_t &offset) {
    if (workload == Workload::Precondition) { // every slice of every owned object, once
        object = owned_[preconditionIssued_ / slicesPerObject_];
        offset = (preconditionIssued_ % slicesPerObject_) * settings_.ioSize;
        ++preconditionIssued_;
        return;
    }
    if (settings_.pattern == Pattern::Random) {
        object = owned_[random() % owned_.size()];
        offset = (random() % slicesPerObject_) * settings_.ioSize;
        return;
    }
    object = owned_[cursorObject_];
    offset = cursorSlice_ * settings_.ioSize;
    if (++cursorSlice_ == slicesPerObject_) {
        cursorSlice_ = 0;
        cursorObject_ = (cursorObject_ + 1) % owned_.size();
    }
}

bool Worker::nextOp(Workload workload, Slot &slot) {
    bool isRead = false;
    if (workload == Workload::Precondition) {
        if (preconditionIssued_ == owned_.size() * slicesPerObject_) {
            return false;
        }
    } else {
        if (settings_.totalBytes != 0 && issuedOps_ == budgetOps_) {
            return false;
        }
        ++issuedOps_;
        isRead = readThreshold_ == UINT64_MAX || (readThreshold_ != 0 && random() < readThreshold_);
    }
    uint32_t object = 0;
    uint64_t offset = 0;
    position(workload, object, offset);
    const auto slotId = static_cast<uint32_t>(&slot - slots_.data());
    unsigned char *buf = buffers_[slotId].data();
    if (isRead) {
        slot.bufferPhase = kNoContent; // the read overwrites the buffer
    } else {
        const uint64_t phase = offset % DataPattern::kPeriod;
        if (slot.bufferPhase == phase && offset % 8 == 0 && settings_.ioSize % 8 == 0) {
            shared_.data.restamp(buf, object, offset, settings_.ioSize);
        } else {
            shared_.data.fill(buf, object, offset, settings_.ioSize);
            slot.bufferPhase = phase;
        }
        shared_.touched[object] = 1;
    }
    const std::string &key = shared_.keys[object];
    slot.object = object;
    slot.io = mlps_io{isRead ? uint32_t{MLPS_IO_READ} : uint32_t{MLPS_IO_WRITE},
                      0,
                      key.data(),
                      static_cast<uint32_t>(key.size()),
                      0,
                      buf,
                      offset,
                      settings_.ioSize,
                      settings_.objectSize,
                      slotId};
    return true;
}

bool Worker::submitPending() {
    // A synchronous tier performs the whole batch inside submit(): one op per call, so that each
    // op's latency is its own and not that of the ops queued before it.
    const auto n = shared_.tierIsAsync ? static_cast<uint32_t>(pending_.size()) : 1u;
    for (uint32_t i = 0; i < n; ++i) {
        batch_[i] = slots_[pending_[i]].io;
    }
    const uint64_t nowNs = shared_.host.nowNs();
    uint32_t accepted = 0;
    const mlps_status status = queue_.submit(batch_.data(), n, &accepted);
    if (status < 0) {
        throw Error("tier '" + shared_.tierName + "': submit failed with status " +
                        std::to_string(status),
                    status);
    }
    accepted = std::min(accepted, n);
    for (uint32_t i = 0; i < accepted; ++i) {
        slots_[pending_[i]].submitNs = nowNs;
    }
    pending_.erase(pending_.begin(), pending_.begin() + accepted);
    return accepted != 0;
}

void Worker::logError(const Slot &slot, const mlps_completion &c) {
    if (shared_.loggedErrors.fetch_add(1, std::memory_order_relaxed) >= kMaxLoggedProblems) {
        return;
    }
    shared_.host.log(MLPS_LOG_WARN,
                     "tier '%s': %s of '%s' at offset %llu (%llu bytes) failed: %s (status %d, "
                     "errno %d: %s)",
                     shared_.tierName.c_str(),
                     opName(slot.io.opcode),
                     shared_.keys[slot.object].c_str(),
                     static_cast<unsigned long long>(slot.io.offset),
                     static_cast<unsigned long long>(slot.io.length),
                     statusName(c.status),
                     c.status,
                     c.sys_errno,
                     c.sys_errno != 0 ? std::strerror(c.sys_errno) : "none");
}

void Worker::complete(const mlps_completion *done, uint32_t n, Workload workload) {
    const uint64_t nowNs = shared_.host.nowNs();
    const Host &host = shared_.host;
    const MetricIds &m = shared_.metrics;
    const bool record = workload == Workload::Measure;
    uint64_t readBytes = 0, writeBytes = 0, readOps = 0, writeOps = 0, errors = 0;
    uint64_t checked = 0, mismatched = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const mlps_completion &c = done[i];
        Slot &slot = slots_[c.user_data];
        const bool isRead = slot.io.opcode == MLPS_IO_READ;
        if (c.status != MLPS_OK) {
            ++errors;
            logError(slot, c);
        } else if (isRead) {
            ++readOps;
            readBytes += c.bytes;
            if (record) {
                host.record(m.readLatency, nowNs - slot.submitNs);
            }
            if (settings_.verify) {
                const uint64_t bad = shared_.data.mismatches(
                    slot.io.buf, slot.object, slot.io.offset, slot.io.length);
                checked += slot.io.length;
                mismatched += bad;
                if (bad != 0 && shared_.loggedMismatches.fetch_add(1, std::memory_order_relaxed) <
                                    kMaxLoggedProblems) {
                    host.log(MLPS_LOG_WARN,
                             "verify: %llu of %llu bytes read from '%s' at offset %llu differ "
                             "from what was written",
                             static_cast<unsigned long long>(bad),
                             static_cast<unsigned long long>(slot.io.length),
                             shared_.keys[slot.object].c_str(),
                             static_cast<unsigned long long>(slot.io.offset));
                }
            }
        } else {
            ++writeOps;
            writeBytes += c.bytes;
            if (record) {
                host.record(m.writeLatency, nowNs - slot.submitNs);
            }
        }
        free_.push_back(static_cast<uint32_t>(c.user_data));
    }
    shared_.doneBytes.fetch_add(readBytes + writeBytes, std::memory_order_relaxed);
    if (errors != 0) {
        shared_.passErrors.fetch_add(errors, std::memory_order_relaxed);
    }
    if (!record) {
        return;
    }
    // Counters once per batch, not once per op: the sums are the same.
    const std::pair<mlps_metric_id, uint64_t> counters[] = {{m.readBytes, readBytes},
                                                            {m.writeBytes, writeBytes},
                                                            {m.readOps, readOps},
                                                            {m.writeOps, writeOps},
                                                            {m.errors, errors},
                                                            {m.verifyChecked, checked},
                                                            {m.verifyMismatched, mismatched}};
    for (const auto &[id, value] : counters) {
        if (value != 0) {
            host.record(id, value);
        }
    }
}

void Worker::run(Workload workload) {
    const uint32_t depth = settings_.queueDepth;
    // total_bytes is split evenly over the threads, in whole ops (the first threads take the
    // remainder): with total_bytes equal to the object set, every object is read exactly once,
    // however the threads are scheduled.
    const uint64_t totalOps = (settings_.totalBytes + settings_.ioSize - 1) / settings_.ioSize;
    budgetOps_ = totalOps / settings_.threads + (id_ < totalOps % settings_.threads ? 1 : 0);
    issuedOps_ = 0;
    bool stopping = false;  // the host asked to stop: submit nothing more
    bool exhausted = false; // this pass's work is all issued
    for (;;) {
        if (!stopping && shared_.host.shouldStop()) {
            stopping = true;
            free_.insert(free_.end(), pending_.begin(), pending_.end());
            pending_.clear();
        }
        if (!stopping && !exhausted) {
            while (!free_.empty()) {
                const uint32_t slot = free_.back();
                if (!nextOp(workload, slots_[slot])) {
                    exhausted = true;
                    break;
                }
                free_.pop_back();
                pending_.push_back(slot);
            }
        }
        bool accepted = true;
        if (!pending_.empty()) {
            accepted = submitPending();
        }
        const auto inFlight = static_cast<uint32_t>(depth - free_.size() - pending_.size());
        if (inFlight == 0) {
            if (pending_.empty()) {
                if (stopping || exhausted) {
                    break;
                }
            } else if (!accepted) {
                std::this_thread::yield(); // busy with nothing of ours in flight: try again
            }
            continue;
        }
        uint32_t n = 0;
        const mlps_status status = queue_.poll(completions_.data(), 1, depth, kPollTimeoutNs, &n);
        if (status < 0) {
            throw Error("tier '" + shared_.tierName + "': poll failed with status " +
                            std::to_string(status),
                        status);
        }
        complete(completions_.data(), n, workload);
        if (id_ == 0) {
            const uint64_t nowNs = shared_.host.nowNs();
            if (nowNs - lastProgressNs_ >= kProgressIntervalNs) {
                lastProgressNs_ = nowNs;
                shared_.host.progress(shared_.doneBytes.load(std::memory_order_relaxed),
                                      shared_.progressTotal,
                                      shared_.progressText.c_str());
            }
        }
    }
    preconditionIssued_ = 0;
}

void Worker::deleteObjects() noexcept {
    std::vector<mlps_io> deletes;
    for (const uint32_t object : owned_) {
        if (shared_.touched[object] != 0) {
            const std::string &key = shared_.keys[object];
            deletes.push_back(mlps_io{MLPS_IO_DELETE,
                                      0,
                                      key.data(),
                                      static_cast<uint32_t>(key.size()),
                                      0,
                                      nullptr,
                                      0,
                                      0,
                                      0,
                                      object});
        }
    }
    size_t next = 0;
    uint32_t inFlight = 0;
    while (next < deletes.size() || inFlight != 0) {
        if (next < deletes.size()) {
            uint32_t accepted = 0;
            const auto n = static_cast<uint32_t>(
                std::min<size_t>(deletes.size() - next, settings_.queueDepth - inFlight));
            const mlps_status status =
                n != 0 ? queue_.submit(&deletes[next], n, &accepted) : MLPS_OK;
            if (status < 0) {
                shared_.host.log(MLPS_LOG_WARN,
                                 "tier '%s': cannot delete tierbench's objects (status %d)",
                                 shared_.tierName.c_str(),
                                 status);
                return;
            }
            next += accepted;
            inFlight += accepted;
        }
        if (inFlight == 0) {
            std::this_thread::yield();
            continue;
        }
        uint32_t n = 0;
        if (queue_.poll(completions_.data(), 1, settings_.queueDepth, kPollTimeoutNs, &n) < 0) {
            return;
        }
        inFlight -= n;
        for (uint32_t i = 0; i < n; ++i) {
            const mlps_completion &c = completions_[i];
            if (c.status == MLPS_OK || c.status == MLPS_E_NOT_FOUND) {
                shared_.touched[c.user_data] = 0;
            } else {
                shared_.host.log(MLPS_LOG_WARN,
                                 "tier '%s': deleting '%s' failed (status %d, errno %d)",
                                 shared_.tierName.c_str(),
                                 shared_.keys[c.user_data].c_str(),
                                 c.status,
                                 c.sys_errno);
            }
        }
    }
}

} // namespace mlps::tierbench
