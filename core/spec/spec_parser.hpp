// YAML text -> RunSpec. Every error is a ConfigError naming file:line:col, the key path, what was
// expected and what was found (with "did you mean" for unknown keys). Hostile input is refused
// before yaml-cpp sees it or while walking it: empty files, directories, binary files, files over
// kMaxSpecBytes, alias bombs (node budget), absurd nesting.
#pragma once

#include <string>
#include <vector>

#include "spec/run_spec.hpp"

namespace mlps::core {

constexpr size_t kMaxSpecBytes =
    1 << 20; // 1 MiB: specs are hand-written; anything larger is a mistake

// Reads and parses a spec file. `overrides` are --set "key.path=value" strings, applied before
// validation so that their errors read like spec errors.
RunSpec loadSpecFile(const std::string &path,
                     const std::vector<std::string> &overrides,
                     const ExpandContext &expand);

// The same for text already in memory (the embedded default spec, tests).
RunSpec loadSpecText(const std::string &text,
                     const std::string &sourceName,
                     const std::vector<std::string> &overrides,
                     const ExpandContext &expand);

} // namespace mlps::core
