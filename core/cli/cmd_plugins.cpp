// `mlpsrun plugins list` and `mlpsrun plugins inspect FILE.so`.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "plugin/plugin_report.hpp"

namespace mlps::core {

int pluginsListCommand(const std::vector<std::string> &pluginPaths) {
    PluginRegistry registry(pluginSearchPath(pluginPaths, {}));
    registry.scan();
    printPluginList(registry, std::cout);
    return 0;
}

int pluginsInspectCommand(const std::string &file) {
    const PluginFile loaded = loadPluginFile(std::filesystem::absolute(file).string());
    printPluginFile(loaded, std::cout);
    return 0;
}

} // namespace mlps::core
