#include "plugin/spec_plugins.hpp"

#include <filesystem>

#include "util/errors.hpp"

namespace mlps::core {

namespace {

// A plugin_file relative to the spec's folder; an embedded spec ("<default spec>") has none.
std::string pluginFilePath(const std::string &file, const std::string &specSource) {
    if (std::filesystem::path(file).is_absolute() || specSource.empty() || specSource[0] == '<') {
        return file;
    }
    return (std::filesystem::path(specSource).parent_path() / file).lexically_normal().string();
}

} // namespace

const LoadedPlugin &resolveSpecPlugin(PluginRegistry &registry,
                                      uint32_t kind,
                                      const PluginUse &use,
                                      const std::string &specSource) {
    try {
        if (use.fromFile) {
            return registry.loadExplicit(kind, pluginFilePath(use.plugin, specSource));
        }
        return registry.find(kind, use.plugin);
    } catch (const PluginNotFoundError &e) {
        throw ConfigError(use.pluginAt.str() + ": " + use.keyPath + ".plugin: " + e.what());
    } catch (const PluginError &e) {
        if (use.fromFile) {
            throw ConfigError(use.pluginAt.str() + ": " + use.keyPath +
                              ".plugin_file: " + e.what());
        }
        throw;
    }
}

} // namespace mlps::core
