// The io_uring tier with `layout: files` through its C ABI: the shared conformance checks
// (buffered, since they use unaligned ranges), O_DIRECT with chunking, many ops in flight with
// verification, short transfers, kernel errors as completions and the "io_uring not permitted"
// refusal.
#include <csignal>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "scratch_dir.hpp"
#include "tier_conformance.hpp"
#include "uring_test_support.hpp"

namespace fs = std::filesystem;
using namespace mlps::test;

namespace {

// The files layout (extents, the default, has extents_test.cpp): per-object files, descriptor
// budget, a file cut behind the tier's back.
TierUnderTest uringIn(const std::string &dir, std::function<void(Options &)> more = nullptr) {
    return uringTier(dir, "files", std::move(more));
}

} // namespace

TEST_CASE("io_uring: conformance (buffered)") {
    ScratchDir dir;
    const std::vector<std::string> buffered = {"layout=files", "direct=false"};
    SUBCASE("every check") {
        checkConformance("IO_URING_SO", buffered, dir.path());
    }
    SUBCASE("small chunks and a small ring") {
        auto small = buffered;
        small.insert(small.end(), {"chunk_size=4096", "queue_depth=2"});
        checkConformance(
            "IO_URING_SO", small, dir.path(), {"round-trip", "byte-ranges", "many-queues"});
    }
    SUBCASE("sync after every write") {
        auto synced = buffered;
        synced.push_back("sync=fdatasync");
        checkConformance("IO_URING_SO", synced, dir.path(), {"round-trip", "sync"});
    }
    CHECK(fs::is_empty(dir.path())); // every tier removed its folder
}

TEST_CASE("io_uring: O_DIRECT by default, large ops split into chunks, verified under load") {
    ScratchDir dir;
    // 4 KiB chunks in a ring of 8: a 256 KiB op is 64 chunks that wait for room in the ring.
    const TierUnderTest t = uringIn(
        dir.path(), [](Options &o) { o.size("chunk_size", 4096).integer("queue_depth", 8); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    {
        Options probe;
        probe.tier("probe").string("path", dir.path(), MLPS_OPT_PATH);
        TierDriver tier(t.descriptor, host, probe.config());
        if (!tier.created()) {
            MESSAGE("skipped: " << tier.error().message);
            CHECK(std::string(tier.error().message).find("O_DIRECT") != std::string::npos);
            return;
        }
    }
    TierInstance tier = t.create(host);
    const mlps_tier_info info = tier->info();
    CHECK(info.alignment == 4096);
    const uint64_t want = MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_DIRECT_IO |
                          MLPS_TIER_CAP_ALIGNED_BUFFERS | MLPS_TIER_CAP_BYTE_RANGE |
                          MLPS_TIER_CAP_PERSISTENT;
    CHECK((info.caps & want) == want);

    constexpr int kObjects = 12;
    constexpr size_t kSize = 256 * 1024;
    AlignedBuffer data(kObjects * kSize), back(kObjects * kSize);
    std::vector<std::string> keys;
    for (int o = 0; o < kObjects; ++o) {
        keys.push_back("obj-" + std::to_string(o));
        const auto content = pattern(100 + o, 0, kSize);
        std::memcpy(data.data + o * kSize, content.data(), kSize);
    }
    auto q = tier->openQueue(16);
    std::vector<mlps_io> writes, reads;
    for (int o = 0; o < kObjects; ++o) {
        writes.push_back(writeOp(keys[o], data.data + o * kSize, 0, kSize, kSize, o));
        reads.push_back(readOp(keys[o], back.data + o * kSize, 0, kSize, 100 + o));
    }
    for (const auto &c : runAll(*q, writes)) {
        CHECK(c.status == MLPS_OK);
        CHECK(c.bytes == kSize);
    }
    std::vector<bool> seen(kObjects);
    for (const auto &c : runAll(*q, reads)) {
        CHECK(c.status == MLPS_OK);
        REQUIRE(c.user_data >= 100);
        seen.at(c.user_data - 100) = true;
    }
    CHECK(std::count(seen.begin(), seen.end(), true) == kObjects);
    CHECK(std::memcmp(back.data, data.data, kObjects * kSize) == 0);
    // Byte ranges that are aligned work; misaligned ones are INVALID completions.
    CHECK(q->run(readOp(keys[3], back.data, 8192, 4096)).status == MLPS_OK);
    CHECK(std::memcmp(back.data, data.data + 3 * kSize + 8192, 4096) == 0);
    CHECK(q->run(writeOp(keys[0], data.data + 1, 0, 4096)).status == MLPS_E_INVALID);
    CHECK(q->run(readOp(keys[0], back.data, 0, 1000)).status == MLPS_E_INVALID);
    CHECK(tier->info().objects == kObjects);
}

TEST_CASE("io_uring: SYNC operations, sqpoll") {
    ScratchDir dir;
    for (const bool sqpoll : {false, true}) {
        CAPTURE(sqpoll);
        const TierUnderTest t = uringIn(dir.path(), [sqpoll](Options &o) {
            o.boolean("direct", false).boolean("sqpoll", sqpoll).size("chunk_size", 8192);
        });
        if (t.descriptor == nullptr) {
            return;
        }
        FakeHost host;
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(4);
        const auto content = pattern(12, 0, 64 * 1024);
        const std::string key = "durable";
        CHECK(q->run(writeOp(key, content.data(), 0, content.size())).status == MLPS_OK);
        CHECK(q->run(syncOp(&key)).status == MLPS_OK);
        CHECK(q->run(syncOp(nullptr)).status == MLPS_OK);
        const std::string missing = "missing";
        CHECK(q->run(syncOp(&missing)).status == MLPS_E_NOT_FOUND);
        std::vector<unsigned char> back(content.size());
        CHECK(q->run(readOp(key, back.data(), 0, back.size())).status == MLPS_OK);
        CHECK(back == content);
    }
}

TEST_CASE("io_uring: objects beyond the descriptor budget open their file per operation") {
    ScratchDir dir;
    const TierUnderTest t = uringIn(dir.path(), [](Options &o) { o.boolean("direct", false); });
    if (t.descriptor == nullptr) {
        return;
    }
    // RLIMIT_NOFILE of 96 at creation: the tier caches 24 descriptors; 40 objects go beyond.
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit small = saved;
    small.rlim_cur = 96;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &small) == 0);
    FakeHost host;
    TierInstance tier = t.create(host);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    auto q = tier->openQueue(8);
    constexpr int kObjects = 40;
    std::vector<std::string> keys;
    std::vector<std::vector<unsigned char>> contents;
    std::vector<mlps_io> writes;
    for (int i = 0; i < kObjects; ++i) {
        keys.push_back("k" + std::to_string(i));
        contents.push_back(pattern(200 + i, 0, 8192));
    }
    for (int i = 0; i < kObjects; ++i) {
        writes.push_back(writeOp(keys[i], contents[i].data(), 0, 8192, 8192, i));
    }
    for (const auto &c : runAll(*q, writes)) {
        CHECK(c.status == MLPS_OK);
    }
    std::vector<unsigned char> back(kObjects * 8192);
    std::vector<mlps_io> reads;
    for (int i = 0; i < kObjects; ++i) {
        reads.push_back(readOp(keys[i], back.data() + i * 8192, 0, 8192, i));
    }
    for (const auto &c : runAll(*q, reads)) {
        CHECK(c.status == MLPS_OK);
    }
    for (int i = 0; i < kObjects; ++i) {
        CHECK(std::memcmp(back.data() + i * 8192, contents[i].data(), 8192) == 0);
    }
    CHECK(q->run(deleteOp(keys.back())).status == MLPS_OK);
    CHECK(tier->info().objects == kObjects - 1);
}

TEST_CASE("io_uring: buffers from the tier (huge-page aligned) work with O_DIRECT") {
    ScratchDir dir;
    const TierUnderTest t = uringIn(dir.path());
    if (t.descriptor == nullptr) {
        return;
    }
    CHECK((t.descriptor->caps & MLPS_TIER_CAP_BUFFER_ALLOC) != 0);
    FakeHost host;
    Options probe;
    probe.tier("probe").string("path", dir.path(), MLPS_OPT_PATH);
    if (!TierDriver(t.descriptor, host, probe.config()).created()) {
        MESSAGE("skipped: no O_DIRECT under " << dir.path());
        return;
    }
    TierInstance tier = t.create(host);
    const mlps_tier_ops *ops = tier->ops();
    REQUIRE((ops->buffer_alloc != nullptr && ops->buffer_free != nullptr));
    for (const uint64_t size : {uint64_t{4096}, uint64_t{3} << 20}) {
        CAPTURE(size);
        void *out = nullptr;
        void *in = nullptr;
        mlps_error err{};
        REQUIRE(ops->buffer_alloc(tier->self(), size, &out, &err) == MLPS_OK);
        REQUIRE(ops->buffer_alloc(tier->self(), size, &in, &err) == MLPS_OK);
        CHECK(reinterpret_cast<uintptr_t>(out) % (size >= (1u << 20) ? 2u << 20 : 4096) == 0);
        const auto content = pattern(30, 0, size);
        std::memcpy(out, content.data(), size);
        auto q = tier->openQueue(4);
        const std::string key = "buf-" + std::to_string(size);
        CHECK(q->run(writeOp(key, out, 0, size, size)).status == MLPS_OK);
        CHECK(q->run(readOp(key, in, 0, size)).status == MLPS_OK);
        CHECK(std::memcmp(in, content.data(), size) == 0);
        ops->buffer_free(tier->self(), out, size);
        ops->buffer_free(tier->self(), in, size);
    }
}

TEST_CASE("io_uring: close_queue waits for ops in flight") {
    ScratchDir dir;
    const TierUnderTest t = uringIn(dir.path(), [](Options &o) { o.boolean("direct", false); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    const auto content = pattern(9, 0, 1 << 20);
    {
        auto q = tier->openQueue(8);
        std::vector<mlps_io> ios;
        const std::string keys[] = {"a", "b", "c", "d"};
        for (int i = 0; i < 4; ++i) {
            ios.push_back(writeOp(keys[i], content.data(), 0, content.size()));
        }
        uint32_t accepted = 0;
        REQUIRE(q->submit(ios.data(), 4, &accepted) == MLPS_OK);
        REQUIRE(accepted == 4);
    } // closed without polling
    auto q = tier->openQueue(8);
    std::vector<unsigned char> back(content.size());
    CHECK(q->run(readOp("d", back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == content);
}

TEST_CASE("io_uring: a short write continues, then its error is a completion (EFBIG)") {
    ScratchDir dir;
    const TierUnderTest t = uringIn(dir.path(), [](Options &o) { o.boolean("direct", false); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    const auto content = pattern(14, 0, 256 * 1024);
    // RLIMIT_FSIZE: a write crossing 64 KiB is cut short at the limit; the tier goes on with
    // the remainder, which fails with EFBIG (SIGXFSZ ignored).
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 64 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    const auto c = q->run(writeOp("big", content.data(), 0, content.size()));
    const auto past = q->run(writeOp("far", content.data(), 1 << 20, 4096));
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    std::signal(SIGXFSZ, oldHandler);
    CHECK(c.status == MLPS_E_NO_SPACE);
    CHECK(c.sys_errno == EFBIG);
    CHECK(c.bytes == 0);
    CHECK(past.status == MLPS_E_NO_SPACE);
    CHECK(past.sys_errno == EFBIG);
    // The failed write did not make the object readable.
    std::vector<unsigned char> back(4096);
    CHECK(q->run(readOp("big", back.data(), 0, back.size())).status == MLPS_E_RANGE);
    CHECK(q->run(writeOp("big", content.data(), 0, content.size())).status == MLPS_OK);
}

TEST_CASE("io_uring: a file cut short behind the tier's back reads as an I/O error, no hang") {
    ScratchDir dir;
    const TierUnderTest t =
        uringIn(dir.path(), [](Options &o) { o.boolean("direct", false).integer("fanout", 0); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    const auto content = pattern(15, 0, 64 * 1024);
    REQUIRE(q->run(writeOp("cut", content.data(), 0, content.size())).status == MLPS_OK);
    // "cut" is 637574 in hex: the object's file name.
    const std::string file = std::string(tier->info().location) + "/637574";
    REQUIRE(::truncate(file.c_str(), 10000) == 0);
    std::vector<unsigned char> back(content.size());
    // The read comes back short (10000 bytes), is continued, meets end of file: MLPS_E_IO.
    const auto c = q->run(readOp("cut", back.data(), 0, back.size()));
    CHECK(c.status == MLPS_E_IO);
    CHECK(c.bytes == 0);
    CHECK(std::memcmp(back.data(), content.data(), 10000) == 0);
}

TEST_CASE("io_uring: refused with a message suggesting posix-nvme when io_uring is blocked") {
    ScratchDir dir;
    const mlps_plugin_descriptor *d = loadPlugin("IO_URING_SO");
    if (d == nullptr) {
        return;
    }
#if defined(__x86_64__) && defined(__NR_io_uring_setup)
    // A child process under a seccomp filter that answers ENOSYS to io_uring_setup, as a
    // container's default profile does.
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
            _exit(77);
        }
        FakeHost host;
        Options o;
        o.tier("t").string("path", dir.path(), MLPS_OPT_PATH);
        mlps_error err{};
        void *self = nullptr;
        const mlps_status st = d->create(host.api(), o.config(), &self, &err);
        const bool ok = st == MLPS_E_NOT_SUPPORTED && self == nullptr &&
                        std::strstr(err.message, "posix-nvme") != nullptr &&
                        err.sys_errno == ENOSYS;
        if (!ok) {
            std::fprintf(stderr, "create: status %d, message: %s\n", st, err.message);
        }
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        MESSAGE("skipped: seccomp filters are not allowed here");
        return;
    }
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(fs::is_empty(dir.path())); // refused before creating its folder
#else
    MESSAGE("skipped: the seccomp simulation is written for x86-64");
#endif
}
