// The typed form of a run spec (YAML), as the parser leaves it: structure checked, run settings
// converted, plugin options still YAML (they are validated later against each plugin's schema,
// see option_resolver.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace mlps::core {

// Where a value came from: "spec.yaml:12:7" (1-based), or "--set" for command-line overrides.
struct SourceLocation {
    std::string file;
    int line = 0; // 0 = no line (e.g. --set)
    int column = 0;
    std::string str() const; // "file:line:col" or "file"
};

// What `{rank}`, `{local_rank}`, `{host}`, `{run_id}` and `{tmpdir}` expand to in strings.
struct ExpandContext {
    uint32_t rank = 0;
    uint32_t localRank = 0;
    std::string host;
    std::string runId;
    std::string tmpdir; // $TMPDIR or /tmp
};

// A plugin named by the spec (the benchmark or one tier) and its raw options.
struct PluginUse {
    std::string plugin;      // a plugin name ("dram"), or with fromFile a path to a .so
    bool fromFile = false;   // `plugin_file:` rather than `plugin:`
    YAML::Node options;      // a map, or null when the spec gave none
    std::string keyPath;     // "benchmark" or "tiers[1]" (for messages)
    SourceLocation pluginAt; // where the `plugin:` value is
    SourceLocation optionsAt;
    std::string sourceName; // the spec file: locates the nodes inside `options` in messages
};

struct TierSpec : PluginUse {
    std::string name;           // unique within the spec
    uint64_t capacityBytes = 0; // 0 = not given: the tier decides
    bool keep = false;          // tier keeps its data after the run (defaults to run.keep)
};

struct RunSettings {
    uint64_t durationNs = 10'000'000'000; // timed phase; 0 = until the benchmark's work is done
    uint64_t warmupNs = 0;
    uint64_t seed = 42;
    std::string resultsDir = "results";
    bool keep = false;
    uint64_t progressIntervalNs = 1'000'000'000;
    bool stonewall = false; // several ranks: all stop when the first finishes
    // Every tier op must complete this long after its submission, or the run fails as hung
    // (runtime/tier_guard.hpp).
    uint64_t opTimeoutNs = 60'000'000'000;
    uint32_t repeat = 1; // run the spec this many times (`run --repeat N` wins)
};

// The spec's `launch:` section: how `mlpsrun run` starts mpiexec when not under one already
// (the command line's --hosts, -n, ... take precedence).
struct LaunchSettings {
    std::vector<std::string> hosts; // "h1", "h2:4"
    std::string hostfile;
    uint32_t ranks = 0;
    std::string mpiBin;
    bool oversubscribe = false;
    bool allowRunAsRoot = false;
    std::vector<std::string> mpiParams; // "key=value" or "--option value"
};

struct RunSpec {
    std::string sourceName; // the file path, or "<default spec>"
    std::string text;       // the YAML text as read
    YAML::Node root;        // after --set overrides; what spec.resolved.yaml is written from
    std::vector<std::string> overrides; // the --set values, as given (for the run's record)
    PluginUse benchmark;
    std::vector<TierSpec> tiers;
    RunSettings run;
    LaunchSettings launch;
    std::vector<std::string> pluginPath; // the spec's plugin_path, expanded
};

} // namespace mlps::core
