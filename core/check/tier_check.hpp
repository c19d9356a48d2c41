// `mlpsrun plugins check`: the tier conformance suite as a library. Every check runs in its own
// forked child with a deadline (child_process.hpp says why) against fresh tier instances
// created in a scratch folder that is removed afterwards. Used by the CLI and by the in-tree
// tier tests (tests/tiers/tier_conformance.cpp), so both hold tiers to one definition.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/plugin_loader.hpp"

namespace mlps::core::check {

class CheckContext;

struct CheckDef {
    const char *name;  // "no-space": what --check selects and what the report prints
    const char *group; // "capacity"
    const char *title; // the rule, one line
    void (*run)(CheckContext &ctx);
};

// Every check, in the order they run.
const std::vector<CheckDef> &tierChecks();

enum class Outcome { Pass, Fail, Skip };

struct CheckResult {
    std::string name;
    std::string group;
    std::string title;
    Outcome outcome = Outcome::Pass;
    std::string expected;           // Fail: what the contract wants
    std::string happened;           // Fail: what the tier did; Skip: why it does not apply
    std::vector<std::string> notes; // Pass: what was learnt ("depth 0 refused: ...")
    std::vector<std::string> logs;  // Fail: the tier's last log lines
    uint64_t elapsedNs = 0;
};

struct TierCheckSettings {
    std::vector<std::string> sets; // option=value (the plugin's options, and `capacity`)
    std::vector<std::string> only; // check names; empty: all
    std::string scratchRoot;       // where the scratch folder goes; empty: $TMPDIR or /tmp
    uint64_t deadlineNs = 60'000'000'000ull; // one check, all its calls together
    uint64_t promptNs = 5'000'000'000ull;    // one call that must return at once
    uint64_t capacity = 256ull << 20;        // tiers of checks that need no particular capacity
};

struct TierCheckReport {
    std::string plugin; // the tier's name
    std::string version;
    std::string path;
    nlohmann::json options; // as resolved for the checks (scratch path shown as <scratch>)
    std::vector<CheckResult> results;
    size_t count(Outcome outcome) const;
    bool passed() const { return count(Outcome::Fail) == 0; }
};

// Runs the checks. Throws ConfigError for a bad --set or an unknown check name (exit 2), and
// PluginError when the plugin is not a tier (exit 3). `onResult` sees each result as it comes.
TierCheckReport runTierChecks(const LoadedPlugin &plugin,
                              const TierCheckSettings &settings,
                              const std::function<void(const CheckResult &)> &onResult = {});

// "  pass  round-trip  ..." and, for a failure, the expected/happened lines.
void printCheckResult(const CheckResult &result, std::ostream &out);
void printCheckVerdict(const TierCheckReport &report, std::ostream &out);
nlohmann::json checkReportJson(const TierCheckReport &report);

} // namespace mlps::core::check
