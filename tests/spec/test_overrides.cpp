// --set key.path=value, applied before validation.
#include <string>

#include <doctest/doctest.h>

#include "spec/run_spec.hpp"
#include "spec_test_util.hpp"

using namespace mlps::core;
using mlps::test::kMinimalSpec;
using mlps::test::loadError;
using mlps::test::loadText;

namespace {

const std::string kTwoTiers = "benchmark:\n"
                              "  plugin: tierbench\n"
                              "  options:\n"
                              "tiers:\n"
                              "  - name: fast\n"
                              "    plugin: dram\n"
                              "  - name: slow\n"
                              "    plugin: posix-nvme\n"
                              "    capacity: 1GiB\n"
                              "run:\n"
                              "  duration: 10s\n";

bool startsWith(const std::string &text, const std::string &prefix) {
    return text.rfind(prefix, 0) == 0;
}

} // namespace

TEST_SUITE("overrides") {

    TEST_CASE("an override creates missing maps and is validated like the file") {
        const RunSpec spec = loadText(kMinimalSpec, {"run.duration=5s"});
        CHECK(spec.run.durationNs == 5'000'000'000);
        CHECK(spec.root["run"]["duration"].as<std::string>() == "5s");
        // The original text is kept as read; the tree carries the override.
        CHECK(spec.text == kMinimalSpec);
        // spec.resolved.yaml is written from the tree: it carries the override.
        const YAML::Node reread = YAML::Load(YAML::Dump(spec.root));
        CHECK(reread["run"]["duration"].as<std::string>() == "5s");
        CHECK(reread["tiers"][0]["name"].as<std::string>() == "fast");
    }

    TEST_CASE("later overrides win, and values are parsed as YAML") {
        const RunSpec spec = loadText(kTwoTiers,
                                      {"run.duration=5s",
                                       "run.duration = 7s",
                                       "benchmark.options.verify=true",
                                       "tiers[0].options={bandwidth: 1GB/s, paths: [a, b]}",
                                       "tiers.slow.capacity=2GiB",
                                       "tiers[1].keep=yes",
                                       "plugin_path=[/opt/a, '{tmpdir}/b']",
                                       "run.seed=7"});
        CHECK(spec.run.durationNs == 7'000'000'000);
        CHECK(spec.run.seed == 7);
        REQUIRE(spec.benchmark.options.IsMap());
        CHECK(spec.benchmark.options["verify"].as<std::string>() == "true");
        REQUIRE(spec.tiers.size() == 2);
        REQUIRE(spec.tiers[0].options.IsMap());
        CHECK(spec.tiers[0].options["bandwidth"].as<std::string>() == "1GB/s");
        CHECK(spec.tiers[0].options["paths"].size() == 2);
        CHECK(spec.tiers[1].capacityBytes == 2ull << 30);
        CHECK(spec.tiers[1].keep);
        CHECK_FALSE(spec.tiers[0].keep);
        CHECK(spec.pluginPath == std::vector<std::string>{"/opt/a", "/scratch/b"});
    }

    TEST_CASE("a whole tier can be replaced by name, and a quoted value stays a string") {
        const RunSpec spec = loadText(
            kTwoTiers, {"tiers.slow={name: cold, plugin: dram}", "run.results_dir=\"out/{rank}\""});
        CHECK(spec.tiers[1].name == "cold");
        CHECK(spec.tiers[1].plugin == "dram");
        CHECK(spec.tiers[1].capacityBytes == 0);
        CHECK(spec.run.resultsDir == "out/3");
    }

    TEST_CASE("values from --set are located at --set") {
        CHECK(
            loadError(kMinimalSpec, {"run.duration=lots"}) ==
            "--set: run.duration: expected a duration like 30s, 500ms, 2m or 10us, found \"lots\"");
        CHECK(
            loadError(kMinimalSpec, {"run.durration=5s"}) ==
            "--set: run.durration: unknown key 'durration'; did you mean 'duration'? (allowed: "
            "duration, warmup, seed, results_dir, keep, progress_interval, stonewall, op_timeout, "
            "repeat)");
        CHECK(loadError(kTwoTiers, {"tiers[1].capacity=-1GiB"}) ==
              "--set: tiers[1].capacity: expected a size like 512MiB, 1.5GB or 4096, found "
              "\"-1GiB\"");
        CHECK(loadError(kTwoTiers, {"tiers[0].name=Fast"})
                  .rfind("--set: tiers[0].name: expected a "
                         "tier name",
                         0) == 0);
        // An empty value is null: located at --set too.
        CHECK(loadError(kTwoTiers, {"run.keep="}) ==
              "--set: run.keep: expected true or false, found nothing (null)");
    }

    TEST_CASE("malformed overrides start with --set KEY=VALUE") {
        struct Case {
            const char *override;
            const char *fragment;
        };
        const Case cases[] = {
            {"run.duration", "no '=' found"},
            {"=5s", "empty key"},
            {" =5s", "empty key"},
            {"run..duration=5s", "empty key in \"run..duration\""},
            {".run=1", "empty key"},
            {"run.=1", "empty key"},
            {"run.duration.x=1", "the path goes through run.duration, which is the value \"10s\""},
            {"tiers[2].keep=true", "index 2 is out of range: tiers has 2 element(s)"},
            {"tiers[x].keep=true", "expected a list index like [0]"},
            {"tiers[].keep=true", "expected a list index like [0]"},
            {"tiers[0.keep=true", "expected a list index like [0]"},
            {"tiers[0]x=1", "unexpected \"x\""},
            {"tiers.fsat.keep=true",
             "no element of tiers is named \"fsat\"; did you mean 'fast'? (names: fast, slow)"},
            {"tiers.zzzzzz.keep=true",
             "no element of tiers is named \"zzzzzz\" (names: fast, slow)"},
            {"run[0]=1", "run is a map, not a list, so run[0] does not exist"},
            {"run.duration=[", "the value is not valid YAML"},
            {"run.duration={a: 1", "the value is not valid YAML"},
        };
        for (const Case &c : cases) {
            const std::string override = c.override;
            CAPTURE(override);
            const std::string message = loadError(kTwoTiers, {c.override});
            CHECK(startsWith(message, std::string("--set ") + c.override + ": "));
            CHECK(message.find(c.fragment) != std::string::npos);
        }
    }

    TEST_CASE("an alias bomb in an override value is refused") {
        std::string bomb = "run.x={a0: &a0 [x, x, x, x, x, x, x, x, x, x]";
        for (int i = 1; i < 9; ++i) {
            bomb += ", a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
            for (int j = 0; j < 10; ++j) {
                bomb += (j == 0 ? "*a" : ", *a") + std::to_string(i - 1);
            }
            bomb += "]";
        }
        bomb += "}";
        const std::string message = loadError(kMinimalSpec, {bomb});
        CHECK(startsWith(message, "--set run.x={a0"));
        CHECK(message.find("alias bomb") != std::string::npos);
    }

    TEST_CASE("an override fills a null map on its way") {
        // benchmark.options is null in kTwoTiers (`options:` with nothing under it).
        const RunSpec spec = loadText(kTwoTiers, {"benchmark.options.mode.kind=read"});
        CHECK(spec.benchmark.options["mode"]["kind"].as<std::string>() == "read");
        CHECK(spec.root["benchmark"]["options"]["mode"]["kind"].as<std::string>() == "read");
    }

} // TEST_SUITE
