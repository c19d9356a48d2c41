// Loading an in-tree plugin by the path meson hands the test in an environment variable, and
// typed options for its create(), built by hand the way the core would resolve them.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <mlps/plugin.h>

namespace mlps::test {

// The descriptor of plugin file $<envVar>; nullptr (and a doctest MESSAGE) when the variable is
// unset, i.e. the plugin was not built. Fails the test when the file does not load.
const mlps_plugin_descriptor *loadPlugin(const char *envVar);

class Options {
  public:
    Options &boolean(const char *name, bool value);
    Options &integer(const char *name, int64_t value);
    Options &real(const char *name, double value);
    Options &size(const char *name, uint64_t value);
    Options &duration(const char *name, uint64_t ns);
    Options &bandwidth(const char *name, uint64_t bytesPerSecond);
    Options &string(const char *name, const std::string &value, uint32_t type = MLPS_OPT_STRING);
    // Common tier keys, as the core adds them.
    Options &tier(const std::string &name, uint64_t capacity = 0, bool keep = false);

    const mlps_config *config();

  private:
    mlps_option_value &add(const char *name, uint32_t type);

    std::deque<std::string> strings_;
    std::vector<mlps_option_value> values_;
    mlps_config config_{};
};

} // namespace mlps::test
