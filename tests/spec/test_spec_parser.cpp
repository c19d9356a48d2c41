// The structure of a spec: what it turns into, and exact file:line:col messages for mistakes.
#include <string>

#include <doctest/doctest.h>

#include "spec/run_spec.hpp"
#include "spec_test_util.hpp"

using namespace mlps::core;
using mlps::test::kMinimalSpec;
using mlps::test::loadError;
using mlps::test::loadText;

TEST_SUITE("parser") {

    TEST_CASE("a full spec") {
        const std::string text = "# a comment\n"
                                 "benchmark:\n"
                                 "  plugin: tierbench\n"
                                 "  options:\n"
                                 "    mode: read\n"
                                 "tiers:\n"
                                 "  - name: fast\n"
                                 "    plugin: dram\n"
                                 "    capacity: 1.5GiB\n"
                                 "    options: {bandwidth: 1GB/s}\n"
                                 "  - name: slow-2\n"
                                 "    plugin_file: ./plugins/posix-nvme.so\n"
                                 "    keep: false\n"
                                 "run:\n"
                                 "  duration: 2m\n"
                                 "  warmup: 500ms\n"
                                 "  seed: 18446744073709551615\n"
                                 "  results_dir: \"{tmpdir}/res-{rank}\"\n"
                                 "  keep: true\n"
                                 "  progress_interval: 100ms\n"
                                 "plugin_path: /opt/mlps/{host}\n";
        const RunSpec spec = loadText(text);
        CHECK(spec.sourceName == "spec.yaml");
        CHECK(spec.text == text);
        CHECK(spec.root.IsMap());
        CHECK(spec.benchmark.plugin == "tierbench");
        CHECK(spec.benchmark.keyPath == "benchmark");
        CHECK(spec.benchmark.pluginAt.str() == "spec.yaml:3:11");
        CHECK(spec.benchmark.optionsAt.str() == "spec.yaml:5:5");
        CHECK(spec.benchmark.options["mode"].as<std::string>() == "read");
        REQUIRE(spec.tiers.size() == 2);
        CHECK(spec.tiers[0].name == "fast");
        CHECK(spec.tiers[0].plugin == "dram");
        CHECK(spec.tiers[0].keyPath == "tiers[0]");
        CHECK(spec.tiers[0].capacityBytes == 3ull << 29);
        CHECK(spec.tiers[0].keep); // from run.keep
        CHECK(spec.tiers[0].optionsAt.str() == "spec.yaml:10:14");
        CHECK(spec.tiers[1].name == "slow-2");
        CHECK(spec.tiers[1].plugin == "./plugins/posix-nvme.so");
        CHECK(spec.tiers[1].capacityBytes == 0);
        CHECK_FALSE(spec.tiers[1].keep);
        CHECK(spec.tiers[1].options.IsNull());
        CHECK(spec.tiers[1].optionsAt.str() == "spec.yaml:12:18"); // no options: at the plugin
        CHECK(spec.run.durationNs == 120'000'000'000);
        CHECK(spec.run.warmupNs == 500'000'000);
        CHECK(spec.run.seed == 18446744073709551615ull);
        CHECK(spec.run.resultsDir == "/scratch/res-3");
        CHECK(spec.run.keep);
        CHECK(spec.run.progressIntervalNs == 100'000'000);
        CHECK(spec.pluginPath == std::vector<std::string>{"/opt/mlps/node7"});
    }

    TEST_CASE("defaults") {
        const RunSpec spec = loadText(kMinimalSpec);
        CHECK(spec.run.durationNs == 10'000'000'000);
        CHECK(spec.run.warmupNs == 0);
        CHECK(spec.run.seed == 42);
        CHECK(spec.run.resultsDir == "results");
        CHECK_FALSE(spec.run.keep);
        CHECK(spec.run.progressIntervalNs == 1'000'000'000);
        CHECK(spec.pluginPath.empty());
        CHECK(spec.benchmark.options.IsNull());
        CHECK_FALSE(spec.tiers[0].keep);
        CHECK(loadText(std::string(kMinimalSpec) + "run:\n").run.durationNs == 10'000'000'000);
        CHECK(loadText(std::string(kMinimalSpec) + "run: {duration: 0}\n").run.durationNs == 0);
        CHECK(loadText(std::string(kMinimalSpec) + "run: {duration: \"30\"}\n").run.durationNs ==
              30'000'000'000);
    }

    TEST_CASE("plugin_path as a list, plugins as paths with placeholders") {
        const RunSpec spec = loadText("benchmark: {plugin_file: \"{tmpdir}/bench.so\"}\n"
                                      "tiers: [{name: a, plugin: dram}]\n"
                                      "plugin_path: [/a, \"/b/{rank}\"]\n");
        CHECK(spec.benchmark.plugin == "/scratch/bench.so");
        CHECK(spec.pluginPath == std::vector<std::string>{"/a", "/b/3"});
    }

    TEST_CASE("unknown keys, with did-you-mean and the allowed keys") {
        CHECK(
            loadError(std::string(kMinimalSpec) + "tierz: []\n") ==
            "spec.yaml:6:1: tierz: unknown key 'tierz'; did you mean 'tiers'? (allowed: benchmark, "
            "tiers, run, plugin_path, launch)");
        CHECK(loadError(std::string(kMinimalSpec) + "run:\n  seed: 1\n  durration: 5s\n") ==
              "spec.yaml:8:3: run.durration: unknown key 'durration'; did you mean 'duration'? "
              "(allowed: duration, warmup, seed, results_dir, keep, progress_interval, stonewall, "
              "op_timeout, repeat)");
        CHECK(loadError("benchmark: {plugin: x, option: {}}\ntiers: [{name: a, plugin: b}]\n") ==
              "spec.yaml:1:24: benchmark.option: unknown key 'option'; did you mean 'options'? "
              "(allowed: plugin, plugin_file, options)");
        CHECK(
            loadError("benchmark: {plugin: x}\ntiers:\n  - name: a\n    plugin: b\n    "
                      "capacitee: 1GiB\n") ==
            "spec.yaml:5:5: tiers[0].capacitee: unknown key 'capacitee'; did you mean 'capacity'? "
            "(allowed: name, plugin, plugin_file, capacity, keep, options)");
        CHECK(loadError(std::string(kMinimalSpec) + "zzzzzzzz: 1\n") ==
              "spec.yaml:6:1: zzzzzzzz: unknown key 'zzzzzzzz' (allowed: benchmark, tiers, run, "
              "plugin_path, launch)");
    }

    TEST_CASE("wrong node types say what was found") {
        CHECK(
            loadError("benchmark: tierbench\ntiers: [{name: a, plugin: b}]\n") ==
            "spec.yaml:1:12: benchmark: expected a map like {plugin: NAME, options: {...}}, found "
            "\"tierbench\"");
        CHECK(
            loadError("benchmark: {plugin: x}\ntiers:\n  fast: dram\n") ==
            "spec.yaml:3:3: tiers: expected a non-empty list of tiers, like [{name: fast, plugin: "
            "dram}], found a map");
        CHECK(
            loadError("benchmark: {plugin: x}\ntiers: []\n") ==
            "spec.yaml:2:8: tiers: expected a non-empty list of tiers, like [{name: fast, plugin: "
            "dram}], found a list");
        CHECK(
            loadError("benchmark: {plugin: x}\ntiers:\n") ==
            "spec.yaml:2:1: tiers: expected a non-empty list of tiers, like [{name: fast, plugin: "
            "dram}], found nothing (null)");
        CHECK(loadError("benchmark: {plugin: x}\ntiers: [dram]\n") ==
              "spec.yaml:2:9: tiers[0]: expected a map like {plugin: NAME, options: {...}}, found "
              "\"dram\"");
        CHECK(
            loadError("benchmark: {plugin: [a]}\ntiers: [{name: a, plugin: b}]\n") ==
            "spec.yaml:1:21: benchmark.plugin: expected a plugin name like \"dram\", found a list");
        CHECK(
            loadError("benchmark: {plugin: x, options: [1, 2]}\ntiers: [{name: a, plugin: b}]\n") ==
            "spec.yaml:1:33: benchmark.options: expected a map of options, found a list");
        CHECK(loadError(std::string(kMinimalSpec) + "run: [1]\n") ==
              "spec.yaml:6:6: run: expected a map of run settings, found a list");
        CHECK(loadError(std::string(kMinimalSpec) + "run:\n  duration: {a: 1}\n") ==
              "spec.yaml:7:13: run.duration: expected a duration like 30s, 500ms, 2m or 10us, "
              "found a "
              "map");
        CHECK(loadError(std::string(kMinimalSpec) + "plugin_path: {a: b}\n") ==
              "spec.yaml:6:14: plugin_path: expected a directory or a list of directories, found a "
              "map");
        CHECK(loadError(std::string(kMinimalSpec) + "plugin_path: [a, [b]]\n") ==
              "spec.yaml:6:18: plugin_path[1]: expected a directory, found a list");
    }

    TEST_CASE("missing required keys name the parent") {
        CHECK(loadError("tiers: [{name: a, plugin: b}]\n") ==
              "spec.yaml:1:1: missing required key 'benchmark' (the benchmark to run, e.g. "
              "benchmark: "
              "{plugin: tierbench})");
        CHECK(loadError("benchmark: {plugin: x}\n") ==
              "spec.yaml:1:1: missing required key 'tiers' (a list of tiers, e.g. tiers: [{name: "
              "fast, plugin: dram}])");
        CHECK(loadError("run: {}\nbenchmark:\n  options: {}\ntiers: [{name: a, plugin: b}]\n") ==
              "spec.yaml:2:1: benchmark: missing required key 'plugin' (a plugin name like dram; "
              "or plugin_file: a path to a .so)");
        CHECK(loadError("benchmark: {plugin: x}\ntiers:\n  - plugin: dram\n") ==
              "spec.yaml:3:5: tiers[0]: missing required key 'name' (like name: fast)");
        CHECK(loadError(
                  "benchmark: {plugin: x}\ntiers:\n  - name: a\n    plugin: b\n  - name: c\n") ==
              "spec.yaml:5:5: tiers[1]: missing required key 'plugin' (a plugin name like dram; or "
              "plugin_file: a path to a .so)");
    }

    TEST_CASE("bad values") {
        const std::string head =
            "benchmark: {plugin: x}\ntiers:\n  - name: fast\n    plugin: dram\n";
        CHECK(
            loadError(head + "    capacity: lots\n") ==
            "spec.yaml:5:15: tiers[0].capacity: expected a size like 512MiB, 1.5GB or 4096, found "
            "\"lots\"");
        CHECK(
            loadError(head + "    capacity: -1GiB\n") ==
            "spec.yaml:5:15: tiers[0].capacity: expected a size like 512MiB, 1.5GB or 4096, found "
            "\"-1GiB\"");
        CHECK(
            loadError(head + "    capacity: 2EiB\n") ==
            "spec.yaml:5:15: tiers[0].capacity: expected a capacity of at most 1 EiB (0 = the tier "
            "decides), found \"2EiB\"");
        CHECK(loadText(head + "    capacity: 1EiB\n").tiers[0].capacityBytes == 1ull << 60);
        CHECK(loadText(head + "    capacity:\n").tiers[0].capacityBytes == 0);
        CHECK(loadError(head + "    keep: maybe\n") ==
              "spec.yaml:5:11: tiers[0].keep: expected true or false, found \"maybe\"");
        CHECK(
            loadError(head + "  - name: fast\n    plugin: dram\n") ==
            "spec.yaml:5:11: tiers[1].name: duplicate tier name 'fast' (already used by tiers[0])");
        CHECK(
            loadError("benchmark: {plugin: x}\ntiers:\n  - name: Fast\n    plugin: dram\n") ==
            "spec.yaml:3:11: tiers[0].name: expected a tier name of lowercase letters, digits, '_' "
            "and '-', starting with a letter or digit (at most 63 characters), found \"Fast\"");
        CHECK(loadError("benchmark: {plugin: Tier Bench}\ntiers: [{name: a, plugin: b}]\n") ==
              "spec.yaml:1:21: benchmark.plugin: expected a plugin name ([a-z0-9][a-z0-9_-]*, like "
              "\"dram\"), found \"Tier Bench\"");
        CHECK(
            loadError("benchmark: {plugin_file: \"{nope}/x.so\"}\ntiers: [{name: a, plugin: b}]\n")
                .rfind("spec.yaml:1:26: benchmark.plugin_file: unknown placeholder \"{nope}\"",
                       0) == 0);

        const std::string run = std::string(kMinimalSpec) + "run:\n";
        CHECK(
            loadError(run + "  duration: -5s\n") ==
            "spec.yaml:7:13: run.duration: expected a duration like 30s, 500ms, 2m or 10us, found "
            "\"-5s\"");
        CHECK(
            loadError(run + "  duration: 31d\n") ==
            "spec.yaml:7:13: run.duration: expected a duration of at most 30 days, found \"31d\"");
        CHECK(loadText(run + "  duration: 30d\n").run.durationNs == 30ull * 86400 * 1000'000'000);
        CHECK(
            loadError(run + "  warmup: 1000h\n") ==
            "spec.yaml:7:11: run.warmup: expected a duration of at most 30 days, found \"1000h\"");
        CHECK(
            loadError(run + "  progress_interval: 10ms\n") ==
            "spec.yaml:7:22: run.progress_interval: expected a duration of at least 100 ms, found "
            "\"10ms\"");
        CHECK(loadError(run + "  seed: -1\n") ==
              "spec.yaml:7:9: run.seed: expected an unsigned 64-bit integer, found \"-1\"");
        CHECK(loadError(run + "  seed: 1.5\n") ==
              "spec.yaml:7:9: run.seed: expected an unsigned 64-bit integer, found \"1.5\"");
        CHECK(loadError(run + "  seed: 18446744073709551616\n") ==
              "spec.yaml:7:9: run.seed: expected an unsigned 64-bit integer, found "
              "\"18446744073709551616\"");
        CHECK(loadError(run + "  results_dir: \"\"\n") ==
              "spec.yaml:7:16: run.results_dir: expected a directory, found \"\"");
        CHECK(loadError(run + "  results_dir: out/{foo}\n")
                  .rfind("spec.yaml:7:16: run.results_dir: unknown placeholder \"{foo}\"", 0) == 0);
        // A null value is located at its key: yaml-cpp marks it at the next token.
        CHECK(loadError(run + "  keep:\n\n\n  seed: 1\n") ==
              "spec.yaml:7:3: run.keep: expected true or false, found nothing (null)");
    }

    TEST_CASE("duplicate keys, odd keys, several documents") {
        CHECK(loadError(std::string(kMinimalSpec) + "run: {seed: 1}\nrun: {seed: 2}\n") ==
              "spec.yaml:7:1: key \"run\" given twice (first at spec.yaml:6:1)");
        CHECK(loadError(std::string(kMinimalSpec) + "? [a, b]\n: 1\n") ==
              "spec.yaml:6:3: expected a plain text key, found a list");
        CHECK(loadError(std::string(kMinimalSpec) + "---\nbenchmark: {plugin: y}\n") ==
              "spec.yaml:7:1: expected one YAML document, found 2 (remove the '---' separators)");
    }

    TEST_CASE("the top level must be a map") {
        CHECK(loadError("- a\n- b\n") ==
              "spec.yaml:1:1: expected the top level to be a map with benchmark:, tiers: and run:, "
              "found a list");
        CHECK(loadError("just text\n") ==
              "spec.yaml:1:1: expected the top level to be a map with benchmark:, tiers: and run:, "
              "found \"just text\"");
        CHECK(loadError("~\n") == "spec.yaml: the spec is empty (no settings)");
    }

    TEST_CASE("launch settings and run.stonewall") {
        const RunSpec spec =
            loadText(std::string(kMinimalSpec) + "run: {stonewall: true}\n"
                                                 "launch:\n"
                                                 "  hosts: [h1, \"h2:4\", \"h3,h4:2\"]\n"
                                                 "  ranks: 8\n"
                                                 "  hostfile: \"{tmpdir}/hosts\"\n"
                                                 "  mpi_bin: /usr/bin/mpiexec\n"
                                                 "  oversubscribe: yes\n"
                                                 "  allow_run_as_root: false\n"
                                                 "  mpi_params: btl=self,tcp\n");
        CHECK(spec.run.stonewall);
        CHECK(spec.launch.hosts == std::vector<std::string>{"h1", "h2:4", "h3", "h4:2"});
        CHECK(spec.launch.ranks == 8);
        CHECK(spec.launch.hostfile == "/scratch/hosts");
        CHECK(spec.launch.mpiBin == "/usr/bin/mpiexec");
        CHECK(spec.launch.oversubscribe);
        CHECK_FALSE(spec.launch.allowRunAsRoot);
        CHECK(spec.launch.mpiParams == std::vector<std::string>{"btl=self,tcp"});
        CHECK(loadText(kMinimalSpec).launch.ranks == 0);
        CHECK_FALSE(loadText(kMinimalSpec).run.stonewall);

        const std::string launch = std::string(kMinimalSpec) + "launch:\n";
        CHECK(loadError(launch + "  ranks: 0\n") ==
              "spec.yaml:7:10: launch.ranks: expected a number of ranks (1 or more), found \"0\"");
        CHECK(loadError(launch + "  ranks: -2\n") ==
              "spec.yaml:7:10: launch.ranks: expected a number of ranks (1 or more), found \"-2\"");
        CHECK(loadError(launch + "  host: [a]\n")
                  .rfind("spec.yaml:7:3: launch.host: unknown key 'host'; did you mean 'hosts'?",
                         0) == 0);
        CHECK(loadError(launch + "  hosts: {a: 1}\n") ==
              "spec.yaml:7:10: launch.hosts: expected a host (name[:slots]) or a list of them, "
              "found a map");
        CHECK(loadError(std::string(kMinimalSpec) + "launch: [a]\n") ==
              "spec.yaml:6:9: launch: expected a map of launch settings (hosts, ranks, hostfile, "
              "...), found a list");
        CHECK(loadError(std::string(kMinimalSpec) + "run: {stonewall: sometimes}\n") ==
              "spec.yaml:6:18: run.stonewall: expected true or false, found \"sometimes\"");
    }

    TEST_CASE("run.repeat and the --set values are kept") {
        CHECK(loadText(kMinimalSpec).run.repeat == 1);
        CHECK(loadText(std::string(kMinimalSpec) + "run: {repeat: 5}\n").run.repeat == 5);
        CHECK(loadError(std::string(kMinimalSpec) + "run: {repeat: 0}\n") ==
              "spec.yaml:6:15: run.repeat: expected a number of runs from 1 to 1000, found \"0\"");
        CHECK(loadError(std::string(kMinimalSpec) + "run: {repeat: 1001}\n") ==
              "spec.yaml:6:15: run.repeat: expected a number of runs from 1 to 1000, found "
              "\"1001\"");
        const RunSpec spec = loadText(kMinimalSpec, {"run.repeat=3"});
        CHECK(spec.run.repeat == 3);
        CHECK(spec.overrides == std::vector<std::string>{"run.repeat=3"});
    }

    TEST_CASE("quoted scalars are accepted where a value is expected") {
        const RunSpec spec = loadText("benchmark: {plugin: \"tierbench\"}\n"
                                      "tiers: [{name: 'a', plugin: dram, capacity: '1KiB', keep: "
                                      "'true'}]\n"
                                      "run: {seed: '5'}\n");
        CHECK(spec.tiers[0].capacityBytes == 1024);
        CHECK(spec.tiers[0].keep);
        CHECK(spec.run.seed == 5);
    }

} // TEST_SUITE
