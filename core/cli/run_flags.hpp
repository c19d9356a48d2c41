// `mlpsrun run BENCHMARK --option value ...`: a benchmark's name in place of a spec file
// (run_flags.cpp).
#pragma once

#include <string>

#include "cli/commands.hpp"

namespace mlps::core {

// True when SPEC is a name ([a-z0-9_-]) and no file of that name exists.
bool namesBenchmark(const std::string &specArg);
// The shipped default spec of a benchmark (share/specs/, embedded), or nullptr.
const char *shippedSpecText(const std::string &benchmark);
// When options.specPath names a benchmark: sets specText/specName to its default spec and turns
// options.extraArgs (--flag value, --flag=value, bare bool flags; the reference's names as
// aliases) into --set overrides placed before the explicit ones. Otherwise extra arguments are
// a usage error. Throws ConfigError with a did-you-mean for unknown flags.
void applyBenchmarkFlags(RunCommandOptions &options);

} // namespace mlps::core
