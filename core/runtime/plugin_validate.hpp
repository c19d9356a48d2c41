// The plugins' own option checks (ABI 1.1 descriptor `validate`): run by `validate`,
// `--dry-run` and `run` before anything is created, so a spec a plugin would refuse fails
// with exit 2 and the spec's file:line:col, and no results folder or history entry exists.
#pragma once

#include <string>

#include <mlps/host_api.h>

#include "plugin/plugin_loader.hpp"
#include "spec/option_resolver.hpp"
#include "spec/run_spec.hpp"

namespace mlps::core {

// Calls the plugin's validate when it has one (a 1.0 plugin has none: nothing to do). Throws
// ConfigError naming the option's place in the spec when the plugin refuses.
void runPluginValidate(const LoadedPlugin &plugin,
                       const mlps_host_api *host,
                       ResolvedOptions &options,
                       const PluginUse &use,
                       const std::string &label);

} // namespace mlps::core
