// The plugins a spec names, resolved with the spec's own rules: a path is relative to the
// spec's folder, and a name that no plugin has is a spec error (exit 2) pointing at the
// `plugin:` line, while a file that exists but cannot be loaded stays a plugin error (exit 3).
#pragma once

#include <string>

#include "plugin/plugin_registry.hpp"
#include "spec/run_spec.hpp"

namespace mlps::core {

const LoadedPlugin &resolveSpecPlugin(PluginRegistry &registry,
                                      uint32_t kind,
                                      const PluginUse &use,
                                      const std::string &specSource);

} // namespace mlps::core
