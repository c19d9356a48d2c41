// The run index: whole lines under concurrent appends, prefix lookup, bad lines skipped.
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "results/run_index.hpp"

namespace fs = std::filesystem;
using mlps::core::RunIndex;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char name[] = "/tmp/mlps-index-XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("an index that does not exist reads as empty") {
    TempDir dir;
    CHECK(RunIndex((dir.path / "nothing").string()).read().empty());
}

TEST_CASE("appends from many threads stay whole lines") {
    TempDir dir;
    const RunIndex index((dir.path / "results").string());
    constexpr int kThreads = 8;
    constexpr int kEach = 50;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Each with its own RunIndex (its own descriptor), as separate runs would be.
            const RunIndex mine((dir.path / "results").string());
            for (int i = 0; i < kEach; ++i) {
                mine.append({{"id", std::to_string(t) + "-" + std::to_string(i)},
                             {"padding", std::string(3000, 'x')}});
            }
        });
    }
    for (auto &thread : threads) {
        thread.join();
    }
    const auto entries = index.read();
    CHECK(entries.size() == kThreads * kEach);
    for (const auto &e : entries) {
        CHECK(e["padding"].get<std::string>().size() == 3000);
    }
}

TEST_CASE("find matches id prefixes; malformed lines are skipped") {
    TempDir dir;
    const RunIndex index(dir.path.string());
    index.append({{"id", "20261127-010101-aaaa"}, {"status", "ok"}});
    {
        std::ofstream out(index.path(), std::ios::app);
        out << "not json\n[1,2]\n";
    }
    index.append({{"id", "20261127-010101-bbbb"}, {"status", "failed"}});
    index.append({{"id", "20261128-000000-cccc"}, {"status", "interrupted"}});
    CHECK(index.read().size() == 3);
    CHECK(index.find("20261127").size() == 2);
    CHECK(index.find("20261127-010101-b").size() == 1);
    CHECK(index.find("20261127-010101-b")[0]["status"] == "failed");
    CHECK(index.find("2027").empty());
}
