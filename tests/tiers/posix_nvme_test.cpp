// The posix-nvme tier through its C ABI: the shared conformance checks in the files layout (the
// extents layout, the default, is checked in file_store_test.cpp), path checks, its folder
// removed (or kept), O_DIRECT, sync modes and kernel errors as completions.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "tier_conformance.hpp"

namespace fs = std::filesystem;
using namespace mlps::test;

namespace {

// A fresh folder for one test, removed with everything in it at the end.
class ScratchDir {
  public:
    explicit ScratchDir(const char *parent = nullptr) {
        std::string base = parent != nullptr ? parent : fs::temp_directory_path().string();
        std::string pattern = base + "/mlps-tiers-test-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        REQUIRE(mkdtemp(buf.data()) != nullptr);
        path_ = buf.data();
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }

  private:
    std::string path_;
};

TierUnderTest posixIn(const std::string &dir, std::function<void(Options &)> more = nullptr) {
    TierUnderTest t;
    t.descriptor = loadPlugin("POSIX_NVME_SO");
    t.addOptions = [dir, more](Options &o) {
        o.string("path", dir, MLPS_OPT_PATH);
        if (more) {
            more(o);
        }
    };
    return t;
}

// Object files: everything but the folder's owner record.
size_t regularFilesUnder(const std::string &dir) {
    size_t n = 0;
    for (const auto &entry : fs::recursive_directory_iterator(dir)) {
        n += entry.is_regular_file() && entry.path().filename() != ".mlps-owner";
    }
    return n;
}

std::string createError(const mlps_plugin_descriptor *d, FakeHost &host, Options &o) {
    TierDriver tier(d, host, o.config());
    CHECK_FALSE(tier.created());
    CHECK(tier.status() == MLPS_E_INVALID);
    return tier.error().message;
}

} // namespace

TEST_CASE("posix-nvme: conformance (plugins check)") {
    ScratchDir dir;
    SUBCASE("every check") {
        checkConformance("POSIX_NVME_SO", {"layout=files"}, dir.path());
    }
    SUBCASE("flat folder (fanout 0)") {
        checkConformance("POSIX_NVME_SO",
                         {"layout=files", "fanout=0"},
                         dir.path(),
                         {"round-trip", "byte-ranges", "many-queues"});
    }
    CHECK(fs::is_empty(dir.path())); // the checker removed its scratch folder
}

TEST_CASE("posix-nvme: refuses a bad path") {
    const mlps_plugin_descriptor *d = loadPlugin("POSIX_NVME_SO");
    if (d == nullptr) {
        return;
    }
    FakeHost host;
    ScratchDir dir;
    {
        Options o;
        o.tier("t").string("path", dir.path() + "/nope", MLPS_OPT_PATH);
        CHECK(createError(d, host, o).find("does not exist") != std::string::npos);
    }
    {
        const std::string file = dir.path() + "/a-file";
        const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY, 0644);
        REQUIRE(fd >= 0);
        ::close(fd);
        Options o;
        o.tier("t").string("path", file, MLPS_OPT_PATH);
        CHECK(createError(d, host, o).find("is not a directory") != std::string::npos);
    }
    {
        Options o;
        o.tier("t");
        TierDriver tier(d, host, o.config());
        CHECK_FALSE(tier.created());
        CHECK(std::string(tier.error().message).find("path") != std::string::npos);
    }
    if (geteuid() == 0) {
        MESSAGE("skipped the unwritable-directory check: running as root, which writes anywhere");
    } else {
        const std::string locked = dir.path() + "/locked";
        REQUIRE(::mkdir(locked.c_str(), 0555) == 0);
        Options o;
        o.tier("t").string("path", locked, MLPS_OPT_PATH);
        CHECK(createError(d, host, o).find("not writable") != std::string::npos);
    }
}

TEST_CASE("posix-nvme: the tier's folder is removed, or kept with keep: true") {
    ScratchDir dir;
    const mlps_plugin_descriptor *d = loadPlugin("POSIX_NVME_SO");
    if (d == nullptr) {
        return;
    }
    FakeHost host;
    const auto content = pattern(7, 0, 8192);
    for (const bool keep : {false, true}) {
        CAPTURE(keep);
        Options o;
        o.tier("my tier/1", 0, keep)
            .string("path", dir.path(), MLPS_OPT_PATH)
            .string("layout", "files", MLPS_OPT_ENUM); // a file per object, counted below
        auto tier = std::make_unique<TierDriver>(d, host, o.config());
        REQUIRE(tier->created());
        const mlps_tier_info info = tier->info();
        const std::string location = info.location;
        CHECK(location.rfind(dir.path() + "/mlps-my_tier_1-", 0) == 0);
        CHECK(info.capacity_bytes > 0); // the file system's free space
        CHECK((info.caps & MLPS_TIER_CAP_PERSISTENT) != 0);
        CHECK((info.caps & MLPS_TIER_CAP_DIRECT_IO) == 0);
        {
            auto q = tier->openQueue(4);
            for (const std::string key : {"one", "two", "three"}) {
                CHECK(q->run(writeOp(key, content.data(), 0, content.size())).status == MLPS_OK);
            }
            CHECK(q->run(deleteOp("two")).status == MLPS_OK);
        }
        CHECK(regularFilesUnder(location) == 2);
        tier.reset();
        if (keep) {
            CHECK(fs::is_directory(location));
            CHECK(regularFilesUnder(location) == 2);
            fs::remove_all(location);
        } else {
            CHECK_FALSE(fs::exists(location));
        }
    }
}

TEST_CASE("posix-nvme: a persistent folder outlives the tier and its objects are found again") {
    ScratchDir dir;
    const mlps_plugin_descriptor *d = loadPlugin("POSIX_NVME_SO");
    if (d == nullptr) {
        return;
    }
    FakeHost host;
    const auto content = pattern(9, 0, 12288);
    const std::string folder = dir.path() + "/ckpt";
    const std::string longKey(150, 'x'); // too long to be named by its key: not found again
    auto make = [&](bool keep) {
        Options o;
        o.tier("disk", 0, keep)
            .string("path", dir.path(), MLPS_OPT_PATH)
            .string("persistent_folder", "ckpt", MLPS_OPT_STRING)
            .integer("fanout", 4);
        return std::make_unique<TierDriver>(d, host, o.config());
    };
    {
        auto first = make(false);
        REQUIRE(first->created());
        CHECK(std::string(first->info().location) == folder);
        auto q = first->openQueue(4);
        CHECK(q->run(writeOp("step1/shard", content.data(), 0, content.size())).status == MLPS_OK);
        CHECK(q->run(writeOp(longKey, content.data(), 0, 4096)).status == MLPS_OK);
    }
    // keep: false, yet the folder and its objects stay: they are what the folder is for.
    CHECK(fs::is_directory(folder));
    CHECK(regularFilesUnder(folder) == 2);
    {
        auto second = make(false);
        REQUIRE(second->created());
        auto q = second->openQueue(4);
        std::vector<unsigned char> back(content.size());
        CHECK(q->run(readOp("step1/shard", back.data(), 0, back.size())).status == MLPS_OK);
        CHECK(back == content);
        CHECK(q->run(readOp("step1/shard", back.data(), 4096, back.size())).status ==
              MLPS_E_RANGE); // the size came back with the file
        CHECK(q->run(readOp(longKey, back.data(), 0, 4096)).status == MLPS_E_NOT_FOUND);
        CHECK(q->run(readOp("step2/shard", back.data(), 0, 4096)).status == MLPS_E_NOT_FOUND);
        CHECK(q->run(deleteOp("step1/shard")).status == MLPS_OK);
    }
    CHECK(regularFilesUnder(folder) == 1); // the long-keyed file: this tier never deletes data
    fs::remove_all(folder);
    {
        // A folder this instance creates and leaves empty goes at the end (rmdir only).
        auto third = make(false);
        REQUIRE(third->created());
        auto q = third->openQueue(4);
        CHECK(q->run(writeOp("a", content.data(), 0, 4096)).status == MLPS_OK);
        CHECK(q->run(deleteOp("a")).status == MLPS_OK);
    }
    CHECK_FALSE(fs::exists(folder));
    Options bad;
    bad.string("path", dir.path(), MLPS_OPT_PATH)
        .string("persistent_folder", "../up", MLPS_OPT_STRING);
    CHECK(createError(d, host, bad).find("persistent_folder") != std::string::npos);
}

TEST_CASE("posix-nvme: long keys that share a prefix stay distinct") {
    ScratchDir dir; // files layout: long keys are hashed into file names
    const TierUnderTest t =
        posixIn(dir.path(), [](Options &o) { o.string("layout", "files", MLPS_OPT_ENUM); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    const std::string prefix(250, 'k');
    const std::string a = prefix + "a", b = prefix + "b";
    const auto ca = pattern(10, 0, 4096), cb = pattern(11, 0, 4096);
    CHECK(q->run(writeOp(a, ca.data(), 0, ca.size())).status == MLPS_OK);
    CHECK(q->run(writeOp(b, cb.data(), 0, cb.size())).status == MLPS_OK);
    std::vector<unsigned char> back(4096);
    CHECK(q->run(readOp(a, back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == ca);
    CHECK(q->run(readOp(b, back.data(), 0, back.size())).status == MLPS_OK);
    CHECK(back == cb);
    CHECK(tier->info().objects == 2);
}

TEST_CASE("posix-nvme: sync modes and SYNC operations") {
    ScratchDir dir;
    for (const char *mode : {"none", "fdatasync", "fsync"}) {
        CAPTURE(mode);
        const TierUnderTest t =
            posixIn(dir.path(), [mode](Options &o) { o.string("sync", mode, MLPS_OPT_ENUM); });
        if (t.descriptor == nullptr) {
            return;
        }
        FakeHost host;
        TierInstance tier = t.create(host);
        auto q = tier->openQueue(4);
        const auto content = pattern(12, 0, 16384);
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

TEST_CASE("posix-nvme: O_DIRECT round trip with aligned buffers") {
    ScratchDir dir("/var/tmp");
    const TierUnderTest t = posixIn(dir.path(), [](Options &o) { o.boolean("direct", true); });
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    {
        Options probe;
        probe.tier("probe").string("path", dir.path(), MLPS_OPT_PATH).boolean("direct", true);
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
    CHECK((info.caps & MLPS_TIER_CAP_DIRECT_IO) != 0);
    CHECK((info.caps & MLPS_TIER_CAP_ALIGNED_BUFFERS) != 0);
    constexpr size_t kSize = 64 * 1024;
    auto *buf = static_cast<unsigned char *>(std::aligned_alloc(4096, kSize));
    auto *back = static_cast<unsigned char *>(std::aligned_alloc(4096, kSize));
    REQUIRE(buf != nullptr);
    REQUIRE(back != nullptr);
    const auto content = pattern(13, 0, kSize);
    std::memcpy(buf, content.data(), kSize);
    auto q = tier->openQueue(4);
    CHECK(q->run(writeOp("direct", buf, 0, kSize / 2, kSize)).status == MLPS_OK);
    CHECK(q->run(writeOp("direct", buf + kSize / 2, kSize / 2, kSize / 2)).status == MLPS_OK);
    CHECK(q->run(readOp("direct", back, 0, kSize)).status == MLPS_OK);
    CHECK(std::memcmp(back, content.data(), kSize) == 0);
    CHECK(q->run(readOp("direct", back, 8192, 4096)).status == MLPS_OK);
    CHECK(std::memcmp(back, content.data() + 8192, 4096) == 0);
    // Misaligned buffer, offset or length: an INVALID completion, nothing written.
    CHECK(q->run(writeOp("direct", buf + 1, 0, 4096)).status == MLPS_E_INVALID);
    CHECK(q->run(writeOp("direct", buf, 512, 4096)).status == MLPS_E_INVALID);
    CHECK(q->run(readOp("direct", back, 0, 1000)).status == MLPS_E_INVALID);
    std::free(buf);
    std::free(back);
}

TEST_CASE("posix-nvme: a kernel error becomes a completion with its errno") {
    ScratchDir dir;
    const TierUnderTest t = posixIn(dir.path());
    if (t.descriptor == nullptr) {
        return;
    }
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(4);
    const auto content = pattern(14, 0, 4096);
    // RLIMIT_FSIZE makes a write past 64 KiB fail with EFBIG (SIGXFSZ ignored): a real error
    // from the kernel without a full file system.
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 64 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    const auto c = q->run(writeOp("big", content.data(), 1 << 20, content.size()));
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    std::signal(SIGXFSZ, oldHandler);
    CHECK(c.status == MLPS_E_NO_SPACE);
    CHECK(c.sys_errno == EFBIG);
    CHECK(c.bytes == 0);
    CHECK(q->run(writeOp("big", content.data(), 0, content.size())).status == MLPS_OK);
}

namespace {

// Runs `ios` (all accepted at once) to completion; returns their completions.
std::vector<mlps_completion> runAll(TierQueueDriver &q, std::vector<mlps_io> ios) {
    uint32_t accepted = 0;
    REQUIRE(q.submit(ios.data(), static_cast<uint32_t>(ios.size()), &accepted) == MLPS_OK);
    REQUIRE(accepted == ios.size());
    std::vector<mlps_completion> done;
    while (done.size() < ios.size()) {
        for (const mlps_completion &c : q.poll(1, 64, 5'000'000'000ull)) {
            done.push_back(c);
        }
    }
    return done;
}

} // namespace

TEST_CASE("posix-nvme: chunks merged into one transfer per worker still move every byte") {
    // Workers merge the queued chunks that continue each other (same op, next bytes of both
    // the file and the buffer) into one pread/pwrite, up to their share: one worker takes a
    // whole op in one call; with three, ops of many chunks are cut in runs. Several ops of odd
    // lengths in flight at once, in both layouts, and in `extents` objects split over holes
    // that are not adjacent in the data file: every byte must land where it belongs.
    constexpr uint64_t kChunk = 4096;
    constexpr uint64_t kHole = 12 * kChunk;
    constexpr uint64_t kObject = 2 * kHole; // two holes each in the extents layout
    for (const char *layout : {"files", "extents"}) {
        for (const int threads : {1, 3}) {
            CAPTURE(layout);
            CAPTURE(threads);
            ScratchDir dir;
            const TierUnderTest t = posixIn(dir.path(), [&](Options &o) {
                o.string("layout", layout);
                o.integer("threads", threads);
                o.size("chunk_size", kChunk);
            });
            REQUIRE(t.descriptor != nullptr);
            FakeHost host;
            TierInstance tier = t.create(host, 12 * kHole);
            auto q = tier->openQueue(16);
            // Fill the tier with 12 spacers, then free every other one: 6 holes, none adjacent.
            const std::vector<unsigned char> spacer = pattern(1, 0, kHole);
            std::vector<std::string> spacers;
            std::vector<mlps_io> ios;
            for (int i = 0; i < 12; ++i) {
                spacers.push_back("spacer" + std::to_string(i));
            }
            for (const std::string &key : spacers) {
                ios.push_back(writeOp(key, spacer.data(), 0, kHole, kHole));
            }
            for (const mlps_completion &c : runAll(*q, ios)) {
                CHECK(c.status == MLPS_OK);
            }
            ios.clear();
            for (size_t i = 0; i < spacers.size(); i += 2) {
                ios.push_back(deleteOp(spacers[i]));
            }
            for (const mlps_completion &c : runAll(*q, ios)) {
                CHECK(c.status == MLPS_OK);
            }
            // Three objects, each written as two ops (a head of 9 chunks and 100 bytes, then
            // the rest), all six in flight together.
            const std::string keys[] = {"a", "b", "c"};
            std::vector<std::vector<unsigned char>> content;
            ios.clear();
            for (uint64_t i = 0; i < 3; ++i) {
                content.push_back(pattern(40 + i, 0, kObject));
                const uint64_t head = 9 * kChunk + 100;
                ios.push_back(writeOp(keys[i], content[i].data(), 0, head, kObject));
                ios.push_back(
                    writeOp(keys[i], content[i].data() + head, head, kObject - head, kObject));
            }
            for (const mlps_completion &c : runAll(*q, ios)) {
                CHECK(c.status == MLPS_OK);
            }
            std::vector<std::vector<unsigned char>> back(3, std::vector<unsigned char>(kObject));
            ios.clear();
            for (uint64_t i = 0; i < 3; ++i) {
                ios.push_back(readOp(keys[i], back[i].data(), 0, kObject));
            }
            for (const mlps_completion &c : runAll(*q, ios)) {
                CHECK(c.status == MLPS_OK);
                CHECK(c.bytes == kObject);
            }
            for (size_t i = 0; i < 3; ++i) {
                CHECK(back[i] == content[i]);
            }
            // The spacers left are untouched.
            std::vector<unsigned char> left(kHole);
            CHECK(q->run(readOp(spacers[1], left.data(), 0, kHole)).status == MLPS_OK);
            CHECK(left == spacer);
        }
    }
}
