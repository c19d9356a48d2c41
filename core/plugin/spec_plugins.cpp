#include "plugin/spec_plugins.hpp"

#include <filesystem>

#include "util/errors.hpp"

namespace mlps::core {

namespace {

std::string pluginReference(const std::string &plugin, const std::string &specSource) {
    const bool isPath = plugin.find('/') != std::string::npos || plugin.ends_with(".so");
    // An embedded spec ("<default spec>") has no folder to be relative to.
    if (!isPath || std::filesystem::path(plugin).is_absolute() || specSource.empty() ||
        specSource[0] == '<') {
        return plugin;
    }
    return (std::filesystem::path(specSource).parent_path() / plugin).lexically_normal().string();
}

} // namespace

const LoadedPlugin &resolveSpecPlugin(PluginRegistry &registry,
                                      uint32_t kind,
                                      const PluginUse &use,
                                      const std::string &specSource) {
    try {
        return registry.resolve(kind, pluginReference(use.plugin, specSource));
    } catch (const PluginNotFoundError &e) {
        throw ConfigError(use.pluginAt.str() + ": " + use.keyPath + ".plugin: " + e.what());
    }
}

} // namespace mlps::core
