// `mlpsrun plugins check FILE.so|NAME`: the tier conformance suite (core/check/) as a command.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "check/tier_check.hpp"
#include "cli/commands.hpp"
#include "plugin/plugin_registry.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"

namespace mlps::core {

int pluginsCheckCommand(const PluginsCheckOptions &options) {
    if (options.list) {
        for (const auto &def : check::tierChecks()) {
            std::cout << std::left << std::setw(24) << def.name << std::setw(13) << def.group
                      << def.title << "\n";
        }
        return kExitOk;
    }
    if (options.plugin.empty()) {
        throw ConfigError("plugins check: PLUGIN is required (a FILE.so or a tier name)");
    }
    check::TierCheckSettings settings;
    settings.sets = options.sets;
    settings.only = options.only;
    settings.scratchRoot = options.scratch;
    if (!options.deadline.empty()) {
        try {
            settings.deadlineNs = parseDurationNs(options.deadline);
        } catch (const std::exception &e) {
            throw ConfigError("--deadline " + options.deadline + ": " + e.what());
        }
        if (settings.deadlineNs == 0) {
            throw ConfigError("--deadline must be above 0");
        }
    }
    PluginRegistry registry(pluginSearchPath(options.pluginPaths, {}));
    const LoadedPlugin &plugin = registry.resolve(MLPS_KIND_TIER, options.plugin);

    const bool text = !options.json;
    if (text) {
        std::cout << "plugins check: tier '" << plugin.name() << "' " << plugin.descriptor->version
                  << " (" << plugin.path << ")\n";
        std::cout.flush();
    }
    const check::TierCheckReport report =
        check::runTierChecks(plugin, settings, [&](const check::CheckResult &result) {
            if (text) {
                check::printCheckResult(result, std::cout);
                std::cout.flush();
            }
        });
    if (text) {
        std::cout << "options " << report.options.dump() << "\n";
        check::printCheckVerdict(report, std::cout);
    } else {
        std::cout << check::checkReportJson(report).dump(2) << "\n";
    }
    return report.passed() ? kExitOk : kExitRunFailed;
}

} // namespace mlps::core
