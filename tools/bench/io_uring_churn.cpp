// Not a test: a small create/write/delete churn benchmark of the io_uring tier's layouts
// (tierbench never deletes during a run). Keeps `live` objects of `size` bytes; each step
// writes a new object in one op (announcing its size) and deletes the oldest, `depth` ops in
// flight on one queue, for `seconds`. Prints objects created (and deleted) per second.
//
//   IO_URING_SO=.../io_uring.so io_uring-churn-bench DIR files|extents [size] [live] [depth]
//       [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

#define DOCTEST_CONFIG_IMPLEMENT // the harness's REQUIREs need doctest's symbols
#include <doctest/doctest.h>

#include "tier_conformance.hpp"

using namespace mlps::test;

namespace {
// From the command line (main); the run itself is a doctest case so that the harness's
// REQUIREs have a context.
std::string dir, layout;
uint64_t size = 65536, live = 4096;
uint32_t depth = 32;
double seconds = 5.0;
int result = 1;
} // namespace

TEST_CASE("churn") {
    TierUnderTest t;
    t.descriptor = loadPlugin("IO_URING_SO");
    REQUIRE(t.descriptor != nullptr);
    t.addOptions = [&](Options &o) {
        o.string("path", dir, MLPS_OPT_PATH).string("layout", layout, MLPS_OPT_ENUM);
    };
    FakeHost host;
    TierInstance tier = t.create(host);
    auto q = tier->openQueue(depth);
    void *buf = std::aligned_alloc(4096, size);
    std::memset(buf, 0x5a, size);

    std::deque<std::string> keys; // live objects, oldest first; deque keeps key storage stable
    uint64_t next = 0, created = 0, deleted = 0, errors = 0;
    uint32_t inFlight = 0;
    std::vector<mlps_io> batch;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::deque<std::string> dying; // keys of deletes in flight (their bytes must stay valid)
    while (elapsed() < seconds || inFlight != 0) {
        batch.clear();
        const bool more = elapsed() < seconds;
        while (more && inFlight + batch.size() + 2 <= depth) {
            keys.push_back("churn-" + std::to_string(next++));
            batch.push_back(writeOp(keys.back(), buf, 0, size, size, 1));
            if (keys.size() > live) {
                dying.push_back(std::move(keys.front()));
                keys.pop_front();
                batch.push_back(deleteOp(dying.back(), 2));
            }
        }
        if (!batch.empty()) {
            uint32_t accepted = 0;
            q->submit(batch.data(), static_cast<uint32_t>(batch.size()), &accepted);
            if (accepted != batch.size()) {
                std::fprintf(stderr, "submit took %u of %zu\n", accepted, batch.size());
                return;
            }
            inFlight += accepted;
        }
        for (const mlps_completion &c : q->poll(1, depth, 1'000'000'000ull)) {
            --inFlight;
            errors += c.status != MLPS_OK;
            (c.user_data == 1 ? created : deleted) += c.status == MLPS_OK;
        }
        while (dying.size() > depth) {
            dying.pop_front(); // far older than anything in flight
        }
    }
    const double took = elapsed();
    std::printf("layout=%s size=%llu live=%llu depth=%u: %.0f creates/s, %.0f deletes/s, "
                "%.1f MiB/s written, errors=%llu (%.1f s)\n",
                layout.c_str(),
                static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(live),
                depth,
                created / took,
                deleted / took,
                created * static_cast<double>(size) / took / (1 << 20),
                static_cast<unsigned long long>(errors),
                took);
    std::free(buf);
    result = errors == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(
            stderr, "usage: %s DIR files|extents [size] [live] [depth] [seconds]\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    layout = argv[2];
    size = argc > 3 ? std::strtoull(argv[3], nullptr, 0) : size;
    live = argc > 4 ? std::strtoull(argv[4], nullptr, 0) : live;
    depth = argc > 5 ? static_cast<uint32_t>(std::atoi(argv[5])) : depth;
    seconds = argc > 6 ? std::atof(argv[6]) : seconds;
    doctest::Context context;
    context.setOption("no-version", true);
    context.setOption("minimal", true);
    const int rc = context.run();
    return rc != 0 ? rc : result;
}
