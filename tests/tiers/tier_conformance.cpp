#include "tier_conformance.hpp"

#include <cstdlib>
#include <map>

#include <doctest/doctest.h>

#include "check/tier_check.hpp"
#include "plugin/plugin_loader.hpp"

namespace mlps::test {

TierInstance TierUnderTest::create(FakeHost &host, uint64_t capacity) const {
    TierInstance instance;
    instance.options = std::make_unique<Options>();
    instance.options->tier("under-test", capacity);
    if (addOptions) {
        addOptions(*instance.options);
    }
    instance.tier = std::make_unique<TierDriver>(descriptor, host, instance.options->config());
    INFO("create: " << instance.tier->error().message);
    REQUIRE(instance.tier->created());
    return instance;
}

void checkConformance(const char *envVar,
                      const std::vector<std::string> &sets,
                      const std::string &scratchRoot,
                      const std::vector<std::string> &only) {
    const char *path = std::getenv(envVar);
    if (path == nullptr || path[0] == '\0') {
        MESSAGE(envVar << " is not set: the plugin was not built, conformance skipped");
        return;
    }
    // Loaded once per file and never closed, like the loader does.
    static std::map<std::string, core::PluginFile> files;
    auto it = files.find(path);
    if (it == files.end()) {
        it = files.emplace(path, core::loadPluginFile(path)).first;
    }
    REQUIRE(!it->second.plugins.empty());
    core::check::TierCheckSettings settings;
    settings.sets = sets;
    settings.scratchRoot = scratchRoot;
    settings.only = only;
    const auto report = core::check::runTierChecks(it->second.plugins.front(), settings);
    for (const auto &r : report.results) {
        std::string options;
        for (const auto &set : sets) {
            options += " --set " + set;
        }
        INFO("plugins check" << options << " --check " << r.name);
        if (r.outcome == core::check::Outcome::Fail) {
            std::string logs;
            for (const auto &line : r.logs) {
                logs += "\n  tier log: " + line;
            }
            FAIL_CHECK(r.name << ": " << r.title << "\n  expected: " << r.expected
                              << "\n  happened: " << r.happened << logs);
        } else {
            CHECK(r.outcome != core::check::Outcome::Fail);
        }
    }
    CHECK(report.results.size() == (only.empty() ? core::check::tierChecks().size() : only.size()));
}

} // namespace mlps::test
