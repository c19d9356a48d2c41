// mlps::IoLane and the mlps::IoPump built on it, against a scripted fake tier queue: what the
// tier refuses (BUSY) is resubmitted in order and nothing is lost, a synchronous tier gets one
// op per submit, latencies run from acceptance to poll on the host clock, a broken tier's
// failed submit or poll is an mlps::Error naming it.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <mlps/io_lane.hpp>
#include <mlps/io_pump.hpp>
#include <mlps/plugin.hpp>

namespace {

// The host clock: advances 1000 ns at each reading, so that every latency is exact.
struct FakeClock {
    uint64_t now = 0;
};

uint64_t clockNow(void *ctx) {
    auto &clock = *static_cast<FakeClock *>(ctx);
    clock.now += 1000;
    return clock.now;
}

// One tier with one queue; the test scripts how much each submit() accepts.
struct FakeTier {
    bool async = true;
    uint32_t depth = 0;
    std::deque<uint32_t> acceptScript; // per submit: at most this many (0 = BUSY); then all
    mlps_status submitStatus = MLPS_OK;
    mlps_status pollStatus = MLPS_OK;
    uint64_t bogusUserData = UINT64_MAX; // when set, the next completion carries it
    std::vector<uint32_t> submitSizes;   // n of each submit() call
    std::vector<uint64_t> accepted;      // user_data in the order the tier took the ops
    std::deque<mlps_completion> ready;   // completed, not yet polled
    bool open = false;
};

mlps_status tierInfo(void *self, mlps_tier_info *out) {
    const auto &tier = *static_cast<FakeTier *>(self);
    out->caps = tier.async ? MLPS_TIER_CAP_ASYNC : 0;
    return MLPS_OK;
}

mlps_status openQueue(void *self, uint32_t depth, void **queue, mlps_error *) {
    auto &tier = *static_cast<FakeTier *>(self);
    tier.depth = depth;
    tier.open = true;
    *queue = self;
    return MLPS_OK;
}

void closeQueue(void *self, void *) {
    static_cast<FakeTier *>(self)->open = false;
}

mlps_status submit(void *queue, const mlps_io *ios, uint32_t n, uint32_t *accepted) {
    auto &tier = *static_cast<FakeTier *>(queue);
    tier.submitSizes.push_back(n);
    *accepted = 0;
    if (tier.submitStatus != MLPS_OK) {
        return tier.submitStatus;
    }
    uint32_t room = n;
    if (!tier.acceptScript.empty()) {
        room = std::min(room, tier.acceptScript.front());
        tier.acceptScript.pop_front();
    }
    const auto outstanding = static_cast<uint32_t>(tier.ready.size());
    room = std::min(room, tier.depth - std::min(tier.depth, outstanding));
    for (uint32_t i = 0; i < room; ++i) {
        tier.accepted.push_back(ios[i].user_data);
        uint64_t userData = ios[i].user_data;
        if (tier.bogusUserData != UINT64_MAX) {
            userData = std::exchange(tier.bogusUserData, UINT64_MAX);
        }
        tier.ready.push_back(mlps_completion{userData, MLPS_OK, 0, ios[i].length});
    }
    *accepted = room;
    return room == 0 ? MLPS_BUSY : MLPS_OK;
}

mlps_status poll(void *queue,
                 mlps_completion *out,
                 uint32_t /*minDone*/,
                 uint32_t maxDone,
                 uint64_t /*timeoutNs*/,
                 uint32_t *nDone) {
    auto &tier = *static_cast<FakeTier *>(queue);
    *nDone = 0;
    if (tier.pollStatus != MLPS_OK) {
        return tier.pollStatus;
    }
    while (*nDone < maxDone && !tier.ready.empty()) {
        out[(*nDone)++] = tier.ready.front();
        tier.ready.pop_front();
    }
    return MLPS_OK;
}

constexpr mlps_tier_ops kOps = {
    sizeof(mlps_tier_ops), &tierInfo, &openQueue, &closeQueue, &submit, &poll, nullptr, nullptr};

// A host with only a clock (the lane reads nothing else) and a fake tier named "fake".
struct Fixture {
    FakeClock clock;
    FakeTier tier;
    mlps_host_api api{};
    mlps::Host host{&api};
    mlps_tier_ref ref{};

    explicit Fixture(bool async) {
        tier.async = async;
        api.struct_size = sizeof api;
        api.ctx = &clock;
        api.now_ns = &clockNow;
        ref.struct_size = sizeof ref;
        ref.name = "fake";
        ref.self = &tier;
        ref.ops = &kOps;
    }
};

mlps_io readOf(uint64_t length) {
    mlps_io io{};
    io.opcode = MLPS_IO_READ;
    io.length = length;
    return io;
}

} // namespace

TEST_CASE("lane: what the tier refuses is resubmitted in order and nothing is lost") {
    Fixture f(true);
    mlps::IoLane lane(f.host, f.ref, 4, 8);
    CHECK(lane.capacity() == 8);
    f.tier.acceptScript = {2, 0, 1}; // two, then BUSY, then one, then as room allows
    for (uint32_t id = 0; id < 6; ++id) {
        lane.enqueue(id, readOf(100 + id));
    }
    CHECK(lane.flush());
    CHECK(lane.inFlight() == 2);
    CHECK_FALSE(lane.flush()); // BUSY: nothing accepted, nothing dropped
    CHECK(lane.inFlight() == 2);
    CHECK(lane.hasPending());
    CHECK(lane.flush());
    CHECK(lane.inFlight() == 3);

    std::vector<uint32_t> done;
    std::vector<uint64_t> bytes;
    while (lane.busy()) {
        lane.flush();
        lane.poll(1, 0, [&](const mlps::IoLane::Done &d) {
            CHECK(d.ok());
            done.push_back(d.id);
            bytes.push_back(d.completion.bytes);
        });
    }
    CHECK(f.tier.accepted == std::vector<uint64_t>{0, 1, 2, 3, 4, 5});
    CHECK(done == std::vector<uint32_t>{0, 1, 2, 3, 4, 5});
    CHECK(bytes == std::vector<uint64_t>{100, 101, 102, 103, 104, 105});
    CHECK(lane.inFlight() == 0);
    CHECK_FALSE(lane.hasPending());
    // An async tier gets everything pending in one call: 6, then the 4 left, then 3.
    CHECK(f.tier.submitSizes.at(0) == 6);
    CHECK(f.tier.submitSizes.at(1) == 4);
    CHECK(f.tier.submitSizes.at(2) == 4);
}

TEST_CASE("lane: a synchronous tier gets one op per submit") {
    Fixture f(false);
    mlps::IoLane lane(f.host, f.ref, 4, 4);
    CHECK_FALSE(lane.tierIsAsync());
    for (uint32_t id = 0; id < 3; ++id) {
        lane.enqueue(id, readOf(1));
    }
    std::vector<uint32_t> done;
    while (lane.busy()) {
        lane.flush();
        lane.poll(1, 0, [&](const mlps::IoLane::Done &d) { done.push_back(d.id); });
    }
    CHECK(f.tier.submitSizes == std::vector<uint32_t>{1, 1, 1});
    CHECK(done == std::vector<uint32_t>{0, 1, 2});
}

TEST_CASE("lane: latency runs from acceptance to poll") {
    Fixture f(true);
    mlps::IoLane lane(f.host, f.ref, 4, 4);
    lane.enqueue(0, readOf(1));
    lane.flush(); // accepted at t=1000
    lane.enqueue(1, readOf(1));
    lane.flush(); // accepted at t=2000
    std::vector<uint64_t> latency(2, 0);
    lane.poll(2, 0, [&](const mlps::IoLane::Done &d) { latency.at(d.id) = d.latencyNs; });
    // Polled at t=3000.
    CHECK(latency[0] == 2000);
    CHECK(latency[1] == 1000);
    // An id can go round again: its latency is its new op's.
    lane.enqueue(0, readOf(1));
    lane.flush(); // t=4000
    lane.poll(1, 0, [&](const mlps::IoLane::Done &d) { latency.at(d.id) = d.latencyNs; });
    CHECK(latency[0] == 1000);
}

TEST_CASE("lane: dropPending hands back the ids not accepted, in order") {
    Fixture f(true);
    mlps::IoLane lane(f.host, f.ref, 2, 4);
    for (uint32_t id = 0; id < 4; ++id) {
        lane.enqueue(id, readOf(1));
    }
    lane.flush(); // depth 2: ids 0 and 1 taken
    std::vector<uint32_t> dropped;
    lane.dropPending([&](uint32_t id) { dropped.push_back(id); });
    CHECK(dropped == std::vector<uint32_t>{2, 3});
    CHECK_FALSE(lane.hasPending());
    CHECK(lane.inFlight() == 2);
}

TEST_CASE("lane: a broken tier's failures are errors naming it") {
    Fixture f(true);
    mlps::IoLane lane(f.host, f.ref, 2, 2);
    CHECK_THROWS_WITH_AS(lane.enqueue(2, readOf(1)),
                         doctest::Contains("tier 'fake': op id 2 out of range"),
                         mlps::Error);

    lane.enqueue(0, readOf(1));
    f.tier.submitStatus = MLPS_E_IO;
    CHECK_THROWS_WITH_AS(
        lane.flush(), doctest::Contains("tier 'fake': submit failed"), mlps::Error);
    CHECK(lane.hasPending()); // nothing was taken

    f.tier.submitStatus = MLPS_OK;
    lane.flush();
    f.tier.pollStatus = MLPS_E_GENERIC;
    CHECK_THROWS_WITH_AS(lane.poll(1, 0, [](const mlps::IoLane::Done &) {}),
                         doctest::Contains("tier 'fake': poll failed"),
                         mlps::Error);

    f.tier.pollStatus = MLPS_OK;
    lane.poll(1, 0, [](const mlps::IoLane::Done &) {});
    f.tier.bogusUserData = 7;
    lane.enqueue(1, readOf(1));
    lane.flush();
    CHECK_THROWS_WITH_AS(lane.poll(1, 0, [](const mlps::IoLane::Done &) {}),
                         doctest::Contains("tier 'fake': completion for unknown op 7"),
                         mlps::Error);
}

TEST_CASE("lane: the queue is closed with the lane") {
    Fixture f(true);
    {
        mlps::IoLane lane(f.host, f.ref, 3, 0);
        CHECK(f.tier.open);
        CHECK(f.tier.depth == 3);
        CHECK(lane.capacity() == 3); // 0: as many ids as the depth
    }
    CHECK_FALSE(f.tier.open);
}

TEST_CASE("pump on a lane: runAll through BUSY completes every op once, in order") {
    for (const bool async : {true, false}) {
        CAPTURE(async);
        Fixture f(async);
        f.tier.acceptScript = {1, 0, 0, 2, 0};
        mlps::IoPump pump(f.host, 0, f.ref, 3, 0);
        std::vector<mlps_io> ops;
        for (uint64_t i = 0; i < 10; ++i) {
            ops.push_back(readOf(i + 1));
        }
        std::vector<uint64_t> lengths;
        pump.runAll(ops, [&](const mlps::IoPump::Done &d) {
            CHECK(d.ok());
            CHECK(d.io.user_data == d.slot);
            CHECK(d.latencyNs != 0);
            lengths.push_back(d.io.length);
        });
        std::vector<uint64_t> want;
        for (uint64_t i = 1; i <= 10; ++i) {
            want.push_back(i);
        }
        CHECK(lengths == want);
        CHECK(pump.idle());
        CHECK(pump.inFlight() == 0);
        if (!async) {
            for (const uint32_t n : f.tier.submitSizes) {
                CHECK(n == 1);
            }
        }
    }
}

TEST_CASE("pump on a lane: a stop drops what the tier has not taken and frees its slots") {
    Fixture f(true);
    f.tier.acceptScript = {1};
    mlps::IoPump pump(f.host, 0, f.ref, 4, 0);
    uint32_t issued = 0;
    uint32_t completed = 0;
    pump.run(
        [&](uint32_t, mlps_io &io) {
            io = readOf(1);
            ++issued;
            return true;
        },
        [&](const mlps::IoPump::Done &) { ++completed; },
        [&] { return issued >= 4; }, // after the first fill
        [] {});
    CHECK(issued == 4);
    CHECK(completed == 1); // the tier took one; three were dropped
    CHECK(pump.idle());
}
