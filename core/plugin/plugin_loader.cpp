// dlopen + manifest validation (see plugin_loader.hpp). Every message starts with the file's
// path and says what to do about it: the reader is a user with a .so that will not load.
#include "plugin/plugin_loader.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <utility>

#include "plugin/tier_caps.hpp"
#include "runtime/plugin_call.hpp"
#include "spec/option_resolver.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMaxPluginsPerFile = 64;
constexpr size_t kMaxNameLength = 63;

// Sizes of the version-1 structs: a plugin of any minor must announce at least these.
constexpr size_t kManifestV1Size = sizeof(mlps_plugin_manifest);
// ABI 1.1 appended `validate`: a 1.0 descriptor ends before it and must still load.
constexpr size_t kDescriptorV1Size = offsetof(mlps_plugin_descriptor, validate);
constexpr size_t kOptionV1Size = sizeof(mlps_option_spec);
constexpr size_t kTierOpsV1Size = sizeof(mlps_tier_ops);
constexpr size_t kBenchmarkOpsV1Size = sizeof(mlps_benchmark_ops);
// The manifest fields every major shares: enough to read the ABI version and refuse politely.
constexpr size_t kManifestVersionSize =
    offsetof(mlps_plugin_manifest, abi_minor) + sizeof(uint16_t);

[[noreturn]] void fail(const std::string &path, const std::string &what) {
    throw PluginError(path + ": " + what);
}

bool validName(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength) {
        return false;
    }
    auto lowerOrDigit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lowerOrDigit(name.front())) {
        return false;
    }
    for (char c : name) {
        if (!lowerOrDigit(c) && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

// Checked before dlopen so that a text file or a truncated download gets a clear message
// instead of dlerror's "invalid ELF header" (or worse, "file too short").
void checkFile(const std::string &path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        fail(path, "no such file");
    }
    if (!fs::is_regular_file(st)) {
        fail(path, "not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fail(path, std::string("cannot open: ") + std::strerror(errno));
    }
    char magic[4] = {};
    in.read(magic, sizeof magic);
    if (in.gcount() != sizeof magic || std::memcmp(magic,
                                                   "\x7f"
                                                   "ELF",
                                                   4) != 0) {
        fail(path, "not a shared object (no ELF header)");
    }
}

// dlerror() usually repeats the path ("/x/a.so: undefined symbol: f"); drop it, ours leads.
std::string dlerrorText(const std::string &path) {
    const char *e = dlerror();
    std::string text = e != nullptr ? e : "unknown dlopen error";
    if (text.rfind(path + ": ", 0) == 0) {
        text.erase(0, path.size() + 2);
    }
    return text;
}

std::string pluginLabel(const mlps_plugin_descriptor &d) {
    return std::string(kindName(d.kind)) + " '" + d.name + "'";
}

void checkRequiredOp(const std::string &path,
                     const mlps_plugin_descriptor &d,
                     const void *fn,
                     const char *opName) {
    if (fn == nullptr) {
        fail(path, pluginLabel(d) + " has no " + opName + " operation (required)");
    }
}

void checkOps(const std::string &path, const mlps_plugin_descriptor &d) {
    if (d.ops == nullptr) {
        fail(path, pluginLabel(d) + " has no operations table (ops is NULL)");
    }
    if (d.kind == MLPS_KIND_TIER) {
        const auto *ops = static_cast<const mlps_tier_ops *>(d.ops);
        if (ops->struct_size < kTierOpsV1Size) {
            fail(path,
                 pluginLabel(d) + ": tier ops table is " + std::to_string(ops->struct_size) +
                     " bytes, smaller than ABI 1.0's " + std::to_string(kTierOpsV1Size) +
                     " (set struct_size = sizeof(struct mlps_tier_ops))");
        }
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->info), "info");
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->open_queue), "open_queue");
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->close_queue), "close_queue");
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->submit), "submit");
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->poll), "poll");
        if (const std::string problem = tierCapsProblem(d); !problem.empty()) {
            fail(path, pluginLabel(d) + " " + problem);
        }
    } else {
        const auto *ops = static_cast<const mlps_benchmark_ops *>(d.ops);
        if (ops->struct_size < kBenchmarkOpsV1Size) {
            fail(path,
                 pluginLabel(d) + ": benchmark ops table is " + std::to_string(ops->struct_size) +
                     " bytes, smaller than ABI 1.0's " + std::to_string(kBenchmarkOpsV1Size) +
                     " (set struct_size = sizeof(struct mlps_benchmark_ops))");
        }
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->run), "run");
        checkRequiredOp(path, d, reinterpret_cast<const void *>(ops->report), "report");
    }
}

void checkOptions(const std::string &path, const LoadedPlugin &plugin) {
    const mlps_plugin_descriptor &d = *plugin.descriptor;
    if (d.n_options == 0) {
        return; // options and option_struct_size are then not looked at
    }
    if (d.options == nullptr) {
        fail(path,
             pluginLabel(d) + " declares " + std::to_string(d.n_options) +
                 " option(s) but its options array is NULL");
    }
    if (d.option_struct_size < kOptionV1Size) {
        fail(path,
             pluginLabel(d) + ": option_struct_size " + std::to_string(d.option_struct_size) +
                 " is smaller than ABI 1.0's " + std::to_string(kOptionV1Size) +
                 " (set it to sizeof(struct mlps_option_spec))");
    }
    for (uint32_t i = 0; i < d.n_options; ++i) {
        if (plugin.option(i).name == nullptr) {
            fail(path, pluginLabel(d) + ": option #" + std::to_string(i) + " has no name");
        }
    }
    const std::string problem = checkSchema(d);
    if (!problem.empty()) {
        fail(path, pluginLabel(d) + ": bad option schema: " + problem);
    }
}

void checkDescriptor(const std::string &path, uint32_t index, const LoadedPlugin &plugin) {
    const mlps_plugin_descriptor *d = plugin.descriptor;
    const std::string which = "descriptor #" + std::to_string(index);
    if (d == nullptr) {
        fail(path, which + " is NULL");
    }
    if (d->struct_size < kDescriptorV1Size) {
        fail(path,
             which + " is " + std::to_string(d->struct_size) + " bytes, smaller than ABI 1.0's " +
                 std::to_string(kDescriptorV1Size) +
                 " (set struct_size = sizeof(struct mlps_plugin_descriptor))");
    }
    if (d->kind != MLPS_KIND_TIER && d->kind != MLPS_KIND_BENCHMARK) {
        fail(path,
             which + " has unknown kind " + std::to_string(d->kind) +
                 " (expected MLPS_KIND_TIER or MLPS_KIND_BENCHMARK)");
    }
    if (d->name == nullptr) {
        fail(path, which + " has no name");
    }
    if (!validName(d->name)) {
        fail(path,
             std::string("plugin name '") + d->name +
                 "' is not valid: a name must match [a-z0-9][a-z0-9_-]* and be at most " +
                 std::to_string(kMaxNameLength) +
                 " characters (it is the id used in specs and the file name)");
    }
    if (d->version == nullptr) {
        fail(path, pluginLabel(*d) + " has no version string");
    }
    if (d->summary == nullptr) {
        fail(path, pluginLabel(*d) + " has no summary string");
    }
    if (d->create == nullptr || d->destroy == nullptr) {
        fail(path,
             pluginLabel(*d) + " has no " + (d->create == nullptr ? "create" : "destroy") +
                 " function (required)");
    }
    checkOps(path, *d);
    checkOptions(path, plugin);
}

} // namespace

const char *kindName(uint32_t kind) {
    switch (kind) {
    case MLPS_KIND_BENCHMARK:
        return "benchmark";
    case MLPS_KIND_TIER:
        return "tier";
    default:
        return "unknown";
    }
}

const mlps_tier_ops *LoadedPlugin::tierOps() const {
    return isTier() ? static_cast<const mlps_tier_ops *>(descriptor->ops) : nullptr;
}

const mlps_benchmark_ops *LoadedPlugin::benchmarkOps() const {
    return descriptor->kind == MLPS_KIND_BENCHMARK
               ? static_cast<const mlps_benchmark_ops *>(descriptor->ops)
               : nullptr;
}

const mlps_option_spec &LoadedPlugin::option(uint32_t i) const {
    // The plugin's element size, not ours: a newer minor may have appended fields.
    const auto *base = reinterpret_cast<const unsigned char *>(descriptor->options);
    return *reinterpret_cast<const mlps_option_spec *>(base + static_cast<size_t>(i) *
                                                                  descriptor->option_struct_size);
}

PluginFile loadPluginFile(const std::string &pathArg) {
    std::error_code ec;
    fs::path absolute = fs::absolute(pathArg, ec);
    // An absolute path also keeps dlopen from searching LD_LIBRARY_PATH for a bare name.
    const std::string path = ec ? pathArg : absolute.lexically_normal().string();
    checkFile(path);

    // RTLD_NOW: resolve every symbol now, so a plugin with a missing dependency fails at load
    // with dlerror's message, not in the middle of a timed run at the first call of the
    // unresolved function. RTLD_LOCAL: a plugin's symbols never satisfy another's, so two
    // plugins that both (accidentally) export the same name never clash.
    dlerror();
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        fail(path, "cannot load: " + dlerrorText(path));
    }
    notePluginMapping(path); // a crash at an address inside it is then blamed on it
    // The handle is never dlclosed, not even when validation fails below: the plugin's static
    // data, threads it started, thread-locals and atexit handlers may outlive any point where
    // we could prove it unused, and unmapping code that still runs crashes far from the cause.

    dlerror();
    void *sym = dlsym(handle, MLPS_PLUGIN_ENTRY_NAME);
    if (sym == nullptr) {
        fail(path,
             "no mlps_plugin_entry symbol: not an mlps plugin (build it with "
             "MLPS_PLUGIN_MANIFEST or export mlps_plugin_entry)");
    }
    // POSIX guarantees that a function pointer survives the round trip through void*.
    auto entry = reinterpret_cast<mlps_plugin_entry_fn>(sym);
    const mlps_plugin_manifest *manifest = entry();

    if (manifest == nullptr) {
        fail(path, "mlps_plugin_entry returned NULL instead of a manifest");
    }
    if (manifest->struct_size < kManifestVersionSize) {
        fail(path,
             "manifest struct_size " + std::to_string(manifest->struct_size) +
                 " is too small to hold an ABI version: not an mlps plugin manifest");
    }
    // The major is checked before the size of the rest: another major may lay it out
    // differently, and the version is what the user needs to hear about.
    if (manifest->abi_major != MLPS_ABI_MAJOR) {
        fail(path,
             "plugin ABI " + std::to_string(manifest->abi_major) + "." +
                 std::to_string(manifest->abi_minor) + " is not supported by this mlpsrun (ABI " +
                 std::to_string(MLPS_ABI_MAJOR) + "." + std::to_string(MLPS_ABI_MINOR) +
                 "): rebuild it against mlps-plugin-" + std::to_string(MLPS_ABI_MAJOR));
    }
    // A newer minor is fine: it only appended fields and ops, and we read only v1 ones.
    if (manifest->struct_size < kManifestV1Size) {
        fail(path,
             "manifest is " + std::to_string(manifest->struct_size) +
                 " bytes, smaller than ABI 1.0's " + std::to_string(kManifestV1Size) +
                 " (set struct_size = sizeof(struct mlps_plugin_manifest))");
    }
    if (manifest->n_plugins < 1 || manifest->n_plugins > kMaxPluginsPerFile) {
        fail(path,
             "manifest declares " + std::to_string(manifest->n_plugins) +
                 " plugins (expected 1 to " + std::to_string(kMaxPluginsPerFile) + ")");
    }
    if (manifest->plugins == nullptr) {
        fail(path, "manifest has no descriptor array (plugins is NULL)");
    }

    PluginFile file;
    file.path = path;
    file.handle = handle;
    std::set<std::pair<uint32_t, std::string>> seen;
    for (uint32_t i = 0; i < manifest->n_plugins; ++i) {
        LoadedPlugin plugin;
        plugin.path = path;
        plugin.descriptor = manifest->plugins[i];
        plugin.abiMajor = manifest->abi_major;
        plugin.abiMinor = manifest->abi_minor;
        checkDescriptor(path, i, plugin);
        if (!seen.emplace(plugin.descriptor->kind, plugin.name()).second) {
            fail(path, "declares " + pluginLabel(*plugin.descriptor) + " twice");
        }
        file.plugins.push_back(std::move(plugin));
    }
    return file;
}

} // namespace mlps::core
