#include "runtime/tier_guard.hpp"

#include <cstring>
#include <mutex>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/plugin_call.hpp"
#include "runtime/run_context.hpp"
#include "runtime/signals.hpp"
#include "spec/units.hpp"

namespace mlps::core {

namespace {

// After a second stop signal an op in flight gets this long before it is abandoned: a healthy
// tier completes in milliseconds, and abandoning an op the tier still works on risks its
// buffer being reused under it.
constexpr uint64_t kHurryGraceNs = 1000000000ull;

enum class SlotState : uint8_t { Free, Active, Abandoned };

struct Slot {
    uint64_t userData = 0;
    uint64_t submittedNs = 0;
    uint64_t offset = 0, length = 0;
    uint32_t opcode = 0;
    SlotState state = SlotState::Free;
    char key[64] = {};
};

struct GuardQueue {
    TierGuard *guard = nullptr;
    void *real = nullptr;
    std::vector<Slot> slots;
    std::vector<uint32_t> freeSlots;
    std::vector<mlps_io> ios; // the ops as the plugin sees them (user_data = slot index)
    uint32_t active = 0;
    uint32_t abandoned = 0;

    uint32_t take() {
        if (freeSlots.empty()) {
            slots.emplace_back();
            return static_cast<uint32_t>(slots.size() - 1);
        }
        const uint32_t index = freeSlots.back();
        freeSlots.pop_back();
        return index;
    }
    void release(uint32_t index) {
        slots[index].state = SlotState::Free;
        freeSlots.push_back(index);
    }
};

const char *opName(uint32_t opcode) {
    switch (opcode) {
    case MLPS_IO_WRITE:
        return "WRITE";
    case MLPS_IO_READ:
        return "READ";
    case MLPS_IO_DELETE:
        return "DELETE";
    case MLPS_IO_SYNC:
        return "SYNC";
    default:
        return "op";
    }
}

TierGuard &guardOf(void *self) {
    return *static_cast<TierGuard *>(self);
}

mlps_status guardInfo(void *self, mlps_tier_info *out) noexcept {
    TierGuard &g = guardOf(self);
    PluginCallScope scope(g.label.c_str(), "info");
    return g.tier.plugin->tierOps()->info(g.tier.self, out);
}

mlps_status guardOpenQueue(void *self, uint32_t depth, void **queue, mlps_error *err) noexcept {
    TierGuard &g = guardOf(self);
    void *real = nullptr;
    mlps_status st = MLPS_OK;
    {
        PluginCallScope scope(g.label.c_str(), "open_queue");
        st = g.tier.plugin->tierOps()->open_queue(g.tier.self, depth, &real, err);
    }
    if (st < 0) {
        return st;
    }
    try {
        auto *q = new GuardQueue();
        q->guard = &g;
        q->real = real;
        q->slots.reserve(depth != 0 ? depth : 64);
        *queue = q;
        return MLPS_OK;
    } catch (...) {
        g.tier.plugin->tierOps()->close_queue(g.tier.self, real);
        return MLPS_E_NO_MEMORY;
    }
}

void guardCloseQueue(void *self, void *queue) noexcept {
    TierGuard &g = guardOf(self);
    auto *q = static_cast<GuardQueue *>(queue);
    if (q == nullptr) {
        return;
    }
    if (q->abandoned == 0) {
        PluginCallScope scope(g.label.c_str(), "close_queue");
        g.tier.plugin->tierOps()->close_queue(g.tier.self, q->real);
    } else {
        // close_queue waits for ops in flight, and these never come back: leave the queue to
        // the plugin rather than hang the run on it.
        g.run.logWarning(g.label + ": a queue with " + std::to_string(q->abandoned) +
                         " op(s) that never completed is left open");
    }
    delete q;
}

mlps_status guardSubmit(void *queue, const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
    auto *q = static_cast<GuardQueue *>(queue);
    TierGuard &g = *q->guard;
    if (accepted != nullptr) {
        *accepted = 0;
    }
    if (n == 0 || ios == nullptr) {
        PluginCallScope scope(g.label.c_str(), "submit");
        return g.tier.plugin->tierOps()->submit(q->real, ios, n, accepted);
    }
    if (q->ios.size() < n) {
        q->ios.resize(n);
    }
    const uint64_t now = monotonicNs();
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t index = q->take();
        Slot &slot = q->slots[index];
        slot.userData = ios[i].user_data;
        slot.submittedNs = now;
        slot.offset = ios[i].offset;
        slot.length = ios[i].length;
        slot.opcode = ios[i].opcode;
        slot.state = SlotState::Active;
        const uint32_t keyLen =
            ios[i].key == nullptr ? 0 : std::min<uint32_t>(ios[i].key_len, sizeof slot.key - 1);
        std::memcpy(slot.key, ios[i].key == nullptr ? "" : ios[i].key, keyLen);
        slot.key[keyLen] = '\0';
        q->ios[i] = ios[i];
        q->ios[i].user_data = index;
    }
    uint32_t taken = 0;
    mlps_status st = MLPS_OK;
    {
        PluginCallScope scope(g.label.c_str(), "submit");
        st = g.tier.plugin->tierOps()->submit(q->real, q->ios.data(), n, &taken);
    }
    if (taken > n) {
        g.run.reportFailure(g.label + ": submit accepted " + std::to_string(taken) + " of " +
                            std::to_string(n) + " ops (a tier bug)");
        taken = n;
    }
    for (uint32_t i = taken; i < n; ++i) {
        q->release(static_cast<uint32_t>(q->ios[i].user_data));
    }
    q->active += taken;
    if (accepted != nullptr) {
        *accepted = taken;
    }
    return st;
}

// Hands back ops past their deadline (or, when hurrying, past the short grace) as failed
// completions. Returns how many were written to `out`.
uint32_t expire(GuardQueue &q, mlps_completion *out, uint32_t max, uint64_t now) {
    TierGuard &g = *q.guard;
    const uint64_t timeout = g.run.opTimeoutNs();
    const bool hurry = hurrying();
    const uint64_t limit = hurry ? std::min(timeout, kHurryGraceNs) : timeout;
    uint32_t n = 0;
    for (uint32_t i = 0; i < q.slots.size() && n < max && q.active > 0; ++i) {
        Slot &slot = q.slots[i];
        if (slot.state != SlotState::Active || now - slot.submittedNs < limit) {
            continue;
        }
        slot.state = SlotState::Abandoned;
        --q.active;
        ++q.abandoned;
        g.stuck_.fetch_add(1, std::memory_order_relaxed);
        const bool overdue = now - slot.submittedNs >= timeout;
        out[n++] = {
            slot.userData, overdue ? MLPS_E_TIMEOUT : MLPS_E_STOPPED, overdue ? ETIMEDOUT : 0, 0};
        if (overdue && g.overdueReported_.fetch_add(1) < 3) {
            g.run.reportOverdue(g.label + ": " + opName(slot.opcode) + " of key '" + slot.key +
                                "' (" + formatBytes(double(slot.length)) + " at offset " +
                                std::to_string(slot.offset) + ") did not complete in " +
                                formatDurationNs(double(now - slot.submittedNs)) +
                                " (run.op_timeout " + formatDurationNs(double(timeout)) + ")");
        }
    }
    return n;
}

// The time left before the oldest op in flight is due, for bounding a blocking poll.
uint64_t timeToNextDeadline(const GuardQueue &q, uint64_t now) {
    const uint64_t timeout = hurrying() ? kHurryGraceNs : q.guard->run.opTimeoutNs();
    uint64_t oldest = UINT64_MAX;
    for (const Slot &slot : q.slots) {
        if (slot.state == SlotState::Active && slot.submittedNs < oldest) {
            oldest = slot.submittedNs;
        }
    }
    if (oldest == UINT64_MAX) {
        return UINT64_MAX;
    }
    const uint64_t due = oldest + timeout;
    return due > now ? due - now : 0;
}

mlps_status guardPoll(void *queue,
                      mlps_completion *out,
                      uint32_t minDone,
                      uint32_t maxDone,
                      uint64_t timeoutNs,
                      uint32_t *nDone) noexcept {
    auto *q = static_cast<GuardQueue *>(queue);
    TierGuard &g = *q->guard;
    *nDone = 0;
    const uint64_t now = monotonicNs();
    const uint64_t left = timeToNextDeadline(*q, now);
    if (left == 0 && maxDone > 0) {
        *nDone = expire(*q, out, maxDone, now);
        if (*nDone > 0) {
            return MLPS_OK;
        }
    }
    uint32_t got = 0;
    mlps_status st = MLPS_OK;
    {
        PluginCallScope scope(g.label.c_str(), "poll");
        st = g.tier.plugin->tierOps()->poll(
            q->real, out, minDone, maxDone, std::min(timeoutNs, left), &got);
    }
    if (got > maxDone) {
        g.run.reportFailure(g.label + ": poll returned " + std::to_string(got) +
                            " completions for room for " + std::to_string(maxDone) +
                            " (a tier bug)");
        got = maxDone;
    }
    // Back to the benchmark's user_data; completions of abandoned ops are dropped.
    uint32_t kept = 0;
    for (uint32_t i = 0; i < got; ++i) {
        const uint64_t index = out[i].user_data;
        if (index >= q->slots.size() || q->slots[index].state == SlotState::Free) {
            g.run.reportFailure(g.label + ": a completion for an op the tier was not given "
                                          "(or gave back twice): a tier bug");
            continue;
        }
        Slot &slot = q->slots[index];
        if (slot.state == SlotState::Abandoned) {
            --q->abandoned;
            g.stuck_.fetch_sub(1, std::memory_order_relaxed);
        } else {
            --q->active;
            out[kept] = out[i];
            out[kept].user_data = slot.userData;
            ++kept;
        }
        q->release(static_cast<uint32_t>(index));
    }
    *nDone = kept;
    return st;
}

mlps_status guardBufferAlloc(void *self, uint64_t size, void **buf, mlps_error *err) noexcept {
    TierGuard &g = guardOf(self);
    PluginCallScope scope(g.label.c_str(), "buffer_alloc");
    const mlps_tier_ops *ops = g.tier.plugin->tierOps();
    if (!MLPS_HAS_FIELD(ops, mlps_tier_ops, buffer_alloc) || ops->buffer_alloc == nullptr) {
        return MLPS_E_NOT_SUPPORTED;
    }
    return ops->buffer_alloc(g.tier.self, size, buf, err);
}

void guardBufferFree(void *self, void *buf, uint64_t size) noexcept {
    TierGuard &g = guardOf(self);
    PluginCallScope scope(g.label.c_str(), "buffer_free");
    const mlps_tier_ops *ops = g.tier.plugin->tierOps();
    if (MLPS_HAS_FIELD(ops, mlps_tier_ops, buffer_free) && ops->buffer_free != nullptr) {
        ops->buffer_free(g.tier.self, buf, size);
    }
}

constexpr mlps_tier_ops kGuardOps = {sizeof(mlps_tier_ops),
                                     guardInfo,
                                     guardOpenQueue,
                                     guardCloseQueue,
                                     guardSubmit,
                                     guardPoll,
                                     guardBufferAlloc,
                                     guardBufferFree};

} // namespace

TierGuard::TierGuard(RunContext &runContext, TierInstance &tierInstance, std::string name)
    : run(runContext), tier(tierInstance), label(std::move(name)) {}

const mlps_tier_ops *TierGuard::ops() {
    return &kGuardOps;
}

} // namespace mlps::core
