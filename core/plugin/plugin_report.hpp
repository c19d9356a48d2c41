// What `mlpsrun plugins list`, `plugins inspect FILE.so` and `describe NAME` print.
#pragma once

#include <ostream>

#include "plugin/plugin_registry.hpp"

namespace mlps::core {

// A table: name, kind, version, ABI, capabilities, path (shadowed marked), then problems.
void printPluginList(const PluginRegistry &registry, std::ostream &out);
// Everything about one file: manifest, each descriptor, capabilities, option schema.
void printPluginFile(const PluginFile &file, std::ostream &out);
// The option schema of one plugin: name, type, default, range or choices, help.
void printDescribe(const LoadedPlugin &plugin, std::ostream &out);
// Capability bits as words: "async,direct-io,byte-range".
std::string capsToString(uint64_t caps);

} // namespace mlps::core
