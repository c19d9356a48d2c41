// The queue mechanics under every benchmark's I/O: one tier queue of `depth`, ops named by a
// caller's id (carried in user_data), what the tier did not accept (BUSY) kept in order and
// resubmitted, one op per submit on a synchronous tier, completions polled and each op timed
// from its acceptance to its completion, a failed submit or poll thrown as mlps::Error naming
// the tier. Header-only, part of the SDK.
//
// A lane owns no buffers and no slots: the ids are the caller's (each < `capacity`, none in use
// twice at once), and so is everything an op points at until its completion has been handed
// back. That is what lets one op slot cross queues: kvcache moves an entry chunk by chunk, a
// READ on tier A's lane and then a WRITE of the same buffer, under the same id, on tier B's.
// A benchmark whose ops each stay on one queue wants <mlps/io_pump.hpp> (slots, buffers and the
// run loop on top of one lane) instead.
//
//   mlps::IoLane lane(host, host.tier(i), depth, slots);
//   lane.enqueue(slot, io);                        // queued; flush() hands it to the tier
//   lane.flush();                                  // false: the tier took none (BUSY)
//   lane.poll(1, timeoutNs, [&](const mlps::IoLane::Done &d) { ...d.id, d.latencyNs... });
//
// One lane is used by one thread (a tier queue is).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <mlps/plugin.hpp>

namespace mlps {

class IoLane {
  public:
    // A completed op, as handed to poll's onDone.
    struct Done {
        uint32_t id;
        const mlps_completion &completion;
        uint64_t latencyNs; // accepted by the tier -> seen completed by poll
        bool ok() const noexcept { return completion.status == MLPS_OK; }
    };

    // Opens a queue of `depth` (0: the tier's default) on `tier`, for ops with ids below
    // `capacity` (0: depth). Throws mlps::Error.
    IoLane(const Host &host, const mlps_tier_ref &tier, uint32_t depth, uint32_t capacity)
        : host_(host), tierName_(tier.name != nullptr ? tier.name : ""),
          queue_(Host::openQueue(tier, depth)), depth_(depth == 0 ? 1 : depth) {
        // A synchronous tier performs a whole batch inside submit(): one op per call, so that
        // each op's latency is its own and not that of the ops queued before it.
        async_ = (Host::tierInfo(tier).caps & MLPS_TIER_CAP_ASYNC) != 0;
        const uint32_t ids = capacity == 0 ? depth_ : capacity;
        acceptedNs_.resize(ids);
        pending_.reserve(ids);
        completions_.resize(depth_);
    }

    uint32_t depth() const noexcept { return depth_; }
    uint32_t capacity() const noexcept { return static_cast<uint32_t>(acceptedNs_.size()); }
    const std::string &tierName() const noexcept { return tierName_; }
    bool tierIsAsync() const noexcept { return async_; }

    // Ops accepted by the tier and not yet polled.
    uint32_t inFlight() const noexcept { return inFlight_; }
    // Ops enqueued and not yet accepted.
    bool hasPending() const noexcept { return !pending_.empty(); }
    // Anything of ours the tier still has to do or hand back.
    bool busy() const noexcept { return inFlight_ != 0 || !pending_.empty(); }

    // Queues `io` under `id` (user_data := id); flush() hands it to the tier. Throws when id is
    // not below capacity().
    void enqueue(uint32_t id, const mlps_io &io) {
        if (id >= acceptedNs_.size()) {
            fail("op id " + std::to_string(id) + " out of range (capacity " +
                     std::to_string(acceptedNs_.size()) + ")",
                 MLPS_E_INVALID);
        }
        pending_.push_back(io);
        pending_.back().user_data = id;
    }

    // Forgets the ops not yet accepted (a stop), in the order they were enqueued, handing each
    // id to onDropped(id).
    template <class OnDropped>
    void dropPending(OnDropped &&onDropped) {
        for (const mlps_io &io : pending_) {
            onDropped(static_cast<uint32_t>(io.user_data));
        }
        pending_.clear();
    }
    void dropPending() noexcept { pending_.clear(); }

    // Submits queued ops, oldest first; false when the tier accepted none of them (BUSY). What
    // it did not accept stays queued, in order. Throws on a failed submit (a broken tier, not an
    // I/O error: those are completions).
    bool flush() {
        if (pending_.empty()) {
            return true;
        }
        const auto n = async_ ? static_cast<uint32_t>(pending_.size()) : 1u;
        const uint64_t nowNs = host_.nowNs();
        uint32_t accepted = 0;
        const mlps_status status = queue_.submit(pending_.data(), n, &accepted);
        if (status < 0) {
            fail("submit failed with status " + std::to_string(status), status);
        }
        accepted = std::min(accepted, n);
        for (uint32_t i = 0; i < accepted; ++i) {
            acceptedNs_[pending_[i].user_data] = nowNs;
        }
        pending_.erase(pending_.begin(), pending_.begin() + accepted);
        inFlight_ += accepted;
        return accepted != 0;
    }

    // Waits up to timeoutNs for at least minDone completions and hands each to onDone(Done);
    // returns how many completed. The lane is done with the op before onDone runs, so onDone
    // may enqueue its id again, here or on another lane. Throws on a failed poll or on a
    // completion whose user_data is no id of ours.
    template <class OnDone>
    uint32_t poll(uint32_t minDone, uint64_t timeoutNs, OnDone &&onDone) {
        uint32_t n = 0;
        const mlps_status status = queue_.poll(completions_.data(), minDone, depth_, timeoutNs, &n);
        if (status < 0) {
            fail("poll failed with status " + std::to_string(status), status);
        }
        n = std::min(n, depth_);
        const uint64_t nowNs = host_.nowNs();
        for (uint32_t i = 0; i < n; ++i) {
            const mlps_completion &c = completions_[i];
            if (c.user_data >= acceptedNs_.size()) {
                fail("completion for unknown op " + std::to_string(c.user_data), MLPS_E_GENERIC);
            }
            const auto id = static_cast<uint32_t>(c.user_data);
            inFlight_ -= std::min(inFlight_, 1u);
            onDone(Done{id, c, nowNs - std::min(acceptedNs_[id], nowNs)});
        }
        return n;
    }

  private:
    [[noreturn]] void fail(const std::string &what, mlps_status status) const {
        throw Error("tier '" + tierName_ + "': " + what, status);
    }

    Host host_;
    std::string tierName_;
    TierQueue queue_;
    uint32_t depth_;
    bool async_ = false;
    uint32_t inFlight_ = 0;
    std::vector<uint64_t> acceptedNs_; // per id: when the tier accepted its op
    std::vector<mlps_io> pending_;     // enqueued, not yet accepted, oldest first
    std::vector<mlps_completion> completions_;
};

} // namespace mlps
