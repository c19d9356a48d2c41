// Validates one plugin's options (YAML) against its schema (mlps_option_spec[]) and produces the
// C view handed to create(): every schema option present, typed, defaults applied, strings
// expanded. Owns all the memory the view points into.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <mlps/plugin_abi.h>

#include "spec/run_spec.hpp"

namespace mlps::core {

class ResolvedOptions {
  public:
    ResolvedOptions() = default;
    ResolvedOptions(const ResolvedOptions &) = delete;
    ResolvedOptions &operator=(const ResolvedOptions &) = delete;
    ResolvedOptions(ResolvedOptions &&) = default;
    ResolvedOptions &operator=(ResolvedOptions &&) = default;

    // Extra values the core adds (the common tier keys capacity/keep/tier_name).
    void addSize(const std::string &name, uint64_t bytes);
    void addBool(const std::string &name, bool value);
    void addString(const std::string &name, const std::string &value);

    // Valid until this object changes or dies.
    const mlps_config *config();
    // The same values as JSON ({"mode": "read", "emulate": {"bandwidth": 6.4e10}}; sizes in
    // bytes, durations in ns, bandwidths in bytes/s), for spec.resolved and summary.json.
    const nlohmann::json &json() const { return json_; }

    // Used by resolveOptions.
    void add(mlps_option_value value, const nlohmann::json &asJson);

  private:
    const char *keep(const std::string &s);

    std::deque<std::string> strings_; // deque: growing it never moves the strings
    std::vector<mlps_option_value> values_;
    nlohmann::json json_ = nlohmann::json::object();
    std::string jsonText_;
    mlps_config config_{};
};

// `options` is the spec's options map (null = none). `use` gives the key path and file for
// messages ("spec.yaml:14:9: tiers[0].options.emulate.bandwith: unknown option; did you mean
// 'emulate.bandwidth'?"). Throws ConfigError.
ResolvedOptions resolveOptions(const mlps_plugin_descriptor &descriptor,
                               const PluginUse &use,
                               const ExpandContext &expand);

// Checks the schema itself (defaults parse, bounds ordered, enum default among choices). Used
// by the loader so that a broken schema is a plugin error, not a confusing spec error. Returns
// an empty string when fine, else the first problem.
std::string checkSchema(const mlps_plugin_descriptor &descriptor);

} // namespace mlps::core
