// tierbench through its C ABI, against real dram and posix-nvme instances handed out by a fake
// host: counts add up, verify finds no mismatch (and does find a planted one), objects are
// deleted at the end, bad options are refused. End-to-end runs with mlpsrun live in tests/e2e.
#include <cstring>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "plugin_under_test.hpp"
#include "tier_driver.hpp"

namespace fs = std::filesystem;
using namespace mlps::test;
using nlohmann::json;

namespace {

constexpr uint64_t kKiB = 1024;

struct TextSink {
    std::string text;
    mlps_text_sink sink{this, [](void *ctx, const char *data, size_t len) {
                            static_cast<TextSink *>(ctx)->text.append(data, len);
                        }};
};

// A tierbench instance over one tier, driven like the runner does.
class Bench {
  public:
    Bench(const mlps_plugin_descriptor *d, FakeHost &host, Options &options)
        : d_(d), ops_(static_cast<const mlps_benchmark_ops *>(d->ops)) {
        status_ = d->create(host.api(), options.config(), &self_, &err_);
    }
    ~Bench() { destroy(); }
    bool created() const { return status_ == MLPS_OK; }
    const mlps_error &error() const { return err_; }
    mlps_status prepare() { return ops_->prepare(self_, &err_); }
    mlps_status run(uint32_t phase) { return ops_->run(self_, phase, &err_); }
    json report() {
        TextSink out;
        REQUIRE(ops_->report(self_, &out.sink, &err_) == MLPS_OK);
        return json::parse(out.text);
    }
    void destroy() {
        if (created() && self_ != nullptr) {
            d_->destroy(self_);
            self_ = nullptr;
        }
    }

  private:
    const mlps_plugin_descriptor *d_;
    const mlps_benchmark_ops *ops_;
    void *self_ = nullptr;
    mlps_status status_ = MLPS_E_GENERIC;
    mlps_error err_{};
};

struct Setup {
    const mlps_plugin_descriptor *bench = nullptr;
    const mlps_plugin_descriptor *dram = nullptr;
};

Setup load() {
    Setup s;
    s.bench = loadPlugin("TIERBENCH_SO");
    s.dram = loadPlugin("DRAM_SO");
    return s;
}

void addTier(FakeHost &host, TierDriver &tier, const char *name, const mlps_plugin_descriptor *d) {
    host.addTier(FakeHost::Tier{name, d->name, tier.self(), tier.ops(), d->caps});
}

Options benchOptions(const char *mode, const char *pattern) {
    Options o;
    o.string("mode", mode, MLPS_OPT_ENUM)
        .string("pattern", pattern, MLPS_OPT_ENUM)
        .size("object_size", 256 * kKiB)
        .size("io_size", 16 * kKiB)
        .integer("objects", 8)
        .integer("threads", 4)
        .integer("queue_depth", 4)
        .boolean("verify", true);
    return o;
}

} // namespace

TEST_CASE("tierbench: mixed random run over dram adds up and verifies") {
    const Setup s = load();
    if (s.bench == nullptr || s.dram == nullptr) {
        return;
    }
    FakeHost host;
    Options tierOptions;
    tierOptions.tier("fast", 64ull << 20);
    TierDriver dram(s.dram, host, tierOptions.config());
    REQUIRE(dram.created());
    addTier(host, dram, "fast", s.dram);

    Options o = benchOptions("mixed", "random");
    o.size("total_bytes", 4ull << 20).real("read_fraction", 0.5);
    Bench bench(s.bench, host, o);
    INFO("create: " << bench.error().message);
    REQUIRE(bench.created());
    REQUIRE(bench.prepare() == MLPS_OK);
    CHECK(dram.info().objects == 8); // preconditioned
    CHECK(dram.info().used_bytes == 8 * 256 * kKiB);
    REQUIRE(bench.run(MLPS_PHASE_TIMED) == MLPS_OK);

    const uint64_t readBytes = host.sum("read.bytes"), writeBytes = host.sum("write.bytes");
    CHECK(readBytes + writeBytes == 4ull << 20); // total_bytes, exactly: it divides by io_size
    CHECK(host.sum("read.ops") * 16 * kKiB == readBytes);
    CHECK(host.sum("write.ops") * 16 * kKiB == writeBytes);
    CHECK(host.metric("read.latency")->count.load() == host.sum("read.ops"));
    CHECK(host.metric("write.latency")->count.load() == host.sum("write.ops"));
    CHECK(readBytes > 0);
    CHECK(writeBytes > 0);
    CHECK(host.sum("errors") == 0);
    CHECK(host.sum("verify.checked_bytes") == readBytes);
    CHECK(host.sum("verify.mismatched_bytes") == 0);

    const json r = bench.report();
    CHECK(r["tier"] == "fast");
    CHECK(r["plugin"] == "dram");
    CHECK(r["mode"] == "mixed");
    CHECK(r["pattern"] == "random");
    CHECK(r["io_size_bytes"] == 16 * kKiB);
    CHECK(r["read"]["bytes"] == readBytes);
    CHECK(r["read"]["latency_ns"]["count"] == host.sum("read.ops"));
    CHECK(r["write"]["ops"] == host.sum("write.ops"));
    CHECK(r["errors"] == 0);
    CHECK(r["verify"]["enabled"] == true);
    CHECK(r["verify"]["mismatched_bytes"] == 0);

    bench.destroy();
    CHECK(dram.info().objects == 0); // tierbench deletes what it wrote
    CHECK(dram.info().used_bytes == 0);
}

TEST_CASE("tierbench: sequential writes over an emulated (asynchronous) dram") {
    const Setup s = load();
    if (s.bench == nullptr || s.dram == nullptr) {
        return;
    }
    FakeHost host;
    Options tierOptions;
    tierOptions.tier("gpu")
        .duration("emulate.latency", 2000)
        .bandwidth("emulate.bandwidth", 64ull << 30);
    TierDriver dram(s.dram, host, tierOptions.config());
    REQUIRE(dram.created());
    addTier(host, dram, "gpu", s.dram);
    Options o = benchOptions("write", "sequential");
    o.size("total_bytes", 3ull << 20).integer("threads", 2).integer("queue_depth", 8);
    Bench bench(s.bench, host, o);
    REQUIRE(bench.created());
    REQUIRE(bench.prepare() == MLPS_OK);
    CHECK(dram.info().objects == 0); // write mode does not precondition
    REQUIRE(bench.run(MLPS_PHASE_WARMUP) == MLPS_OK);
    REQUIRE(bench.run(MLPS_PHASE_TIMED) == MLPS_OK);
    // The fake host keeps warmup samples too: two phases of total_bytes each.
    CHECK(host.sum("write.bytes") == 6ull << 20);
    CHECK(host.sum("read.bytes") == 0);
    CHECK(host.sum("errors") == 0);
    CHECK(host.metric("write.latency")->min.load() >= 2000); // the emulated latency
    CHECK(dram.info().objects == 8);                         // 3 MiB per phase covers them all
    bench.destroy();
    CHECK(dram.info().objects == 0);
}

TEST_CASE("tierbench: verify catches bytes that changed behind its back") {
    const Setup s = load();
    if (s.bench == nullptr || s.dram == nullptr) {
        return;
    }
    FakeHost host;
    Options tierOptions;
    tierOptions.tier("fast");
    TierDriver dram(s.dram, host, tierOptions.config());
    REQUIRE(dram.created());
    addTier(host, dram, "fast", s.dram);
    Options o = benchOptions("read", "sequential");
    o.size("total_bytes", 2ull << 20); // every object read once
    Bench bench(s.bench, host, o);
    REQUIRE(bench.created());
    REQUIRE(bench.prepare() == MLPS_OK);
    {
        // Overwrite 100 bytes of object 3 with zeros through another queue.
        auto q = dram.openQueue(1);
        const std::vector<unsigned char> zeros(100, 0);
        REQUIRE(q->run(writeOp("tierbench.r0.o3", zeros.data(), 1000, zeros.size())).status ==
                MLPS_OK);
    }
    REQUIRE(bench.run(MLPS_PHASE_TIMED) == MLPS_OK);
    CHECK(host.sum("read.bytes") == 2ull << 20);
    const uint64_t bad = host.sum("verify.mismatched_bytes");
    CHECK(bad > 0);
    CHECK(bad <= 100); // a random byte equals zero now and then
    CHECK(host.sum("errors") == 0);
}

TEST_CASE("tierbench: sequential reads over posix-nvme verify, then stop on request") {
    const Setup s = load();
    const mlps_plugin_descriptor *posix = loadPlugin("POSIX_NVME_SO");
    if (s.bench == nullptr || posix == nullptr) {
        return;
    }
    const std::string dir = (fs::temp_directory_path() / "mlps-tierbench-test").string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        FakeHost host;
        Options tierOptions;
        tierOptions.tier("disk").string("path", dir, MLPS_OPT_PATH);
        TierDriver tier(posix, host, tierOptions.config());
        REQUIRE(tier.created());
        addTier(host, tier, "disk", posix);
        Options o = benchOptions("read", "sequential");
        o.string("tier", "disk");
        Bench bench(s.bench, host, o);
        INFO("create: " << bench.error().message);
        REQUIRE(bench.created());
        REQUIRE(bench.prepare() == MLPS_OK);
        host.stopAfterCalls(40); // no total_bytes: the "duration" ends after a while
        REQUIRE(bench.run(MLPS_PHASE_TIMED) == MLPS_OK);
        CHECK(host.sum("read.ops") > 0);
        CHECK(host.sum("errors") == 0);
        CHECK(host.sum("verify.checked_bytes") == host.sum("read.bytes"));
        CHECK(host.sum("verify.mismatched_bytes") == 0);
        bench.destroy();
        CHECK(tier.info().objects == 0);
    }
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
}

TEST_CASE("tierbench: bad options are refused with a clear message") {
    const Setup s = load();
    if (s.bench == nullptr || s.dram == nullptr) {
        return;
    }
    FakeHost host;
    Options tierOptions;
    tierOptions.tier("fast", 1ull << 20);
    TierDriver dram(s.dram, host, tierOptions.config());
    REQUIRE(dram.created());
    addTier(host, dram, "fast", s.dram);

    const auto refused = [&](Options &o, const char *needle) {
        Bench bench(s.bench, host, o);
        CHECK_FALSE(bench.created());
        INFO("message: " << bench.error().message);
        CHECK(bench.error().code == MLPS_E_INVALID);
        CHECK(std::strstr(bench.error().message, needle) != nullptr);
    };
    Options notDividing = benchOptions("write", "sequential");
    notDividing.size("object_size", 64 * kKiB).size("io_size", 24 * kKiB);
    refused(notDividing, "io_size");
    Options tooBig = benchOptions("write", "sequential");
    tooBig.size("object_size", 64 * kKiB).size("io_size", 128 * kKiB);
    refused(tooBig, "io_size");
    Options noSuchTier = benchOptions("write", "sequential");
    noSuchTier.string("tier", "slow");
    refused(noSuchTier, "fast");
    Options doesNotFit = benchOptions("write", "sequential"); // 8 x 256 KiB > 1 MiB
    refused(doesNotFit, "does not fit");
    Options moreThreads = benchOptions("write", "sequential");
    moreThreads.integer("threads", 16).size("object_size", 64 * kKiB);
    refused(moreThreads, "threads");
}

TEST_CASE("tierbench: plan for --dry-run") {
    const Setup s = load();
    if (s.bench == nullptr || s.dram == nullptr) {
        return;
    }
    FakeHost host;
    host.addTier(FakeHost::Tier{"fast", "dram", nullptr, nullptr, s.dram->caps});
    const auto *ops = static_cast<const mlps_benchmark_ops *>(s.bench->ops);
    REQUIRE(bool(ops->plan));
    Options o = benchOptions("mixed", "sequential");
    TextSink out;
    mlps_error err{};
    REQUIRE(ops->plan(host.api(), o.config(), &out.sink, &err) == MLPS_OK);
    const json plan = json::parse(out.text);
    CHECK(plan["tier"] == "fast");
    CHECK(plan["objects"] == 8);
    CHECK(plan["object_set_bytes"] == 8 * 256 * kKiB);
    CHECK(plan["buffer_bytes"] == 4 * 4 * 16 * kKiB);
    CHECK(plan["preconditions"] == true);
}
