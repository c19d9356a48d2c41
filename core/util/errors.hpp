// The one exception hierarchy of the core's set-up path, caught once in main() and turned into
// a message and an exit code (DESIGN.md §6). Hot paths never throw: they report status codes.
#pragma once

#include <stdexcept>
#include <string>

namespace mlps::core {

// Exit codes of mlpsrun, documented in README.md and `mlpsrun --help`.
enum ExitCode : int {
    kExitOk = 0,
    kExitRunFailed = 1,
    kExitUsage = 2,
    kExitPlugin = 3,
    kExitSystem = 4,
    kExitSkipped = 77,
    kExitInterrupted = 130,
};

class Error : public std::runtime_error {
  public:
    Error(const std::string &message, int exitCode)
        : std::runtime_error(message), exitCode_(exitCode) {}
    int exitCode() const noexcept { return exitCode_; }

  private:
    int exitCode_;
};

// Bad spec, option or command line (exit 2). The message already names file:line:col and the
// key path when there is one.
class ConfigError : public Error {
  public:
    explicit ConfigError(const std::string &message) : Error(message, kExitUsage) {}
};

// A plugin that cannot be found, loaded or validated (exit 3).
class PluginError : public Error {
  public:
    explicit PluginError(const std::string &message) : Error(message, kExitPlugin) {}
};

// No plugin of that kind and name anywhere on the search path. When a spec names it, that is a
// mistake in the spec (exit 2, with the spec's line and column); see core/plugin/spec_plugins.
class PluginNotFoundError : public PluginError {
  public:
    explicit PluginNotFoundError(const std::string &message) : PluginError(message) {}
};

// The machine said no: a file, a directory, memory, a tier that refused to start (exit 4).
class SystemError : public Error {
  public:
    explicit SystemError(const std::string &message) : Error(message, kExitSystem) {}
};

// The run started but failed (exit 1).
class RunError : public Error {
  public:
    explicit RunError(const std::string &message) : Error(message, kExitRunFailed) {}
};

} // namespace mlps::core
