// The cuda tier through its C ABI, on the fake CUDA runtime (fake_cudart.cpp): the shared
// conformance checks, asynchronous completion and its order, capacity (set and default),
// out-of-memory, failed copies, pinned buffers, and the errors of a machine without a runtime
// or a device. No GPU is needed; the same checks on a real device are tools/bench/cuda-check.
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>

#include <doctest/doctest.h>

#include "fake_cudart.hpp"
#include "tier_conformance.hpp"

using namespace mlps::test;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kLong = 30'000'000'000ull; // a poll timeout no healthy test reaches

// The fake runtime's controls, from the library the tier loads (the same handle).
struct Fake {
    std::string path;
    void *handle = nullptr;
    template <typename Fn>
    Fn fn(const char *name) const {
        auto f = reinterpret_cast<Fn>(dlsym(handle, name));
        REQUIRE_MESSAGE(reinterpret_cast<void *>(f) != nullptr, name);
        return f;
    }
    void configure(int devices, uint64_t memory) const {
        fn<decltype(&fake_cuda_configure)>("fake_cuda_configure")(devices, memory);
    }
    void hold(bool on) const { fn<decltype(&fake_cuda_hold)>("fake_cuda_hold")(on ? 1 : 0); }
    void runStream(int index) const {
        fn<decltype(&fake_cuda_run_stream)>("fake_cuda_run_stream")(index);
    }
    void failNextCopies(int n) const {
        fn<decltype(&fake_cuda_fail_next_copies)>("fake_cuda_fail_next_copies")(n);
    }
    void pinnedLimit(uint64_t bytes) const {
        fn<decltype(&fake_cuda_pinned_limit)>("fake_cuda_pinned_limit")(bytes);
    }
    uint64_t deviceBytes() const {
        return fn<decltype(&fake_cuda_device_bytes)>("fake_cuda_device_bytes")();
    }
    uint64_t pinnedBytes() const {
        return fn<decltype(&fake_cuda_pinned_bytes)>("fake_cuda_pinned_bytes")();
    }
    uint64_t copies() const { return fn<decltype(&fake_cuda_copies)>("fake_cuda_copies")(); }
    void reset() const { fn<decltype(&fake_cuda_reset)>("fake_cuda_reset")(); }
};

const Fake &fake() {
    static const Fake f = [] {
        Fake out;
        const char *path = std::getenv("FAKE_CUDART");
        REQUIRE_MESSAGE(path != nullptr, "FAKE_CUDART is not set");
        out.path = path;
        out.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        REQUIRE_MESSAGE(out.handle != nullptr, dlerror());
        return out;
    }();
    return f;
}

// The tier on the fake runtime, with `more` options on top; the fake is reset to one device
// of `memory` bytes.
TierUnderTest cudaOnFake(uint64_t memory = 256 * kMiB,
                         std::function<void(Options &)> more = nullptr) {
    TierUnderTest t;
    t.descriptor = loadPlugin("CUDA_SO");
    if (t.descriptor == nullptr) {
        return t;
    }
    fake().reset();
    fake().configure(1, memory);
    t.addOptions = [more](Options &o) {
        o.string("runtime_library", fake().path, MLPS_OPT_PATH);
        if (more) {
            more(o);
        }
    };
    return t;
}

// Creates the tier expecting failure; returns (status, message).
std::pair<mlps_status, std::string> createFails(const TierUnderTest &t, uint64_t capacity = 0) {
    FakeHost host;
    Options options;
    options.tier("under-test", capacity);
    t.addOptions(options);
    TierDriver driver(t.descriptor, host, options.config());
    REQUIRE_FALSE(driver.created());
    return {driver.status(), driver.error().message};
}

// Holds the fake's copy thread for a scope: a failed assertion must not leave it held, or
// closing the queues (which waits for their copies) would wait for ever. Declare it after the
// queues, so that it lets go before they close.
class Held {
  public:
    Held() { fake().hold(true); }
    ~Held() { release(); }
    Held(const Held &) = delete;
    Held &operator=(const Held &) = delete;
    void release() { fake().hold(false); }
};

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("cuda: descriptor loads without a CUDA runtime") {
    const mlps_plugin_descriptor *d = loadPlugin("CUDA_SO");
    if (d == nullptr) {
        return;
    }
    CHECK(std::strcmp(d->name, "cuda") == 0);
    CHECK((d->caps & MLPS_TIER_CAP_DEVICE_MEMORY) != 0);
    CHECK((d->caps & MLPS_TIER_CAP_BUFFER_ALLOC) != 0);
    CHECK((d->caps & MLPS_TIER_CAP_ASYNC) != 0);
    bool device = false, runtime = false;
    for (uint32_t i = 0; i < d->n_options; ++i) {
        device |= std::strcmp(d->options[i].name, "device") == 0;
        runtime |= std::strcmp(d->options[i].name, "runtime_library") == 0;
    }
    CHECK(device);
    CHECK(runtime);
}

TEST_CASE("cuda: conformance on the fake runtime") {
    // Small chunks and one event per queue slot: every op of the conformance checks is split,
    // and chunks wait for free events.
    // Room for the two instances the create-destroy check makes at once.
    const TierUnderTest t = cudaOnFake(512 * kMiB, [](Options &o) {
        o.size("chunk_size", 4 * kKiB);
        o.integer("queue_depth", 3);
        o.integer("streams", 2);
    });
    if (t.descriptor == nullptr) {
        return;
    }
    // `plugins check`'s suite, pointed at the fake runtime configured above.
    checkConformance("CUDA_SO",
                     {"runtime_library=" + fake().path,
                      "capacity=128MiB",
                      "chunk_size=4KiB",
                      "queue_depth=3",
                      "streams=2"});
}

TEST_CASE("cuda: capacity unset is 80% of the free device memory; info says where") {
    const TierUnderTest t = cudaOnFake(100 * kMiB);
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    {
        TierInstance tier = t.create(host, 0);
        const mlps_tier_info info = tier->info();
        CHECK(info.capacity_bytes == 80 * kMiB);
        CHECK(fake().deviceBytes() == 80 * kMiB); // one pool, taken at creation
        CHECK(contains(info.location, "CUDA device 0 (PCI 0000:01:00.0)"));
        CHECK(info.buffer_memory == MLPS_MEMORY_HOST_PINNED);
        CHECK(info.io_memory == MLPS_MEMORY_HOST_KINDS);
        CHECK((info.caps & MLPS_TIER_CAP_DEVICE_MEMORY) != 0);
    }
    CHECK(fake().deviceBytes() == 0); // destroying the tier frees the pool
}

TEST_CASE("cuda: ops complete asynchronously, in the order their copies finish") {
    const TierUnderTest t = cudaOnFake(64 * kMiB, [](Options &o) {
        o.size("chunk_size", 64 * kKiB);
        o.integer("streams", 2);
    });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(8); // streams 0 and 1 of the fake
    const auto a = pattern(1, 0, 64 * kKiB);
    const auto b = pattern(2, 0, 64 * kKiB);

    Held held;
    const mlps_io ios[] = {writeOp("a", a.data(), 0, a.size(), 0, 1),
                           writeOp("b", b.data(), 0, b.size(), 0, 2)};
    uint32_t accepted = 0;
    REQUIRE(q->submit(ios, 2, &accepted) == MLPS_OK);
    REQUIRE(accepted == 2);
    // submit() returned with both copies queued on the device, none done.
    CHECK(q->poll(1, 4, 0).empty());
    CHECK(fake().copies() == 0);
    // The second op's stream finishes first: its completion comes first.
    fake().runStream(1);
    auto done = q->poll(1, 4, kLong);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 2);
    CHECK(done[0].status == MLPS_OK);
    CHECK(done[0].bytes == b.size());
    fake().runStream(0);
    done = q->poll(1, 4, kLong);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 1);

    // A chunked op completes only when every chunk (on both streams) is done.
    const auto big = pattern(3, 0, 256 * kKiB); // 4 chunks: streams 0, 1, 0, 1
    uint32_t n = 0;
    const mlps_io w = writeOp("big", big.data(), 0, big.size(), 0, 3);
    REQUIRE(q->submit(&w, 1, &n) == MLPS_OK);
    fake().runStream(0);
    CHECK(q->poll(1, 4, 0).empty());
    fake().runStream(1);
    done = q->poll(1, 4, kLong);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 3);
    CHECK(done[0].bytes == big.size());
    held.release();

    std::vector<unsigned char> back(big.size());
    CHECK(q->run(readOp("big", back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == big);
    CHECK(q->run(readOp("a", back.data(), 0, a.size())).status == MLPS_OK);
    CHECK(std::memcmp(back.data(), a.data(), a.size()) == 0);
}

TEST_CASE("cuda: DELETE during a copy frees the extents when the copy is done") {
    const TierUnderTest t = cudaOnFake(64 * kMiB);
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host, 1 * kMiB);
    auto writer = tier->openQueue(4);
    auto other = tier->openQueue(4);
    const auto content = pattern(4, 0, 1 * kMiB);
    Held held;
    uint32_t n = 0;
    const mlps_io w = writeOp("x", content.data(), 0, content.size(), 0, 9);
    REQUIRE(writer->submit(&w, 1, &n) == MLPS_OK);
    CHECK(other->run(deleteOp("x")).status == MLPS_OK);
    CHECK(tier->info().used_bytes == 0);
    // The budget has room again, but the copy still writes into x's device memory: a new
    // object does not get it.
    CHECK(other->run(writeOp("y", content.data(), 0, content.size())).status == MLPS_E_NO_SPACE);
    held.release();
    const auto done = writer->poll(1, 4, kLong);
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == MLPS_OK);
    CHECK(other->run(writeOp("y", content.data(), 0, content.size())).status == MLPS_OK);
}

TEST_CASE("cuda: out of device memory is a clear error at creation; so is a tiny capacity") {
    const TierUnderTest t = cudaOnFake(64 * kMiB);
    if (t.descriptor == nullptr) {
        return;
    }
    const auto [status, message] = createFails(t, 128 * kMiB);
    CHECK(status == MLPS_E_NO_MEMORY);
    CHECK(contains(message, "cannot reserve 134217728 bytes of device memory on CUDA device 0"));
    CHECK(contains(message, "out of memory"));
    CHECK(contains(message, "Lower the tier's capacity"));
    CHECK(fake().deviceBytes() == 0);

    const auto [tinyStatus, tinyMessage] = createFails(t, 100);
    CHECK(tinyStatus == MLPS_E_INVALID);
    CHECK(contains(tinyMessage, "at least 256 bytes"));
}

TEST_CASE("cuda: a failed copy is an IO completion, logged, and the object keeps no bytes") {
    const TierUnderTest t = cudaOnFake();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    const auto content = pattern(5, 0, 64 * kKiB);
    fake().failNextCopies(1);
    const auto c = q->run(writeOp("k", content.data(), 0, content.size(), 0, 4));
    CHECK(c.status == MLPS_E_IO);
    CHECK(c.sys_errno == EIO);
    CHECK(c.bytes == 0);
    bool logged = false;
    for (const auto &line : host.logs()) {
        logged |= contains(line, "host-to-device copy failed: unspecified launch failure");
    }
    CHECK(logged);
    std::vector<unsigned char> back(content.size());
    CHECK(q->run(readOp("k", back.data(), 0, back.size())).status == MLPS_E_RANGE);
    CHECK(q->run(writeOp("k", content.data(), 0, content.size())).status == MLPS_OK);
    CHECK(q->run(readOp("k", back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == content);
}

TEST_CASE("cuda: buffer_alloc gives pinned host memory, and says so when it cannot") {
    const TierUnderTest t = cudaOnFake();
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    const mlps_tier_ops *ops = tier->ops();
    void *buf = nullptr;
    mlps_error err{};
    REQUIRE(ops->buffer_alloc(tier->self(), 3 * kMiB, &buf, &err) == MLPS_OK);
    CHECK(reinterpret_cast<uintptr_t>(buf) % 4096 == 0);
    CHECK(fake().pinnedBytes() == 3 * kMiB);
    std::memset(buf, 7, 3 * kMiB); // host memory: the CPU may touch it
    ops->buffer_free(tier->self(), buf, 3 * kMiB);
    CHECK(fake().pinnedBytes() == 0);

    fake().pinnedLimit(1 * kMiB);
    buf = nullptr;
    CHECK(ops->buffer_alloc(tier->self(), 2 * kMiB, &buf, &err) == MLPS_E_NO_MEMORY);
    CHECK(buf == nullptr);
    CHECK(contains(err.message, "cannot allocate 2097152 bytes of pinned host memory"));
}

TEST_CASE("cuda: no device, a device that is not there, no runtime") {
    TierUnderTest t = cudaOnFake();
    if (t.descriptor == nullptr) {
        return;
    }
    fake().configure(0, 64 * kMiB);
    auto [status, message] = createFails(t);
    CHECK(status == MLPS_E_NOT_FOUND);
    CHECK(message.rfind("no CUDA device visible: no CUDA-capable device is detected", 0) == 0);

    fake().configure(1, 64 * kMiB);
    const TierUnderTest third = cudaOnFake(64 * kMiB, [](Options &o) { o.integer("device", 3); });
    std::tie(status, message) = createFails(third);
    CHECK(status == MLPS_E_NOT_FOUND);
    CHECK(contains(message, "option device is 3 but only 1 device(s) are visible"));

    t.addOptions = [](Options &o) {
        o.string("runtime_library", "/nonexistent/libcudart.so.99", MLPS_OPT_PATH);
    };
    std::tie(status, message) = createFails(t);
    CHECK(status == MLPS_E_NOT_SUPPORTED);
    CHECK(message.rfind("CUDA runtime not found (option runtime_library)", 0) == 0);
    CHECK(contains(message, "/nonexistent/libcudart.so.99"));
}
