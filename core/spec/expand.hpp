// Placeholders in spec strings: {rank}, {local_rank}, {host}, {run_id} and {tmpdir}; `{{` and
// `}}` are literal braces. Used for run.results_dir, plugin_path and STRING/PATH options.
#pragma once

#include <string>

#include "spec/run_spec.hpp"
#include "util/errors.hpp"

namespace mlps::core {

// Thrown for an unknown placeholder or a stray brace. The message names the problem but not
// where it is; callers prefix file:line:col and the key path.
class PlaceholderError : public ConfigError {
  public:
    using ConfigError::ConfigError;
};

// Expands every placeholder of `text`. An empty ExpandContext::tmpdir stands for $TMPDIR, or
// /tmp without it. Throws PlaceholderError.
std::string expandPlaceholders(const std::string &text, const ExpandContext &context);

} // namespace mlps::core
