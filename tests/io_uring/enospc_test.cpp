// A full file system is reported as completions (MLPS_E_NO_SPACE with ENOSPC), not a crash or a
// hang. The test mounts a 2 MiB tmpfs in a private mount namespace; it exits 77 (skipped) where
// that is not allowed (not root, no CAP_SYS_ADMIN, a container).
#define DOCTEST_CONFIG_IMPLEMENT
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "tier_conformance.hpp"

using namespace mlps::test;

namespace {
std::string gMountPoint; // the small file system, set up by main()
constexpr uint64_t kFsBytes = 2 << 20;
// Each case runs with both object layouts: in `extents`, ENOSPC comes from growing the one data
// file (fallocate), and DELETE gives its space back to the allocator, not to the file system.
constexpr const char *kLayouts[] = {"files", "extents"};
} // namespace

TEST_CASE("io_uring: ENOSPC from a full file system is a completion, and space comes back") {
    for (const char *layout : kLayouts) {
        CAPTURE(layout);
        TierUnderTest t;
        t.descriptor = loadPlugin("IO_URING_SO");
        if (t.descriptor == nullptr) {
            return;
        }
        // tmpfs: buffered I/O (its O_DIRECT support depends on the kernel). The tier's capacity is
        // set far above the file system's so that the kernel, not the tier's accounting, says no.
        t.addOptions = [layout](Options &o) {
            o.string("path", gMountPoint, MLPS_OPT_PATH)
                .boolean("direct", false)
                .string("layout", layout, MLPS_OPT_ENUM);
        };
        FakeHost host;
        TierInstance tier = t.create(host, 1ull << 30);
        auto q = tier->openQueue(8);
        const auto content = pattern(20, 0, 256 * 1024);
        std::vector<std::string> keys;
        for (int i = 0; i < 16; ++i) { // 4 MiB into a 2 MiB file system
            keys.push_back("fill-" + std::to_string(i));
        }
        int ok = 0, full = 0, other = 0;
        for (const auto &key : keys) {
            const auto c = q->run(writeOp(key, content.data(), 0, content.size()));
            if (c.status == MLPS_OK) {
                ++ok;
            } else if (c.status == MLPS_E_NO_SPACE && c.sys_errno == ENOSPC) {
                ++full;
                CHECK(c.bytes == 0);
            } else {
                ++other;
                MESSAGE("unexpected completion: status " << c.status << ", errno " << c.sys_errno);
            }
        }
        CHECK(ok > 0);
        CHECK(full > 0);
        CHECK(other == 0);
        // Deleting frees the space again; a write then succeeds.
        for (const auto &key : keys) {
            q->run(deleteOp(key));
        }
        CHECK(q->run(writeOp("after", content.data(), 0, content.size())).status == MLPS_OK);
        std::vector<unsigned char> back(content.size());
        CHECK(q->run(readOp("after", back.data(), 0, back.size())).status == MLPS_OK);
        CHECK(back == content);
    }
}

TEST_CASE("io_uring: preallocating an object larger than the file system is a NO_SPACE "
          "completion") {
    for (const char *layout : kLayouts) {
        CAPTURE(layout);
        TierUnderTest t;
        t.descriptor = loadPlugin("IO_URING_SO");
        if (t.descriptor == nullptr) {
            return;
        }
        t.addOptions = [layout](Options &o) {
            o.string("path", gMountPoint, MLPS_OPT_PATH)
                .boolean("direct", false)
                .string("layout", layout, MLPS_OPT_ENUM);
        };
        FakeHost host;
        TierInstance tier = t.create(host, 1ull << 30);
        auto q = tier->openQueue(4);
        const auto content = pattern(21, 0, 4096);
        // Announces 8 MiB in a 2 MiB file system: fallocate says ENOSPC at creation.
        const auto c = q->run(writeOp("huge", content.data(), 0, content.size(), 4 * kFsBytes));
        CHECK(c.status == MLPS_E_NO_SPACE);
        CHECK(c.sys_errno == ENOSPC);
        CHECK(tier->info().objects == 0);
        CHECK(tier->info().used_bytes == 0);
        std::vector<unsigned char> back(4096);
        CHECK(q->run(readOp("huge", back.data(), 0, back.size())).status == MLPS_E_NOT_FOUND);
        // A fitting announcement works (and the space of the failed one was given back).
        CHECK(q->run(writeOp("fits", content.data(), 0, content.size(), kFsBytes / 2)).status ==
              MLPS_OK);
    }
}

TEST_CASE("io_uring: ENOSPC with O_DIRECT, where the file system supports it") {
    for (const char *layout : kLayouts) {
        CAPTURE(layout);
        TierUnderTest t;
        t.descriptor = loadPlugin("IO_URING_SO");
        if (t.descriptor == nullptr) {
            return;
        }
        t.addOptions = [layout](Options &o) {
            o.string("path", gMountPoint, MLPS_OPT_PATH).string("layout", layout, MLPS_OPT_ENUM);
        };
        FakeHost host;
        Options probe;
        probe.tier("probe", 1ull << 30).string("path", gMountPoint, MLPS_OPT_PATH);
        if (!TierDriver(t.descriptor, host, probe.config()).created()) {
            MESSAGE("skipped: this kernel's tmpfs refuses O_DIRECT");
            return;
        }
        TierInstance tier = t.create(host, 1ull << 30);
        auto q = tier->openQueue(8);
        auto *buf = static_cast<unsigned char *>(std::aligned_alloc(4096, 256 * 1024));
        REQUIRE(buf != nullptr);
        const auto content = pattern(22, 0, 256 * 1024);
        std::memcpy(buf, content.data(), content.size());
        int ok = 0, full = 0, other = 0;
        std::vector<std::string> keys;
        for (int i = 0; i < 16; ++i) {
            keys.push_back("d-" + std::to_string(i));
        }
        for (const auto &key : keys) {
            const auto c = q->run(writeOp(key, buf, 0, content.size()));
            ok += c.status == MLPS_OK;
            full += c.status == MLPS_E_NO_SPACE && c.sys_errno == ENOSPC;
            other += c.status != MLPS_OK && c.status != MLPS_E_NO_SPACE;
        }
        std::free(buf);
        CHECK(ok > 0);
        CHECK(full > 0);
        CHECK(other == 0);
    }
}

int main(int argc, char **argv) {
    // A private mount namespace: the tmpfs disappears with the process, whatever happens.
    if (::unshare(CLONE_NEWNS) != 0) {
        std::printf("skipped: unshare(CLONE_NEWNS): %s\n", std::strerror(errno));
        return 77;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::printf("skipped: making / private: %s\n", std::strerror(errno));
        return 77;
    }
    // Made by hand: doctest assertions (ScratchDir's) need a running test context.
    char dir[] = "/tmp/mlps-enospc-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        std::printf("mkdtemp: %s\n", std::strerror(errno));
        return 1;
    }
    const std::string options = "size=" + std::to_string(kFsBytes);
    if (::mount("mlps-enospc", dir, "tmpfs", 0, options.c_str()) != 0) {
        std::printf("skipped: mount tmpfs: %s\n", std::strerror(errno));
        ::rmdir(dir);
        return 77;
    }
    gMountPoint = dir;
    doctest::Context context(argc, argv);
    const int rc = context.run();
    ::umount2(dir, MNT_DETACH);
    ::rmdir(dir);
    return rc;
}
