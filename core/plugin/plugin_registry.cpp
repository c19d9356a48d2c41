// The plugin search path and the (kind, name) -> plugin registry (see plugin_registry.hpp).
#include "plugin/plugin_registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <system_error>
#include <unistd.h>
#include <utility>

#include "build_config.hpp"
#include "plugin/install_dirs.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> splitColons(const std::string &text) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, ':')) {
        if (!part.empty()) { // "a::b" and a trailing ':' mean nothing, as in $PATH for us
            parts.push_back(part);
        }
    }
    return parts;
}

// The identity of a directory for de-duplication: its canonical path, or "" when it does not
// exist (or is not a directory).
std::string directoryKey(const std::string &dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return {};
    }
    fs::path canonical = fs::canonical(dir, ec);
    return ec ? std::string() : canonical.string();
}

bool sameDirectory(const std::string &a, const std::string &b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec) && !ec;
}

std::string describeDirs(const std::vector<SearchDir> &dirs) {
    if (dirs.empty()) {
        return "(no directories)";
    }
    std::string text;
    for (const SearchDir &dir : dirs) {
        if (!text.empty()) {
            text += ", ";
        }
        text += dir.path + " (" + dir.origin;
        if (directoryKey(dir.path).empty()) {
            text += ", does not exist";
        }
        text += ")";
    }
    return text;
}

bool looksLikePath(const std::string &nameOrPath) {
    return nameOrPath.find('/') != std::string::npos ||
           (nameOrPath.size() > 3 && nameOrPath.ends_with(".so"));
}

} // namespace

SearchEnvironment currentSearchEnvironment() {
    SearchEnvironment env;
    if (const char *var = std::getenv("MLPS_PLUGIN_PATH")) {
        env.pluginPathVar = var;
    }
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        env.exePath = exe.string();
    }
    return env;
}

std::vector<SearchDir> pluginSearchPath(const std::vector<std::string> &cliPaths,
                                        const std::vector<std::string> &specPaths) {
    return pluginSearchPath(cliPaths, specPaths, currentSearchEnvironment());
}

std::vector<SearchDir> pluginSearchPath(const std::vector<std::string> &cliPaths,
                                        const std::vector<std::string> &specPaths,
                                        const SearchEnvironment &env) {
    std::vector<SearchDir> dirs;
    for (const std::string &p : cliPaths) {
        dirs.push_back({p, "--plugin-path"});
    }
    for (const std::string &p : specPaths) {
        dirs.push_back({p, "spec plugin_path"});
    }
    for (const std::string &p : splitColons(env.pluginPathVar)) {
        dirs.push_back({p, "$MLPS_PLUGIN_PATH"});
    }

    const fs::path exeDir = fs::path(env.exePath).parent_path();
    // Running from the build tree: the freshly built plugins, not an older installed set.
    if (!env.exePath.empty() && sameDirectory(exeDir.string(), MLPS_BUILD_CORE_DIR)) {
        for (const std::string &p : splitColons(MLPS_BUILD_PLUGIN_DIRS)) {
            dirs.push_back({p, "build tree"});
        }
    }

    dirs.push_back({MLPS_INSTALL_PLUGINDIR, "installed"});
    // A relocated install (the prefix tree moved or unpacked elsewhere): the plugindir at the
    // same place relative to the executable as at install time. Only added when it exists and
    // is not the configured plugindir, so that messages do not list a guess.
    // Opt-in ($MLPS_PLUGIN_RELOCATED=1): a copied binary must not pick up whatever .so files
    // happen to sit at that relative place.
    const char *relocated = std::getenv("MLPS_PLUGIN_RELOCATED");
    if (!env.exePath.empty() && relocated != nullptr && std::string(relocated) == "1") {
        const fs::path rel =
            fs::path(MLPS_INSTALL_PLUGINDIR).lexically_relative(MLPS_INSTALL_BINDIR);
        if (!rel.empty()) {
            const std::string moved = (exeDir / rel).lexically_normal().string();
            if (!directoryKey(moved).empty() && !sameDirectory(moved, MLPS_INSTALL_PLUGINDIR)) {
                dirs.push_back({moved, "installed"});
            }
        }
    }
    return dirs;
}

PluginRegistry::PluginRegistry(std::vector<SearchDir> dirs) : dirs_(std::move(dirs)) {}

const PluginFile &PluginRegistry::loadFile(const std::string &path) {
    for (const PluginFile &file : files_) {
        if (sameDirectory(file.path, path)) { // equivalent() works for files too
            return file;
        }
    }
    files_.push_back(loadPluginFile(path));
    return files_.back();
}

void PluginRegistry::scan() {
    if (scanned_) {
        return;
    }
    scanned_ = true;
    std::set<std::string> seenDirs;
    for (const SearchDir &dir : dirs_) {
        const std::string key = directoryKey(dir.path);
        // Missing and repeated directories are normal (a default path, a variable set twice):
        // skipped silently here, still listed in messages and in `plugins list`.
        if (key.empty() || !seenDirs.insert(key).second) {
            continue;
        }
        std::vector<fs::path> candidates;
        std::error_code ec;
        for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code statEc;
            if (it->path().extension() == ".so" && it->is_regular_file(statEc)) {
                candidates.push_back(it->path());
            }
        }
        if (ec) {
            problems_.push_back({dir.path, dir.path + ": cannot read directory: " + ec.message()});
            continue;
        }
        std::sort(candidates.begin(), candidates.end());
        for (const fs::path &candidate : candidates) {
            try {
                const PluginFile &file = loadFile(candidate.string());
                for (const LoadedPlugin &plugin : file.plugins) {
                    const bool known = std::any_of(
                        entries_.begin(), entries_.end(), [&plugin](const RegistryEntry &e) {
                            return e.plugin.path == plugin.path && e.plugin.name() == plugin.name();
                        });
                    if (known) {
                        continue; // find() loaded it already
                    }
                    RegistryEntry entry{plugin, dir.origin, false};
                    for (const RegistryEntry &earlier : entries_) {
                        if (earlier.plugin.descriptor->kind == plugin.descriptor->kind &&
                            earlier.plugin.name() == plugin.name()) {
                            entry.shadowed = true;
                            break;
                        }
                    }
                    entries_.push_back(std::move(entry));
                }
            } catch (const PluginError &e) {
                problems_.push_back({candidate.string(), e.what()});
            }
        }
    }
}

const LoadedPlugin &PluginRegistry::find(uint32_t kind, const std::string &name) {
    // Only <dir>/<name>.so is loaded, directory by directory: a run loads the plugins its spec
    // names and nothing else (no code of an unrelated .so runs). `plugins list` scans all.
    for (const RegistryEntry &entry : entries_) {
        if (!entry.shadowed && entry.plugin.descriptor->kind == kind &&
            entry.plugin.name() == name) {
            return entry.plugin;
        }
    }
    std::set<std::string> seenDirs;
    for (const SearchDir &dir : dirs_) {
        const std::string key = directoryKey(dir.path);
        if (key.empty() || !seenDirs.insert(key).second) {
            continue;
        }
        const fs::path candidate = fs::path(dir.path) / (name + ".so");
        std::error_code ec;
        if (!fs::is_regular_file(candidate, ec)) {
            continue;
        }
        try {
            const PluginFile &file = loadFile(candidate.string());
            for (const LoadedPlugin &plugin : file.plugins) {
                entries_.push_back({plugin, dir.origin, false});
            }
            for (const RegistryEntry &entry : entries_) {
                if (entry.plugin.descriptor->kind == kind && entry.plugin.name() == name) {
                    return entry.plugin;
                }
            }
        } catch (const PluginError &e) {
            problems_.push_back({candidate.string(), e.what()});
        }
    }
    // Not found: the names of the files there are the suggestions (nothing more is loaded).
    std::set<std::string> seenNames;
    seenDirs.clear();
    for (const SearchDir &dir : dirs_) {
        const std::string key = directoryKey(dir.path);
        if (key.empty() || !seenDirs.insert(key).second) {
            continue;
        }
        std::error_code ec;
        for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->path().extension() == ".so") {
                seenNames.insert(it->path().stem().string());
            }
        }
    }
    return notFound(kind, name, seenNames);
}

const LoadedPlugin &PluginRegistry::notFound(uint32_t kind,
                                             const std::string &name,
                                             const std::set<std::string> &fileNames) {
    std::string message = std::string("no ") + kindName(kind) + " plugin named '" + name + "'";
    std::vector<std::string> sameKind(fileNames.begin(), fileNames.end());
    const RegistryEntry *otherKind = nullptr;
    for (const RegistryEntry &entry : entries_) {
        if (entry.plugin.descriptor->kind != kind && entry.plugin.name() == name) {
            otherKind = &entry;
            break;
        }
    }
    if (otherKind != nullptr) {
        message += std::string(" ('") + name + "' is a " +
                   kindName(otherKind->plugin.descriptor->kind) + " plugin, in " +
                   otherKind->plugin.path + ")";
    } else if (const std::string guess = didYouMean(name, sameKind); !guess.empty()) {
        message += " (did you mean '" + guess + "'?)";
    }
    message += "; looked in: " + describeDirs(dirs_);
    if (!problems_.empty()) {
        message += "; " + std::to_string(problems_.size()) + " file(s) failed to load: ";
        for (size_t i = 0; i < problems_.size(); ++i) {
            message += (i > 0 ? "; " : "") + problems_[i].message;
        }
    }
    if (sameKind.empty()) {
        message += "; no plugin file was found at all: build the plugins (ninja -C BUILD) or "
                   "point MLPS_PLUGIN_PATH or --plugin-path at the folder that holds them";
    } else {
        std::sort(sameKind.begin(), sameKind.end());
        message += "; plugin files there: ";
        for (size_t i = 0; i < sameKind.size(); ++i) {
            message += (i > 0 ? ", " : "") + sameKind[i];
        }
    }
    throw PluginNotFoundError(message);
}

const LoadedPlugin &PluginRegistry::loadExplicit(uint32_t kind, const std::string &path) {
    // Relative to the current directory; the caller has already made a spec-relative path
    // absolute.
    const PluginFile &file = loadFile(path);
    const LoadedPlugin *match = nullptr;
    std::string found;
    for (const LoadedPlugin &plugin : file.plugins) {
        if (!found.empty()) {
            found += ", ";
        }
        found += std::string(kindName(plugin.descriptor->kind)) + " '" + plugin.name() + "'";
        if (plugin.descriptor->kind == kind) {
            if (match != nullptr) {
                throw PluginError(file.path + ": holds more than one " + kindName(kind) +
                                  " plugin (" + found +
                                  "...): add its folder to plugin_path and name the one you "
                                  "want instead of the file");
            }
            match = &plugin;
        }
    }
    if (match == nullptr) {
        throw PluginError(file.path + ": holds no " + kindName(kind) + " plugin (it has " + found +
                          ")");
    }
    explicit_.push_back(*match);
    return explicit_.back();
}

const LoadedPlugin &PluginRegistry::resolve(uint32_t kind, const std::string &nameOrPath) {
    if (looksLikePath(nameOrPath)) {
        return loadExplicit(kind, nameOrPath);
    }
    return find(kind, nameOrPath);
}

} // namespace mlps::core
