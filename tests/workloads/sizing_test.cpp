// The sizing rules of training and checkpoint against the figures the reference publishes
// (reference/mlpstorage.md §4.2 and §4.5): pure functions, no host, no I/O.
#include <doctest/doctest.h>

#include <mlps/plugin.hpp>

#include "layout.hpp"
#include "workloads.hpp"

using namespace mlps;

namespace {
constexpr uint64_t kGiB = 1ull << 30;

double gb(uint64_t bytes) {
    return double(bytes) / 1e9;
}
} // namespace

TEST_CASE("training datasize: the reference's verified examples") {
    using training::dataSize;
    using training::findWorkload;
    // unet3d/h100, 1 x 64 GB, 4 accelerators: step-bound, 14,000 files.
    const auto unet = dataSize(*findWorkload("unet3d", "h100"), 64 * kGiB, 4);
    CHECK(unet.files == 14000);
    CHECK(unet.filesForSteps == 14000);
    CHECK(unet.filesForMemory == 2343);
    CHECK(unet.subfolders == 1);
    // resnet50/h100, 16 accelerators: 2,557; cosmoflow/h100: 121,477 (memory-bound).
    CHECK(dataSize(*findWorkload("resnet50", "h100"), 64 * kGiB, 16).files == 2557);
    CHECK(dataSize(*findWorkload("cosmoflow", "h100"), 64 * kGiB, 16).files == 121477);
    // retinanet/b200, 2 x 256 GB, 8 accelerators: 8,511,284; flux/b200 4,408; dlrm/b200 765.
    CHECK(dataSize(*findWorkload("retinanet", "b200"), 512 * kGiB, 8).files == 8511284);
    CHECK(dataSize(*findWorkload("flux", "b200"), 512 * kGiB, 8).files == 4408);
    CHECK(dataSize(*findWorkload("dlrm", "b200"), 512 * kGiB, 8).files == 765);
}

TEST_CASE("training workloads: only the pairs with a DLIO configuration exist") {
    CHECK(training::findWorkload("unet3d", "a100") != nullptr);
    CHECK(training::findWorkload("unet3d", "b200") == nullptr);
    CHECK(training::findWorkload("dlrm", "h100") == nullptr);
    CHECK(training::knownWorkloadName("flux"));
    CHECK_FALSE(training::knownWorkloadName("bert"));
    CHECK(training::findWorkload("retinanet", "mi355")->batch == 36);
}

TEST_CASE("checkpoint: 405B at 512 processes is 256 x 11.8 GB + 256 x 8.85 GB") {
    const auto *m = checkpoint::findModel("llama3-405b");
    REQUIRE(m != nullptr);
    const auto l = checkpoint::makeLayout(*m, 512, checkpoint::Mode::Auto, 0);
    CHECK_FALSE(l.subset);
    for (uint32_t r = 0; r < 512; ++r) {
        const double expected = r < 256 ? 11.80 : 8.85;
        CHECK(gb(l.rankBytes(r)) == doctest::Approx(expected).epsilon(0.005));
    }
    CHECK(l.rankShards(0).size() == 2);   // the stage's model file and the optimizer shard
    CHECK(l.rankShards(300).size() == 1); // dp 1: the optimizer shard only
    CHECK(l.rankShards(300)[0].file == "zero_pp_rank_1_mp_rank_44_optim_states.pt");
    CHECK(l.jobBytes() == l.modelBytes + l.optimizerBytes); // the shards add up exactly
    CHECK(gb(l.jobBytes()) == doctest::Approx(5288).epsilon(0.001));
}

TEST_CASE("checkpoint: ZeRO 3 models split evenly; CLOSED sizes from the table") {
    const auto *m8 = checkpoint::findModel("llama3-8b");
    const auto l8 = checkpoint::makeLayout(*m8, 8, checkpoint::Mode::Auto, 0);
    CHECK(l8.jobBytes() == 105'000'000'000ull);
    CHECK(gb(l8.rankBytes(3)) == doctest::Approx(105.0 / 8));
    const auto l70 =
        checkpoint::makeLayout(*checkpoint::findModel("llama3-70b"), 64, checkpoint::Mode::Auto, 0);
    CHECK(l70.jobBytes() == 911'000'000'000ull);
}

TEST_CASE("checkpoint: subset mode writes the first ranks of the CLOSED layout") {
    // The reference's 8-process subset sizes: 70B 114 GB, 405B 94 GB, 1T 161 GB.
    struct Case {
        const char *model;
        double gb;
    } cases[] = {{"llama3-70b", 114}, {"llama3-405b", 94}, {"llama3-1t", 161}};
    for (const auto &c : cases) {
        const auto l =
            checkpoint::makeLayout(*checkpoint::findModel(c.model), 8, checkpoint::Mode::Auto, 0);
        CHECK(l.subset);
        CHECK(gb(l.jobBytes()) == doctest::Approx(c.gb).epsilon(0.01));
    }
}

TEST_CASE("checkpoint: an explicit size keeps the ratio and adds up exactly") {
    const auto *m = checkpoint::findModel("llama3-8b");
    const auto l = checkpoint::makeLayout(*m, 3, checkpoint::Mode::Default, 24 << 20);
    CHECK(l.jobBytes() == (24u << 20));
    CHECK(l.rankBytes(0) + l.rankBytes(1) + l.rankBytes(2) == (24u << 20));
    const auto aligned = checkpoint::makeLayout(*m, 3, checkpoint::Mode::Default, 24 << 20, 4096);
    CHECK(aligned.rankBytes(1) % 4096 == 0);
}

TEST_CASE("checkpoint: layouts that cannot be made are refused") {
    const auto *m70 = checkpoint::findModel("llama3-70b");
    CHECK_THROWS_AS(checkpoint::makeLayout(*m70, 12, checkpoint::Mode::Default, 0), mlps::Error);
    CHECK_THROWS_AS(checkpoint::makeLayout(*m70, 65, checkpoint::Mode::Subset, 0), mlps::Error);
    CHECK_NOTHROW(checkpoint::makeLayout(*m70, 16, checkpoint::Mode::Default, 0));
    CHECK(checkpoint::findModel("llama3-7b") == nullptr);
}
