// Plugin options validated against a fake descriptor's schema.
#include <cstring>
#include <string>

#include <doctest/doctest.h>

#include "spec/option_resolver.hpp"
#include "spec/spec_parser.hpp"
#include "spec_test_util.hpp"
#include "util/errors.hpp"

using namespace mlps::core;
using mlps::test::configErrorOf;
using mlps::test::loadText;
using mlps::test::testContext;

namespace {

// A later ABI minor may append fields to mlps_option_spec; the resolver must step through the
// array by option_struct_size. This element is larger than sizeof(mlps_option_spec), so
// indexing with sizeof would read garbage.
struct FutureOption {
    mlps_option_spec base;
    uint64_t appended[3];
};

// clang-format off
const FutureOption kOptions[] = {
    {{"mode", MLPS_OPT_ENUM, 0, "read", nullptr, nullptr, "read|write|mixed", "what to do"}, {1, 2, 3}},
    {{"queue_depth", MLPS_OPT_INT, 0, "32", "1", "4096", nullptr, "in flight"}, {}},
    {{"ratio", MLPS_OPT_FLOAT, 0, "0.5", "0", "1", nullptr, nullptr}, {}},
    {{"verify", MLPS_OPT_BOOL, 0, "false", nullptr, nullptr, nullptr, nullptr}, {}},
    {{"block_size", MLPS_OPT_SIZE, 0, "4KiB", "512", "1GiB", nullptr, nullptr}, {}},
    {{"think_time", MLPS_OPT_DURATION, 0, "0", nullptr, "1s", nullptr, nullptr}, {}},
    {{"emulate.bandwidth", MLPS_OPT_BANDWIDTH, 0, nullptr, "1MB/s", nullptr, nullptr, nullptr}, {}},
    {{"emulate.latency", MLPS_OPT_DURATION, 0, "10us", nullptr, nullptr, nullptr, nullptr}, {}},
    {{"label", MLPS_OPT_STRING, 0, "run-{rank}", nullptr, nullptr, nullptr, nullptr}, {}},
    {{"dir", MLPS_OPT_PATH, 0, nullptr, nullptr, nullptr, nullptr, nullptr}, {}},
    {{"model", MLPS_OPT_STRING, MLPS_OPT_F_REQUIRED, nullptr, nullptr, nullptr, nullptr, "model name"}, {}},
    {{"extra", MLPS_OPT_JSON, 0, "{\"k\": [1, 2]}", nullptr, nullptr, nullptr, nullptr}, {}},
};
// clang-format on

mlps_plugin_descriptor fakeDescriptor() {
    mlps_plugin_descriptor d{};
    d.struct_size = sizeof d;
    d.kind = MLPS_KIND_BENCHMARK;
    d.name = "fakebench";
    d.version = "1.0";
    d.summary = "a fake";
    d.options = &kOptions[0].base;
    d.n_options = std::size(kOptions);
    d.option_struct_size = sizeof(FutureOption);
    return d;
}

std::string specWith(const std::string &options) {
    return "benchmark:\n"
           "  plugin: fakebench\n"
           "  options:\n" +
           options + "tiers: [{name: a, plugin: dram}]\n";
}

ResolvedOptions resolve(const std::string &options,
                        const std::vector<std::string> &overrides = {}) {
    const RunSpec spec = loadText(specWith(options), overrides);
    return resolveOptions(fakeDescriptor(), spec.benchmark, testContext());
}

std::string resolveError(const std::string &options,
                         const std::vector<std::string> &overrides = {}) {
    return configErrorOf([&] { resolve(options, overrides); });
}

const mlps_option_value &valueOf(const mlps_config *config, const char *name) {
    for (uint32_t i = 0; i < config->n_values; ++i) {
        if (std::strcmp(config->values[i].name, name) == 0) {
            return config->values[i];
        }
    }
    FAIL("no value named " << name);
    return config->values[0];
}

} // namespace

TEST_SUITE("options") {

    TEST_CASE("defaults apply and every schema option is present") {
        ResolvedOptions resolved = resolve("    model: llama\n");
        const mlps_config *config = resolved.config();
        CHECK(config->struct_size == sizeof(mlps_config));
        CHECK(config->n_values == std::size(kOptions));
        CHECK(std::string(valueOf(config, "mode").v.s) == "read");
        CHECK(valueOf(config, "mode").is_set == 1);
        CHECK(valueOf(config, "queue_depth").v.i == 32);
        CHECK(valueOf(config, "ratio").v.f == 0.5);
        CHECK(valueOf(config, "verify").v.b == 0);
        CHECK(valueOf(config, "block_size").v.u == 4096);
        CHECK(valueOf(config, "think_time").v.u == 0);
        CHECK(valueOf(config, "emulate.bandwidth").is_set == 0);
        CHECK(valueOf(config, "emulate.latency").v.u == 10'000);
        CHECK(std::string(valueOf(config, "label").v.s) == "run-3"); // defaults are expanded too
        CHECK(valueOf(config, "dir").is_set == 0);
        CHECK(std::string(valueOf(config, "dir").v.s).empty());
        CHECK(std::string(valueOf(config, "model").v.s) == "llama");
        CHECK(nlohmann::json::parse(valueOf(config, "extra").v.s) ==
              nlohmann::json::parse("{\"k\": [1, 2]}"));
        const nlohmann::json expected = {
            {"mode", "read"},
            {"queue_depth", 32},
            {"ratio", 0.5},
            {"verify", false},
            {"block_size", 4096},
            {"think_time", 0},
            {"emulate", {{"bandwidth", nullptr}, {"latency", 10'000}}},
            {"label", "run-3"},
            {"dir", nullptr},
            {"model", "llama"},
            {"extra", {{"k", {1, 2}}}},
        };
        CHECK(resolved.json() == expected);
        CHECK(nlohmann::json::parse(config->json) == expected);
    }

    TEST_CASE("values of every type, nested and dotted") {
        ResolvedOptions resolved =
            resolve("    mode: mixed\n"
                    "    queue_depth: 4096\n"
                    "    ratio: 1\n"
                    "    verify: yes\n"
                    "    block_size: 1GiB\n"
                    "    think_time: 500ms\n"
                    "    emulate:\n"
                    "      bandwidth: 64GB/s\n"
                    "    emulate.latency: 2ms\n"
                    "    label: \"{{literal}}-{host}\"\n"
                    "    dir: \"{tmpdir}/{run_id}\"\n"
                    "    model: '7b'\n"
                    "    extra: {list: [1, 'two', 3.5, true, null], s: \"42\"}\n");
        const mlps_config *config = resolved.config();
        CHECK(std::string(valueOf(config, "mode").v.s) == "mixed");
        CHECK(valueOf(config, "queue_depth").v.i == 4096);
        CHECK(valueOf(config, "ratio").v.f == 1.0);
        CHECK(valueOf(config, "verify").v.b == 1);
        CHECK(valueOf(config, "block_size").v.u == 1ull << 30);
        CHECK(valueOf(config, "think_time").v.u == 500'000'000);
        CHECK(valueOf(config, "emulate.bandwidth").v.u == 64'000'000'000);
        CHECK(valueOf(config, "emulate.bandwidth").is_set == 1);
        CHECK(valueOf(config, "emulate.latency").v.u == 2'000'000);
        CHECK(std::string(valueOf(config, "label").v.s) == "{literal}-node7");
        CHECK(std::string(valueOf(config, "dir").v.s) == "/scratch/r42");
        CHECK(std::string(valueOf(config, "model").v.s) == "7b");
        CHECK(nlohmann::json::parse(valueOf(config, "extra").v.s) ==
              nlohmann::json::parse(R"({"list": [1, "two", 3.5, true, null], "s": "42"})"));
        CHECK(resolved.json()["emulate"]["bandwidth"] == 64'000'000'000ull);
        CHECK(resolved.json()["extra"]["list"][1] == "two");
    }

    TEST_CASE("out of range, wrong type, not a choice") {
        CHECK(resolveError("    model: m\n    queue_depth: 0\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer in [1, 4096], "
              "found "
              "0");
        CHECK(resolveError("    model: m\n    queue_depth: 5000\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer in [1, 4096], "
              "found "
              "5000");
        CHECK(resolveError("    model: m\n    queue_depth: many\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer, found \"many\"");
        CHECK(resolveError("    model: m\n    queue_depth: 1.5\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer, found \"1.5\"");
        CHECK(resolveError("    model: m\n    queue_depth: 99999999999999999999\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer, found "
              "\"99999999999999999999\"");
        CHECK(resolveError("    model: m\n    queue_depth: [1]\n") ==
              "spec.yaml:5:18: benchmark.options.queue_depth: expected an integer, found a list");
        CHECK(resolveError("    model: m\n    ratio: 1.01\n") ==
              "spec.yaml:5:12: benchmark.options.ratio: expected a number in [0, 1], found 1.01");
        CHECK(resolveError("    model: m\n    ratio: nan\n") ==
              "spec.yaml:5:12: benchmark.options.ratio: expected a number, found \"nan\"");
        CHECK(resolveError("    model: m\n    block_size: 100\n") ==
              "spec.yaml:5:17: benchmark.options.block_size: expected a size in [512, 1GiB], found "
              "100");
        CHECK(resolveError("    model: m\n    block_size: lots\n") ==
              "spec.yaml:5:17: benchmark.options.block_size: expected a size like 512MiB, 1.5GB or "
              "4096, found \"lots\"");
        CHECK(resolveError("    model: m\n    think_time: 2s\n") ==
              "spec.yaml:5:17: benchmark.options.think_time: expected a duration of at most 1s, "
              "found "
              "2s");
        CHECK(
            resolveError("    model: m\n    emulate: {bandwidth: 1KB/s}\n") ==
            "spec.yaml:5:26: benchmark.options.emulate.bandwidth: expected a bandwidth of at least "
            "1MB/s, found 1KB/s");
        CHECK(
            resolveError("    model: m\n    verify: perhaps\n") ==
            "spec.yaml:5:13: benchmark.options.verify: expected true or false, found \"perhaps\"");
        CHECK(resolveError("    model: m\n    mode: wirte\n") ==
              "spec.yaml:5:11: benchmark.options.mode: expected one of read, write, mixed, found "
              "\"wirte\"; did you mean 'write'?");
        CHECK(resolveError("    model: m\n    mode: {a: 1}\n") ==
              "spec.yaml:5:11: benchmark.options.mode: expected one of read, write, mixed, found a "
              "map");
        CHECK(resolveError("    model: [m]\n") ==
              "spec.yaml:4:12: benchmark.options.model: expected a string, found a list");
        CHECK(resolveError("    model: m\n    dir: /x/{nope}\n")
                  .rfind("spec.yaml:5:10: benchmark.options.dir: unknown placeholder \"{nope}\"",
                         0) == 0);
        // A null value is located at its key.
        CHECK(resolveError("    model: m\n    queue_depth:\n    ratio: 0\n") ==
              "spec.yaml:5:5: benchmark.options.queue_depth: expected an integer, found nothing "
              "(null)");
    }

    TEST_CASE("unknown, duplicated, missing and misplaced options") {
        CHECK(resolveError("    model: m\n    emulate:\n      bandwith: 1GB/s\n") ==
              "spec.yaml:6:7: benchmark.options.emulate.bandwith: unknown option; did you mean "
              "'emulate.bandwidth'? (options of fakebench: mode, queue_depth, ratio, verify, "
              "block_size, think_time, emulate.bandwidth, emulate.latency, label, dir, model, "
              "extra)");
        CHECK(
            resolveError("    model: m\n    queu_depth: 1\n")
                .rfind("spec.yaml:5:5: benchmark.options.queu_depth: unknown option; did you mean "
                       "'queue_depth'?",
                       0) == 0);
        CHECK(resolveError("    model: m\n    emulate.bandwidth: 1GB/s\n    emulate: {bandwidth: "
                           "2GB/s}\n") ==
              "spec.yaml:6:15: benchmark.options.emulate.bandwidth: option 'emulate.bandwidth' is "
              "given twice (first at spec.yaml:5:5)");
        CHECK(resolveError("    model: m\n    emulate: fast\n") ==
              "spec.yaml:5:14: benchmark.options.emulate: expected a map of bandwidth, latency, "
              "found "
              "\"fast\"");
        CHECK(resolveError("    mode: read\n") ==
              "spec.yaml:4:5: benchmark.options: missing required option 'model' (string: model "
              "name)");
        // No options at all: the required one is missing, located at the plugin.
        const RunSpec spec =
            loadText("benchmark: {plugin: fakebench}\ntiers: [{name: a, plugin: b}]\n");
        CHECK(configErrorOf(
                  [&] { resolveOptions(fakeDescriptor(), spec.benchmark, testContext()); }) ==
              "spec.yaml:1:21: benchmark.options: missing required option 'model' (string: model "
              "name)");
        // `emulate:` with nothing under it sets nothing.
        CHECK(resolve("    model: m\n    emulate:\n").config()->n_values == std::size(kOptions));
    }

    TEST_CASE("options set with --set are located at --set") {
        CHECK(resolveError("    model: m\n", {"benchmark.options.queue_depth=0"}) ==
              "--set: benchmark.options.queue_depth: expected an integer in [1, 4096], found 0");
        CHECK(resolveError("    model: m\n", {"benchmark.options.emulate.bandwith=1GB/s"})
                  .rfind("--set: benchmark.options.emulate.bandwith: unknown option; did you mean "
                         "'emulate.bandwidth'?",
                         0) == 0);
        ResolvedOptions resolved =
            resolve("    model: m\n", {"benchmark.options.emulate.bandwidth=2GiB/s"});
        CHECK(valueOf(resolved.config(), "emulate.bandwidth").v.u == 2ull << 30);
    }

    TEST_CASE("a plugin without options, and options that are not a map") {
        mlps_plugin_descriptor d = fakeDescriptor();
        d.options = nullptr;
        d.n_options = 0;
        PluginUse use;
        use.keyPath = "tiers[2]";
        use.optionsAt = SourceLocation{"s.yaml", 9, 5};
        ResolvedOptions none = resolveOptions(d, use, testContext());
        CHECK(none.config()->n_values == 0);
        CHECK(std::string(none.config()->json) == "{}");
        use.options = YAML::Load("[1, 2]");
        CHECK(configErrorOf([&] { resolveOptions(d, use, testContext()); }) ==
              "s.yaml:9:5: tiers[2].options: expected a map of options, found a list");
        use.options = YAML::Load("{x: 1}");
        CHECK(configErrorOf([&] { resolveOptions(d, use, testContext()); }) ==
              "s.yaml:1:2: tiers[2].options.x: unknown option (options of fakebench: none)");
    }

    TEST_CASE("the core's own values, replacement, and moves keep pointers valid") {
        ResolvedOptions resolved = resolve("    model: m\n");
        resolved.addSize("capacity", 1 << 20);
        resolved.addBool("keep", true);
        std::string name = "fast";
        resolved.addString("tier_name", name);
        name = "changed";                     // the view owns its copy
        resolved.addSize("queue_depth.x", 1); // a new dotted name nests in json()
        ResolvedOptions moved = std::move(resolved);
        const mlps_config *config = moved.config();
        CHECK(config->n_values == std::size(kOptions) + 4);
        CHECK(valueOf(config, "capacity").v.u == 1 << 20);
        CHECK(valueOf(config, "capacity").type == MLPS_OPT_SIZE);
        CHECK(valueOf(config, "keep").v.b == 1);
        CHECK(std::string(valueOf(config, "tier_name").v.s) == "fast");
        CHECK(std::string(valueOf(config, "model").v.s) == "m");
        CHECK(moved.json()["tier_name"] == "fast");
        CHECK(moved.json()["capacity"] == 1 << 20);
        // Adding a name that exists replaces it.
        moved.addBool("keep", false);
        config = moved.config();
        CHECK(config->n_values == std::size(kOptions) + 4);
        CHECK(valueOf(config, "keep").v.b == 0);
        CHECK(nlohmann::json::parse(config->json)["keep"] == false);
    }

    TEST_CASE("a broken default is the plugin's fault") {
        static const mlps_option_spec kBroken[] = {
            {"n", MLPS_OPT_INT, 0, "lots", nullptr, nullptr, nullptr, nullptr},
        };
        mlps_plugin_descriptor d = fakeDescriptor();
        d.options = kBroken;
        d.n_options = 1;
        d.option_struct_size = sizeof(mlps_option_spec);
        PluginUse use;
        use.keyPath = "benchmark";
        CHECK_THROWS_AS(resolveOptions(d, use, testContext()), PluginError);
    }

} // TEST_SUITE
