// The file object store (plugins/tiers/common/file_store.*) under both of its I/O engines:
// every engine × layout passes the conformance suite (the io_uring tests run io_uring × files
// and × extents in full; posix-nvme × files is in posix_nvme_test.cpp; posix-nvme × extents is
// here), and what is the store's own behaves the same through the thread-pool engine
// (posix-nvme) and the io_uring one: the default layout, persistent folders, a DELETE followed
// at once by a WRITE of the same key, the option schema and refused combinations.
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "scratch_dir.hpp"
#include "tier_conformance.hpp"
#include "uring_test_support.hpp"

namespace fs = std::filesystem;
using namespace mlps::test;

namespace {

struct Engine {
    const char *tier;   // plugin name
    const char *envVar; // where meson puts its file
};
constexpr Engine kEngines[] = {{"posix-nvme", "POSIX_NVME_SO"}, {"io_uring", "IO_URING_SO"}};

// The plugin, or nullptr when it was not built or (io_uring) the kernel refuses it here.
const mlps_plugin_descriptor *usable(const Engine &engine, const std::string &dir) {
    const mlps_plugin_descriptor *d = loadPlugin(engine.envVar);
    if (d == nullptr) {
        return nullptr;
    }
    FakeHost host;
    Options probe;
    probe.tier("probe").string("path", dir, MLPS_OPT_PATH).boolean("direct", false);
    TierDriver tier(d, host, probe.config());
    if (!tier.created()) {
        MESSAGE(engine.tier << " skipped: " << tier.error().message);
        return nullptr;
    }
    return d;
}

// Runs `body(descriptor, folder)` once per engine that is usable here, each in a fresh folder.
void forEachEngine(
    const std::function<void(const mlps_plugin_descriptor *, const std::string &)> &body) {
    for (const Engine &engine : kEngines) {
        ScratchDir dir;
        const mlps_plugin_descriptor *d = usable(engine, dir.path());
        if (d == nullptr) {
            continue;
        }
        const std::string tierName = engine.tier;
        CAPTURE(tierName);
        body(d, dir.path());
    }
}

// Runs `body(tier)` once per engine usable here: a tier in a fresh folder, every option at its
// default but `direct` (off, for file systems without O_DIRECT).
void forEachDefaultTier(const std::function<void(TierDriver &)> &body) {
    forEachEngine([&](const mlps_plugin_descriptor *d, const std::string &dir) {
        FakeHost host;
        Options o;
        o.tier("disk").string("path", dir, MLPS_OPT_PATH).boolean("direct", false);
        TierDriver tier(d, host, o.config());
        REQUIRE(tier.created());
        body(tier);
    });
}

// Object files: everything but the folder's owner record.
size_t regularFilesUnder(const std::string &dir) {
    size_t n = 0;
    for (const auto &entry : fs::recursive_directory_iterator(dir)) {
        n += entry.is_regular_file() && entry.path().filename() != ".mlps-owner";
    }
    return n;
}

bool hasOption(const mlps_plugin_descriptor *d, const char *name, const char *defaultValue) {
    for (uint32_t i = 0; i < d->n_options; ++i) {
        const mlps_option_spec &o = d->options[i];
        if (std::strcmp(o.name, name) == 0) {
            return defaultValue == nullptr ||
                   (o.default_value != nullptr && std::strcmp(o.default_value, defaultValue) == 0);
        }
    }
    return false;
}

bool optionWithoutDefault(const mlps_plugin_descriptor *d, const char *name) {
    for (uint32_t i = 0; i < d->n_options; ++i) {
        if (std::strcmp(d->options[i].name, name) == 0) {
            return d->options[i].default_value == nullptr;
        }
    }
    return false;
}

} // namespace

TEST_CASE("file store: posix-nvme × extents conformance (plugins check)") {
    ScratchDir dir;
    SUBCASE("every check") {
        checkConformance("POSIX_NVME_SO", {"layout=extents"}, dir.path());
    }
    SUBCASE("small chunks cut at extent boundaries, one worker") {
        checkConformance("POSIX_NVME_SO",
                         {"layout=extents", "chunk_size=4096", "threads=1"},
                         dir.path(),
                         {"round-trip", "byte-ranges", "many-queues"});
    }
    SUBCASE("sync after every write") {
        checkConformance("POSIX_NVME_SO",
                         {"layout=extents", "sync=fdatasync"},
                         dir.path(),
                         {"round-trip", "sync"});
    }
    CHECK(fs::is_empty(dir.path())); // every tier removed its folder
}

TEST_CASE("file store: both tiers offer both layouts and persistent folders") {
    for (const Engine &engine : kEngines) {
        const mlps_plugin_descriptor *d = loadPlugin(engine.envVar);
        if (d == nullptr) {
            continue;
        }
        const std::string tierName = engine.tier;
        CAPTURE(tierName);
        const bool uring = std::strcmp(engine.tier, "io_uring") == 0;
        // No schema default for layout (extents, or files with persistent_folder): the store
        // must see whether the spec chose one.
        CHECK(optionWithoutDefault(d, "layout"));
        CHECK(hasOption(d, "direct", uring ? "true" : "false"));
        for (const char *name :
             {"path", "sync", "fanout", "chunk_size", "preallocate", "persistent_folder"}) {
            CAPTURE(name);
            CHECK(hasOption(d, name, nullptr));
        }
    }
}

TEST_CASE("file store: without a layout chosen, either engine keeps objects in one data file") {
    forEachDefaultTier([&](TierDriver &tier) {
        const std::string location = tier.info().location;
        const auto content = pattern(5, 0, 8192);
        {
            auto q = tier.openQueue(4);
            for (const std::string key : {"one", "two", "three"}) {
                CHECK(q->run(writeOp(key, content.data(), 0, content.size())).status == MLPS_OK);
            }
        }
        CHECK(tier.info().objects == 3);
        CHECK(regularFilesUnder(location) == 1);
        CHECK(fs::is_regular_file(location + "/extents.data"));
    });
}

TEST_CASE("file store: a persistent folder outlives the tier, through either engine") {
    forEachEngine([&](const mlps_plugin_descriptor *d, const std::string &dir) {
        FakeHost host;
        const auto content = pattern(3, 0, 12288);
        const std::string folder = dir + "/ckpt";
        auto make = [&] {
            Options o;
            o.tier("disk")
                .string("path", dir, MLPS_OPT_PATH)
                .string("persistent_folder", "ckpt", MLPS_OPT_STRING)
                .boolean("direct", false)
                .integer("fanout", 4);
            return std::make_unique<TierDriver>(d, host, o.config());
        };
        {
            auto first = make(); // the files layout, though the default is extents
            REQUIRE(first->created());
            CHECK(std::string(first->info().location) == folder);
            auto q = first->openQueue(4);
            CHECK(q->run(writeOp("step1/shard", content.data(), 0, content.size())).status ==
                  MLPS_OK);
            CHECK(q->run(writeOp("gone", content.data(), 0, 4096)).status == MLPS_OK);
            CHECK(q->run(deleteOp("gone")).status == MLPS_OK);
        }
        CHECK(regularFilesUnder(folder) == 1); // the deleted object's file went, nothing else
        {
            auto second = make();
            REQUIRE(second->created());
            auto q = second->openQueue(4);
            std::vector<unsigned char> back(content.size());
            CHECK(q->run(readOp("step1/shard", back.data(), 0, back.size())).status == MLPS_OK);
            CHECK(back == content);
            CHECK(q->run(readOp("gone", back.data(), 0, 4096)).status == MLPS_E_NOT_FOUND);
            CHECK(q->run(deleteOp("step1/shard")).status == MLPS_OK);
        }
        // Emptied by the second instance, which did not make the folder: it stays (a tier
        // removes only what it created), with nothing in it, no tombstone either.
        CHECK(fs::is_directory(folder));
        CHECK(regularFilesUnder(folder) == 0);
    });
}

TEST_CASE("file store: a DELETE then at once a WRITE of the key keeps the new object") {
    // Both in one submit() call, so the engine's unlink of the old file (off the submitting
    // call) runs after the new file was created. The store renamed the old one away under the
    // index lock: the new object is a new file that survives, seen again by a later run.
    for (const Engine &engine : kEngines) {
        for (const char *layout : {"files", "extents"}) {
            ScratchDir dir;
            const mlps_plugin_descriptor *d = usable(engine, dir.path());
            if (d == nullptr) {
                continue;
            }
            const std::string tierName = engine.tier;
            CAPTURE(tierName);
            const std::string layoutName = layout;
            CAPTURE(layoutName);
            const bool files = std::strcmp(layout, "files") == 0;
            FakeHost host;
            const auto before = pattern(1, 0, 8192);
            const auto after = pattern(2, 0, 8192);
            auto make = [&] {
                Options o;
                o.tier("disk").string("path", dir.path(), MLPS_OPT_PATH).boolean("direct", false);
                if (files) { // a folder the next instance finds again
                    o.string("persistent_folder", "p", MLPS_OPT_STRING);
                } else {
                    o.string("layout", layout, MLPS_OPT_ENUM);
                }
                return std::make_unique<TierDriver>(d, host, o.config());
            };
            {
                auto tier = make();
                REQUIRE(tier->created());
                auto q = tier->openQueue(8);
                CHECK(q->run(writeOp("k", before.data(), 0, before.size())).status == MLPS_OK);
                for (int round = 0; round < 3; ++round) {
                    const std::vector<mlps_io> ios = {
                        deleteOp("k", 1), writeOp("k", after.data(), 0, after.size(), 0, 2)};
                    for (const mlps_completion &c : runAll(*q, ios)) {
                        CHECK(c.status == MLPS_OK);
                    }
                }
                std::vector<unsigned char> back(after.size());
                CHECK(q->run(readOp("k", back.data(), 0, back.size())).status == MLPS_OK);
                CHECK(back == after);
                CHECK(tier->info().objects == 1);
            }
            if (!files) {
                continue;
            }
            CHECK(regularFilesUnder(dir.path() + "/p") == 1); // no tombstone left behind
            auto later = make();
            REQUIRE(later->created());
            auto q = later->openQueue(4);
            std::vector<unsigned char> back(after.size());
            CHECK(q->run(readOp("k", back.data(), 0, back.size())).status == MLPS_OK);
            CHECK(back == after);
            CHECK(q->run(deleteOp("k")).status == MLPS_OK);
        }
    }
}

TEST_CASE("file store: persistent_folder with the extents layout is refused, naming both") {
    forEachEngine([&](const mlps_plugin_descriptor *d, const std::string &dir) {
        FakeHost host;
        Options o;
        o.tier("disk")
            .string("path", dir, MLPS_OPT_PATH)
            .boolean("direct", false)
            .string("layout", "extents", MLPS_OPT_ENUM)
            .string("persistent_folder", "p", MLPS_OPT_STRING);
        TierDriver tier(d, host, o.config());
        CHECK_FALSE(tier.created());
        CHECK(tier.status() == MLPS_E_INVALID);
        const std::string message = tier.error().message;
        CHECK(message.find("persistent_folder") != std::string::npos);
        CHECK(message.find("layout: files") != std::string::npos);
        CHECK(fs::is_empty(dir)); // refused before making anything
    });
}

TEST_CASE("file store: a queue run by one thread after another, idle in between, keeps working") {
    // As tierbench does it: a queue opened on one thread, each phase on a fresh thread, the
    // clean-up back on the first. (io_uring: a single-issuer ring belongs to the thread that
    // first used it; the queue must move to a ring the next thread may use.)
    forEachDefaultTier([&](TierDriver &tier) {
        auto q = tier.openQueue(4);
        const auto content = pattern(7, 0, 16384);
        for (int phase = 0; phase < 3; ++phase) {
            const std::string key = "phase" + std::to_string(phase);
            mlps_status wrote = MLPS_E_GENERIC;
            mlps_status read = MLPS_E_GENERIC;
            std::vector<unsigned char> back(content.size());
            std::thread([&] {
                wrote = q->run(writeOp(key, content.data(), 0, content.size())).status;
                read = q->run(readOp(key, back.data(), 0, back.size())).status;
            }).join();
            CHECK(wrote == MLPS_OK);
            CHECK(read == MLPS_OK);
            CHECK(back == content);
        }
        for (int phase = 0; phase < 3; ++phase) {
            CHECK(q->run(deleteOp("phase" + std::to_string(phase))).status == MLPS_OK);
        }
        CHECK(tier.info().objects == 0);
    });
}
