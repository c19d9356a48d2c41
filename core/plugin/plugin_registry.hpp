// Where plugins are looked for, and which one a name resolves to. Search order (DESIGN.md §3):
// --plugin-path, the spec's plugin_path, $MLPS_PLUGIN_PATH, the build tree (when mlpsrun runs
// from it), the installed plugindir. The first (kind, name) found wins; later ones are kept as
// shadowed and shown by `mlpsrun plugins list`.
#pragma once

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "plugin/plugin_loader.hpp"

namespace mlps::core {

struct SearchDir {
    std::string path;
    std::string origin; // "--plugin-path", "spec plugin_path", "$MLPS_PLUGIN_PATH", "build tree",
                        // "installed"
};

// The search path for this process. cliPaths/specPaths come first, in that order.
std::vector<SearchDir> pluginSearchPath(const std::vector<std::string> &cliPaths,
                                        const std::vector<std::string> &specPaths);

// What the search path depends on besides its arguments; tests pass their own.
struct SearchEnvironment {
    std::string pluginPathVar; // the value of $MLPS_PLUGIN_PATH ("" when unset)
    std::string exePath;       // the running executable (/proc/self/exe)
};
SearchEnvironment currentSearchEnvironment();
std::vector<SearchDir> pluginSearchPath(const std::vector<std::string> &cliPaths,
                                        const std::vector<std::string> &specPaths,
                                        const SearchEnvironment &env);

struct RegistryEntry {
    LoadedPlugin plugin;
    std::string origin;
    bool shadowed = false; // an earlier entry has the same kind and name
};

struct LoadProblem {
    std::string path;
    std::string message; // the PluginError text
};

class PluginRegistry {
  public:
    explicit PluginRegistry(std::vector<SearchDir> dirs);

    // Loads every *.so in every directory (non-recursive, sorted by name). Files that fail to
    // load are recorded as problems, not thrown.
    void scan();
    // The winning plugin of that kind and name, loading only <dir>/<name>.so files. Throws
    // PluginError that says where it looked, which files failed to load, and "did you mean"
    // (from the plugin files' names) when a name is close.
    const LoadedPlugin &find(uint32_t kind, const std::string &name);
    // A spec may name a file instead of a plugin name ("./acme.so"): load it (kind checked).
    const LoadedPlugin &loadExplicit(uint32_t kind, const std::string &path);
    // find() or loadExplicit(), by whether `nameOrPath` contains a '/' or ends in ".so".
    const LoadedPlugin &resolve(uint32_t kind, const std::string &nameOrPath);

    const std::vector<SearchDir> &dirs() const { return dirs_; }
    const std::deque<RegistryEntry> &entries() const { return entries_; }
    const std::vector<LoadProblem> &problems() const { return problems_; }

  private:
    const PluginFile &loadFile(const std::string &path);
    [[noreturn]] const LoadedPlugin &
    notFound(uint32_t kind, const std::string &name, const std::set<std::string> &fileNames);

    std::vector<SearchDir> dirs_;
    std::deque<RegistryEntry> entries_; // a deque: find() appends while callers hold references
    std::vector<LoadProblem> problems_;
    std::deque<PluginFile> files_;      // keeps handles; a deque so references stay valid
    std::deque<LoadedPlugin> explicit_; // loaded by loadExplicit, outside the search path
    bool scanned_ = false;
};

} // namespace mlps::core
