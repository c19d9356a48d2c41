#include "plugin_under_test.hpp"

#include <cstdlib>
#include <dlfcn.h>

#include <doctest/doctest.h>

namespace mlps::test {

const mlps_plugin_descriptor *loadPlugin(const char *envVar) {
    const char *path = std::getenv(envVar);
    if (path == nullptr || *path == '\0') {
        MESSAGE("skipped: $" << envVar << " is not set (plugin not built)");
        return nullptr;
    }
    // Never dlclose: descriptors point into the library, as in the runner.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    INFO("dlopen " << path << ": " << (handle == nullptr ? dlerror() : "ok"));
    REQUIRE(handle != nullptr);
    auto entry = reinterpret_cast<mlps_plugin_entry_fn>(dlsym(handle, MLPS_PLUGIN_ENTRY_NAME));
    REQUIRE(reinterpret_cast<void *>(entry) != nullptr);
    const mlps_plugin_manifest *manifest = entry();
    REQUIRE(manifest != nullptr);
    REQUIRE(manifest->abi_major == MLPS_ABI_MAJOR);
    REQUIRE(manifest->n_plugins == 1);
    const mlps_plugin_descriptor *d = manifest->plugins[0];
    REQUIRE(d->struct_size >= sizeof(mlps_plugin_descriptor));
    REQUIRE(d->option_struct_size == sizeof(mlps_option_spec));
    return d;
}

mlps_option_value &Options::add(const char *name, uint32_t type) {
    for (mlps_option_value &v : values_) { // setting an option again replaces it
        if (std::string(v.name) == name) {
            v.type = type;
            return v;
        }
    }
    strings_.emplace_back(name);
    mlps_option_value v{};
    v.name = strings_.back().c_str();
    v.type = type;
    v.is_set = 1;
    values_.push_back(v);
    return values_.back();
}

Options &Options::boolean(const char *name, bool value) {
    add(name, MLPS_OPT_BOOL).v.b = value ? 1 : 0;
    return *this;
}
Options &Options::integer(const char *name, int64_t value) {
    add(name, MLPS_OPT_INT).v.i = value;
    return *this;
}
Options &Options::real(const char *name, double value) {
    add(name, MLPS_OPT_FLOAT).v.f = value;
    return *this;
}
Options &Options::size(const char *name, uint64_t value) {
    add(name, MLPS_OPT_SIZE).v.u = value;
    return *this;
}
Options &Options::duration(const char *name, uint64_t ns) {
    add(name, MLPS_OPT_DURATION).v.u = ns;
    return *this;
}
Options &Options::bandwidth(const char *name, uint64_t bytesPerSecond) {
    add(name, MLPS_OPT_BANDWIDTH).v.u = bytesPerSecond;
    return *this;
}
Options &Options::string(const char *name, const std::string &value, uint32_t type) {
    mlps_option_value &v = add(name, type);
    strings_.push_back(value);
    v.v.s = strings_.back().c_str();
    return *this;
}
Options &Options::tier(const std::string &name, uint64_t capacity, bool keep) {
    return string("tier_name", name).size("capacity", capacity).boolean("keep", keep);
}

const mlps_config *Options::config() {
    config_.struct_size = sizeof config_;
    config_.n_values = static_cast<uint32_t>(values_.size());
    config_.values = values_.data();
    config_.json = "{}";
    return &config_;
}

} // namespace mlps::test
