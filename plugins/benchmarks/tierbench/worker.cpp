#include "worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace mlps::tierbench {

namespace {

constexpr uint64_t kProgressIntervalNs = 250'000'000;
constexpr uint32_t kMaxLoggedProblems = 8;

uint64_t splitmix(uint64_t &state) noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

Worker::Worker(SharedState &shared, uint32_t id, const mlps_tier_ref &tier)
    : shared_(shared), settings_(shared.settings), id_(id),
      pump_(shared.host, shared.tierIndex, tier, settings_.queueDepth, settings_.ioSize),
      slicesPerObject_(settings_.objectSize / settings_.ioSize),
      rng_(shared.seed ^ (uint64_t{shared.rank} << 32) ^
           (uint64_t{id} + 1) * 0xd1b54a32d192ed03ull) {
    slots_.resize(pump_.depth());
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

bool Worker::nextOp(Workload workload, uint32_t slotId, mlps_io &io) {
    Slot &slot = slots_[slotId];
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
    unsigned char *buf = pump_.buffer(slotId);
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
    io = mlps_io{isRead ? uint32_t{MLPS_IO_READ} : uint32_t{MLPS_IO_WRITE},
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

void Worker::logError(const IoPump::Done &done) {
    if (shared_.loggedErrors.fetch_add(1, std::memory_order_relaxed) >= kMaxLoggedProblems) {
        return;
    }
    const mlps_completion &c = done.completion;
    shared_.host.log(MLPS_LOG_WARN,
                     "tier '%s': %s of '%s' at offset %llu (%llu bytes) failed: %s (status %d, "
                     "errno %d: %s)",
                     shared_.tierName.c_str(),
                     ioOpName(done.io.opcode),
                     shared_.keys[slots_[done.slot].object].c_str(),
                     static_cast<unsigned long long>(done.io.offset),
                     static_cast<unsigned long long>(done.io.length),
                     ioStatusName(c.status),
                     c.status,
                     c.sys_errno,
                     c.sys_errno != 0 ? std::strerror(c.sys_errno) : "none");
}

void Worker::complete(const IoPump::Done &done, Workload workload) {
    const Host &host = shared_.host;
    const MetricIds &m = shared_.metrics;
    const bool record = workload == Workload::Measure;
    const mlps_completion &c = done.completion;
    const Slot &slot = slots_[done.slot];
    const bool isRead = done.io.opcode == MLPS_IO_READ;
    Tally &t = tally_;
    if (!done.ok()) {
        ++t.errors;
        logError(done);
    } else if (isRead) {
        ++t.readOps;
        t.readBytes += c.bytes;
        if (record) {
            host.record(m.readLatency, done.latencyNs);
        }
        if (settings_.verify) {
            const uint64_t bad =
                shared_.data.mismatches(done.io.buf, slot.object, done.io.offset, done.io.length);
            t.checked += done.io.length;
            t.mismatched += bad;
            if (bad != 0 && shared_.loggedMismatches.fetch_add(1, std::memory_order_relaxed) <
                                kMaxLoggedProblems) {
                host.log(MLPS_LOG_WARN,
                         "verify: %llu of %llu bytes read from '%s' at offset %llu differ "
                         "from what was written",
                         static_cast<unsigned long long>(bad),
                         static_cast<unsigned long long>(done.io.length),
                         shared_.keys[slot.object].c_str(),
                         static_cast<unsigned long long>(done.io.offset));
            }
        }
    } else {
        ++t.writeOps;
        t.writeBytes += c.bytes;
        if (record) {
            host.record(m.writeLatency, done.latencyNs);
        }
    }
}

void Worker::recordBatch(Workload workload) {
    Tally t = std::exchange(tally_, Tally{});
    shared_.doneBytes.fetch_add(t.readBytes + t.writeBytes, std::memory_order_relaxed);
    if (t.errors != 0) {
        shared_.passErrors.fetch_add(t.errors, std::memory_order_relaxed);
    }
    if (workload != Workload::Measure) {
        return;
    }
    // Counters once per poll, not once per op: the sums are the same.
    const Host &host = shared_.host;
    const MetricIds &m = shared_.metrics;
    const std::pair<mlps_metric_id, uint64_t> counters[] = {{m.readBytes, t.readBytes},
                                                            {m.writeBytes, t.writeBytes},
                                                            {m.readOps, t.readOps},
                                                            {m.writeOps, t.writeOps},
                                                            {m.errors, t.errors},
                                                            {m.verifyChecked, t.checked},
                                                            {m.verifyMismatched, t.mismatched}};
    for (const auto &[id, value] : counters) {
        if (value != 0) {
            host.record(id, value);
        }
    }
}

void Worker::run(Workload workload) {
    // total_bytes is split evenly over the threads, in whole ops (the first threads take the
    // remainder): with total_bytes equal to the object set, every object is read exactly once,
    // however the threads are scheduled.
    const uint64_t totalOps = (settings_.totalBytes + settings_.ioSize - 1) / settings_.ioSize;
    budgetOps_ = totalOps / settings_.threads + (id_ < totalOps % settings_.threads ? 1 : 0);
    issuedOps_ = 0;
    pump_.run([&](uint32_t slot, mlps_io &io) { return nextOp(workload, slot, io); },
              [&](const IoPump::Done &done) { complete(done, workload); },
              [&] { return shared_.host.shouldStop(); },
              [&] {
                  recordBatch(workload);
                  if (id_ != 0) {
                      return;
                  }
                  const uint64_t nowNs = shared_.host.nowNs();
                  if (nowNs - lastProgressNs_ >= kProgressIntervalNs) {
                      lastProgressNs_ = nowNs;
                      shared_.host.progress(shared_.doneBytes.load(std::memory_order_relaxed),
                                            shared_.progressTotal,
                                            shared_.progressText.c_str());
                  }
              });
    recordBatch(workload);
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
    try {
        size_t next = 0;
        pump_.run(
            [&](uint32_t slot, mlps_io &io) {
                if (next == deletes.size()) {
                    return false;
                }
                io = deletes[next++];
                slots_[slot].object = static_cast<uint32_t>(io.user_data);
                return true;
            },
            [&](const IoPump::Done &done) {
                const uint32_t object = slots_[done.slot].object;
                const mlps_completion &c = done.completion;
                if (c.status == MLPS_OK || c.status == MLPS_E_NOT_FOUND) {
                    shared_.touched[object] = 0;
                } else {
                    shared_.host.log(MLPS_LOG_WARN,
                                     "tier '%s': deleting '%s' failed (status %d, errno %d)",
                                     shared_.tierName.c_str(),
                                     shared_.keys[object].c_str(),
                                     c.status,
                                     c.sys_errno);
                }
            });
    } catch (const std::exception &e) {
        shared_.host.log(MLPS_LOG_WARN,
                         "tier '%s': cannot delete tierbench's objects: %s",
                         shared_.tierName.c_str(),
                         e.what());
    }
}

} // namespace mlps::tierbench
