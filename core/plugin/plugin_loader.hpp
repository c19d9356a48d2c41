// dlopen + manifest validation. Nothing in a plugin runs before its manifest and every
// descriptor have been checked (sizes, ABI major, kind, name, required ops, option schema),
// apart from the entry function itself, which must only return static data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <mlps/plugin.h>

namespace mlps::core {

// One plugin (descriptor) from a loaded file.
struct LoadedPlugin {
    std::string path; // the .so it came from (absolute)
    const mlps_plugin_descriptor *descriptor = nullptr;
    uint16_t abiMajor = 0; // of the file's manifest
    uint16_t abiMinor = 0;

    std::string name() const { return descriptor->name; }
    bool isTier() const { return descriptor->kind == MLPS_KIND_TIER; }
    const mlps_tier_ops *tierOps() const;             // nullptr for benchmarks
    const mlps_benchmark_ops *benchmarkOps() const;   // nullptr for tiers
    const mlps_option_spec &option(uint32_t i) const; // honours option_struct_size
};

struct PluginFile {
    std::string path;
    void *handle = nullptr; // never dlclosed: see plugin_loader.cpp
    std::vector<LoadedPlugin> plugins;
};

// Loads and validates one file. Throws PluginError with a message that starts with the path,
// e.g. "/x/old.so: plugin ABI 2.0 is not supported by this mlpsrun (ABI 1.0): rebuild it
// against mlps-plugin-1".
PluginFile loadPluginFile(const std::string &path);

// "benchmark" / "tier".
const char *kindName(uint32_t kind);

} // namespace mlps::core
