// `mlpsrun describe NAME`: the option schema of a plugin, whatever its kind.
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "plugin/plugin_report.hpp"
#include "util/errors.hpp"

namespace mlps::core {

int describeCommand(const std::string &name, const std::vector<std::string> &pluginPaths) {
    PluginRegistry registry(pluginSearchPath(pluginPaths, {}));
    // A name can be both a benchmark and a tier: describe every kind that has it.
    bool found = false;
    std::string firstError;
    for (uint32_t kind : {MLPS_KIND_BENCHMARK, MLPS_KIND_TIER}) {
        try {
            const LoadedPlugin &plugin = registry.resolve(kind, name);
            if (found) {
                std::cout << '\n';
            }
            printDescribe(plugin, std::cout);
            found = true;
        } catch (const PluginError &e) {
            // Keep the more helpful of the two kinds' messages: the one with a suggestion.
            const bool suggests =
                std::string_view(e.what()).find("did you mean") != std::string_view::npos;
            if (firstError.empty() || suggests) {
                firstError = e.what();
            }
        }
    }
    if (!found) {
        throw PluginError(firstError);
    }
    return 0;
}

} // namespace mlps::core
