#include "worker.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

namespace mlps::kvcache {

namespace {

constexpr uint64_t kPollTimeoutNs = 100'000'000;
constexpr uint64_t kProgressIntervalNs = 250'000'000;
constexpr uint32_t kMaxLoggedProblems = 8;

// user_data is the lane's to set (the op's slot id).
mlps_io makeIo(uint32_t opcode, const Placement &p, void *buf, uint64_t off, uint64_t len) {
    return mlps_io{opcode,
                   0,
                   p.object.data(),
                   static_cast<uint32_t>(p.object.size()),
                   0,
                   buf,
                   off,
                   len,
                   opcode == MLPS_IO_WRITE ? p.size : 0,
                   0};
}

} // namespace

Worker::Worker(Engine &engine, uint32_t id)
    : engine_(engine), settings_(engine.settings()), host_(engine.host()), id_(id) {
    const uint32_t depth = settings_.queueDepth;
    deleteId_ = depth;
    lanes_.reserve(engine_.tiers().size());
    for (const auto &t : engine_.tiers()) {
        lanes_.emplace_back(host_, t.ref, depth, depth + 1);
    }
    const uint64_t chunk = settings_.chunkSize;
    for (uint32_t i = 0; i < depth; ++i) {
        writeBuffers_.emplace_back(host_, engine_.bufferTier(), chunk);
        engine_.data().prime(writeBuffers_.back().data(), chunk);
        moveBuffers_.emplace_back(host_, engine_.bufferTier(), chunk);
    }
    slots_.resize(depth);
    free_.reserve(depth);
}

void Worker::problem(const char *what, const Placement &p, const mlps_completion &c) {
    if (engine_.loggedProblems.fetch_add(1, std::memory_order_relaxed) >= kMaxLoggedProblems) {
        return;
    }
    host_.log(MLPS_LOG_WARN,
              "tier '%s': %s of '%s' failed (status %d, errno %d: %s)",
              engine_.tierNames()[p.tier].c_str(),
              what,
              p.object.c_str(),
              c.status,
              c.sys_errno,
              c.sys_errno != 0 ? std::strerror(c.sys_errno) : "none");
}

void Worker::enqueue(uint32_t tier, uint32_t slot, const mlps_io &io) {
    lanes_[tier].enqueue(slot, io);
    lanes_[tier].flush();
}

void Worker::drain(uint32_t tier, uint32_t minDone, uint64_t timeoutNs) {
    lanes_[tier].poll(minDone, timeoutNs, [&](const IoLane::Done &d) { complete(tier, d); });
    lanes_[tier].flush();
}

// One chunk op of the current stream completed on `tier`: count it, check a read, and send a
// move's chunk on to the destination tier under the same slot.
void Worker::complete(uint32_t tier, const IoLane::Done &done) {
    const uint32_t s = done.id;
    const Slot &slot = slots_[s];
    const mlps_completion &c = done.completion;
    const bool isRead = src_ != nullptr && tier == src_->tier;
    Placement &p = isRead ? *src_ : *dst_;
    if (!done.ok()) {
        ++errors_;
        streamOk_ = false;
        problem(isRead ? "a read" : "a write", p, c);
        free_.push_back(s);
        return;
    }
    const int cls = isRead ? readClass_ : writeClass_;
    host_.record(engine_.metrics().tiers[tier].cls[cls].latency, done.latencyNs);
    tally_.bytes[isRead ? 0 : 1] += c.bytes;
    ++tally_.ops[isRead ? 0 : 1];
    if (isRead) {
        if (settings_.verify) {
            const uint64_t bad = engine_.data().mismatches(
                moveBuffers_[s].data(), p.contentKey, slot.offset, slot.length);
            checked_ += slot.length;
            mismatched_ += bad;
            if (bad != 0 && engine_.loggedProblems.fetch_add(1) < kMaxLoggedProblems) {
                host_.log(MLPS_LOG_WARN,
                          "verify: %llu of %llu bytes of '%s' at offset %llu differ from "
                          "what was written",
                          static_cast<unsigned long long>(bad),
                          static_cast<unsigned long long>(slot.length),
                          p.key.c_str(),
                          static_cast<unsigned long long>(slot.offset));
            }
        }
        if (mode_ == Mode::Move) {
            enqueue(dst_->tier,
                    s,
                    makeIo(MLPS_IO_WRITE, *dst_, moveBuffers_[s].data(), slot.offset, slot.length));
            return;
        }
    }
    free_.push_back(s);
}

Worker::Outcome
Worker::stream(Mode mode, Placement *src, Placement *dst, int readClass, int writeClass) {
    mode_ = mode;
    src_ = src;
    dst_ = dst;
    readClass_ = readClass;
    writeClass_ = writeClass;
    streamOk_ = true;
    tally_ = Tally{};
    free_.clear();
    for (uint32_t i = static_cast<uint32_t>(slots_.size()); i-- > 0;) {
        free_.push_back(i);
    }
    const uint64_t size = (src != nullptr ? src : dst)->size;
    const uint64_t chunk = settings_.chunkSize;
    uint64_t next = 0;
    bool abandoned = false;
    for (;;) {
        if (!abandoned && next < size && engine_.stopping()) {
            abandoned = true; // stop issuing; what is in flight completes
        }
        while (streamOk_ && !abandoned && next < size && !free_.empty()) {
            const uint32_t s = free_.back();
            free_.pop_back();
            Slot &slot = slots_[s];
            slot.offset = next;
            slot.length = std::min(chunk, size - next);
            next += slot.length;
            if (mode == Mode::Write) {
                unsigned char *buf = writeBuffers_[s].data();
                engine_.data().stamp(buf, dst->contentKey, slot.offset, slot.length);
                enqueue(dst->tier, s, makeIo(MLPS_IO_WRITE, *dst, buf, slot.offset, slot.length));
            } else {
                enqueue(
                    src->tier,
                    s,
                    makeIo(MLPS_IO_READ, *src, moveBuffers_[s].data(), slot.offset, slot.length));
            }
        }
        const bool srcBusy = src != nullptr && lanes_[src->tier].busy();
        const bool dstBusy = dst != nullptr && lanes_[dst->tier].busy();
        if (!srcBusy && !dstBusy) {
            break;
        }
        // One side busy: wait on it. Both (a move): look at both without blocking long.
        if (srcBusy) {
            drain(src->tier, dstBusy ? 0 : 1, dstBusy ? 0 : kPollTimeoutNs);
        }
        if (dstBusy) {
            drain(dst->tier, srcBusy ? 0 : 1, srcBusy ? 1'000'000 : kPollTimeoutNs);
        }
    }
    const auto &ids = engine_.metrics();
    if (src != nullptr && tally_.ops[0] != 0) {
        host_.record(ids.tiers[src->tier].cls[readClass].bytes, tally_.bytes[0]);
        host_.record(ids.tiers[src->tier].cls[readClass].ops, tally_.ops[0]);
    }
    if (dst != nullptr && tally_.ops[1] != 0) {
        host_.record(ids.tiers[dst->tier].cls[writeClass].bytes, tally_.bytes[1]);
        host_.record(ids.tiers[dst->tier].cls[writeClass].ops, tally_.ops[1]);
    }
    if (!streamOk_) {
        return Outcome::Failed;
    }
    return abandoned ? Outcome::Abandoned : Outcome::Done;
}

bool Worker::deleteObject(Placement &p) noexcept {
    try {
        engine_.waitNoReaders(p);
        if (!p.exists) {
            return true;
        }
        IoLane &lane = lanes_[p.tier];
        // Between streams nothing is queued; what a failed stream left must not go out now.
        lane.dropPending();
        mlps_completion c{};
        uint64_t latencyNs = 0;
        bool done = false;
        try {
            lane.enqueue(deleteId_, makeIo(MLPS_IO_DELETE, p, nullptr, 0, 0));
            while (!done) {
                if (!lane.flush() && lane.inFlight() == 0) {
                    std::this_thread::yield(); // busy with nothing of ours in flight: retry
                    continue;
                }
                // Chunks a failed stream left in flight complete here too: not ours to count.
                lane.poll(1, kPollTimeoutNs, [&](const IoLane::Done &d) {
                    if (d.id == deleteId_) {
                        c = d.completion;
                        latencyNs = d.latencyNs;
                        done = true;
                    }
                });
            }
        } catch (const Error &) { // a broken tier: submit or poll failed
            ++errors_;
            return false;
        }
        const auto &ids = engine_.metrics().tiers[p.tier].cls[kClassDelete];
        host_.record(ids.latency, latencyNs);
        host_.record(ids.ops, 1);
        engine_.unregisterObject(p);
        if (c.status != MLPS_OK && c.status != MLPS_E_NOT_FOUND) {
            ++errors_;
            problem("a delete", p, c);
            return false;
        }
        return true;
    } catch (...) {
        return false;
    }
}

void Worker::deleteObjects(const std::vector<PlacementPtr> &placements) noexcept {
    for (const auto &p : placements) {
        deleteObject(*p);
    }
    if (errors_ != 0) {
        host_.record(engine_.metrics().errors, errors_);
        errors_ = 0;
    }
}

void Worker::abandon(const Step &step) {
    engine_.abandonedSteps.fetch_add(1, std::memory_order_relaxed);
    switch (step.kind) {
    case StepKind::Read:
        engine_.endRead(*step.target);
        break;
    case StepKind::Write:
        engine_.finishWrite(*step.target, false);
        break;
    case StepKind::Move:
        engine_.finishWrite(*step.dest, false);
        if (step.phase == OpPhase::Promote) {
            engine_.endRead(*step.target);
        }
        engine_.removalDone(step.target->tier, step.removalId);
        break;
    case StepKind::Delete:
        // The object is swept when the pass ends.
        engine_.removalDone(step.target->tier, step.removalId);
        break;
    }
}

bool Worker::runStep(const Step &step) {
    const MetricIds &m = engine_.metrics();
    Placement &t = *step.target;
    switch (step.kind) {
    case StepKind::Read: {
        if (!engine_.waitWritten(t)) {
            engine_.endRead(t);
            return !engine_.stopping();
        }
        const uint64_t start = host_.nowNs();
        const Outcome o = stream(Mode::Read, &t, nullptr, kClassRead, kClassRead);
        if (o == Outcome::Done) {
            host_.record(m.tiers[t.tier].readEntryLatency, host_.nowNs() - start);
        }
        engine_.endRead(t);
        return o != Outcome::Abandoned;
    }
    case StepKind::Write: {
        engine_.waitRemovals(t.tier, step.waitRemovals);
        engine_.registerObject(step.target);
        const uint64_t start = host_.nowNs();
        const Outcome o = stream(Mode::Write, nullptr, &t, kClassWrite, kClassWrite);
        engine_.finishWrite(t, o == Outcome::Done);
        if (o == Outcome::Done) {
            host_.record(m.tiers[t.tier].writeEntryLatency, host_.nowNs() - start);
            host_.record(m.entrySize, t.size);
        }
        return o != Outcome::Abandoned;
    }
    case StepKind::Move: {
        Placement &d = *step.dest;
        const bool promote = step.phase == OpPhase::Promote;
        engine_.waitRemovals(d.tier, step.waitRemovals);
        engine_.registerObject(step.dest);
        const uint64_t start = host_.nowNs();
        Outcome o = Outcome::Failed;
        if (engine_.waitWritten(t)) {
            o = stream(Mode::Move,
                       &t,
                       &d,
                       promote ? kClassRead : kClassDemoteRead,
                       promote ? kClassPromoteWrite : kClassDemoteWrite);
        }
        engine_.finishWrite(d, o == Outcome::Done);
        if (o == Outcome::Done) {
            // A whole-entry write into the slower tier, like a new entry's.
            host_.record(m.tiers[d.tier].writeEntryLatency, host_.nowNs() - start);
        }
        if (promote) {
            if (o == Outcome::Done) {
                host_.record(m.tiers[t.tier].readEntryLatency, host_.nowNs() - start);
            }
            engine_.endRead(t);
        }
        if (o == Outcome::Abandoned) {
            engine_.removalDone(t.tier, step.removalId);
            return false; // the source stays (the entry goes back there when the pass ends)
        }
        if (o == Outcome::Done) { // only moves that completed count
            host_.record(promote ? m.promotions : m.demotions, 1);
            if (!promote) {
                host_.record(m.tiers[d.tier].demoteEntries, 1);
            }
        }
        deleteObject(t);
        engine_.removalDone(t.tier, step.removalId);
        return true;
    }
    case StepKind::Delete:
        engine_.waitWritten(t);
        if (engine_.stopping()) {
            engine_.removalDone(t.tier, step.removalId);
            return false;
        }
        deleteObject(t);
        engine_.removalDone(t.tier, step.removalId);
        host_.record(m.evictions, 1);
        return true;
    }
    return true;
}

void Worker::execute(Job &job) {
    const auto &steps = job.plan.steps;
    const bool limited = settings_.maxConcurrentAllocs != 0;
    size_t ticket = 0;
    bool holding = false;
    bool complete = true;
    const uint64_t ioStart = host_.nowNs();
    size_t i = 0;
    try {
        for (; i < steps.size(); ++i) {
            const Step &step = steps[i];
            if (step.allocBegin && limited) {
                engine_.enterAllocation(job.tickets[ticket++]);
                holding = true;
            }
            if (!complete || engine_.stopping()) {
                complete = false;
                abandon(step);
            } else if (!runStep(step)) {
                complete = false;
            }
            if (step.allocEnd && holding) {
                engine_.leaveAllocation();
                holding = false;
            }
        }
    } catch (...) {
        // Release everything this plan promised so that no other worker waits forever.
        engine_.fail();
        for (++i; i < steps.size(); ++i) {
            abandon(steps[i]);
        }
        if (holding) {
            engine_.leaveAllocation();
        }
        throw;
    }
    const uint64_t ioDone = host_.nowNs();
    if (errors_ != 0 || checked_ != 0) {
        const MetricIds &m = engine_.metrics();
        if (errors_ != 0) {
            host_.record(m.errors, errors_);
        }
        host_.record(m.verifyChecked, checked_);
        if (mismatched_ != 0) {
            host_.record(m.verifyMismatched, mismatched_);
        }
        errors_ = checked_ = mismatched_ = 0;
    }
    if (complete && engine_.recordSamples()) {
        recordRequest(job, ioStart, ioDone);
    }
    engine_.jobDone(job, ioDone);
}

void Worker::recordRequest(const Job &job, uint64_t ioStartNs, uint64_t ioDoneNs) {
    const MetricIds &m = engine_.metrics();
    const Request &r = job.request;
    const PlanStats &st = job.stats;
    const uint64_t generationNs = uint64_t{r.generation} * settings_.tokenTimeNs;
    const uint64_t e2e = ioDoneNs + generationNs - std::min(r.arrivalNs, ioDoneNs);
    host_.record(m.requests, 1);
    host_.record(m.requestLatency, e2e);
    host_.record(m.storageLatency, ioDoneNs - ioStartNs);
    host_.record(m.queueWait, r.dispatchNs - std::min(r.arrivalNs, r.dispatchNs));
    if (generationNs != 0) {
        host_.record(m.generationLatency, generationNs);
    }
    host_.record(m.tokensGenerated, r.generation);
    host_.record(m.tokensContext, r.context);
    recordPlanStats(host_, m, st);
    recordFeatureStats(host_, engine_.featureMetrics(), st);
    engine_.autoscaleObserve(job, e2e, ioDoneNs);
    const int q = static_cast<int>(r.qos);
    const QosClass &qos = settings_.qos[q];
    host_.record(m.qosOps[q], 1);
    host_.record(m.qosLatency[q], e2e);
    if (static_cast<double>(e2e) > qos.targetP95Ms * 1e6) {
        host_.record(m.qosOverP95[q], 1);
    }
    if (static_cast<double>(e2e) > qos.targetP99Ms * 1e6) {
        host_.record(m.qosOverP99[q], 1);
    }
    engine_.requestsDone.fetch_add(1, std::memory_order_relaxed);
}

void Worker::run() {
    bool more = engine_.nextJob(job_);
    while (more) {
        execute(job_);
        if (id_ == 0) {
            const uint64_t now = host_.nowNs();
            if (now - lastProgressNs_ >= kProgressIntervalNs) {
                lastProgressNs_ = now;
                engine_.progress();
            }
        }
        more = engine_.takeParked(job_) || engine_.nextJob(job_);
    }
}

} // namespace mlps::kvcache
