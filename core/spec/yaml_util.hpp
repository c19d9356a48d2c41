// yaml-cpp helpers shared by the spec parser, the --set overrides and the option resolver:
// locations for messages, describing what was found, the node budget that stops alias bombs,
// and the YAML -> JSON conversion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "spec/run_spec.hpp"

namespace mlps::core {

// A spec is hand-written: far fewer nodes than this, nested far less deeply. yaml-cpp shares the
// node an alias points to, so a "billion laughs" file is small in memory but exponential to
// walk; every walk of a spec tree counts the nodes it visits against this budget.
constexpr size_t kMaxSpecNodes = 100'000;
constexpr int kMaxSpecDepth = 256;

// Where `node` is: file:line:col (1-based) from its mark, or "--set" for a node that a
// command-line override created (those carry no mark).
SourceLocation locationOf(const YAML::Node &node, const std::string &file);

// The location of a map value. yaml-cpp marks an empty value (`key:`) at the next token, often
// on a later line, so a null value is located at its key.
SourceLocation
valueLocation(const YAML::Node &key, const YAML::Node &value, const std::string &file);

// "a map", "a list", "nothing (null)" or the quoted scalar: the "found ..." of a message.
std::string describeFound(const YAML::Node &node);

// "spec.yaml:12:15: tiers[0].capacity: <what>"; either part may be empty.
std::string
messageAt(const SourceLocation &at, const std::string &keyPath, const std::string &what);
[[noreturn]] void
failAt(const SourceLocation &at, const std::string &keyPath, const std::string &what);

// "tiers" + 0 -> "tiers[0]", "run" + "seed" -> "run.seed", "" + "run" -> "run".
std::string childPath(const std::string &parent, const std::string &key);
std::string indexPath(const std::string &parent, size_t index);

// Walks the whole tree once, aliases expanded: throws ConfigError past kMaxSpecNodes visits or
// kMaxSpecDepth levels, for a key that is not a scalar, and for a key given twice in one map
// (yaml-cpp keeps both silently).
void checkTree(const YAML::Node &root, const std::string &file);

// YAML 1.2 core-schema booleans (true/false in any case) plus yes/no/on/off, which people write
// in hand-made specs. False when `text` is none of them.
bool parseBoolText(std::string_view text, bool &value);

// The subtree as JSON: quoted scalars are strings; plain ones become null, booleans, integers
// or floats when they read as such. Counts nodes against kMaxSpecNodes like checkTree.
nlohmann::json yamlToJson(const YAML::Node &node);

} // namespace mlps::core
