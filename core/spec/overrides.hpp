// --set "key.path=value" overrides, applied to the YAML tree before validation so that a bad
// value reads like any other spec error (located at "--set" instead of a line).
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace mlps::core {

// Applies one override to `root` (a map). The path is dotted map keys; a list element is
// `tiers[0]` or, for lists of named maps, `tiers.fast`. Missing map keys (and null values on the
// way) become maps; the value is parsed as YAML. The nodes it adds carry no mark, which is how
// later messages know to say "--set". Throws ConfigError("--set KEY=VALUE: ...").
void applyOverride(YAML::Node &root, const std::string &override);

} // namespace mlps::core
