// Helpers of the spec tests: a temporary folder, writing fixture files at test time, and
// catching the ConfigError a call must throw.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spec/run_spec.hpp"

namespace mlps::test {

// A fresh folder under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
  public:
    TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    ~TempDir();
    const std::string &path() const { return path_; }
    // Writes `content` to path()/name and returns the full path.
    std::string write(const std::string &name, const std::string &content) const;

  private:
    std::string path_;
};

// The message of the ConfigError (exit code 2) that `body` throws; fails the test (and returns
// "") when it throws nothing or something else.
std::string configErrorOf(const std::function<void()> &body);

// The smallest valid spec, to which tests add or change lines.
extern const char *const kMinimalSpec;

core::ExpandContext
testContext(); // rank 3, local rank 1, host "node7", run id "r42", tmpdir "/scratch"

core::RunSpec loadText(const std::string &text, const std::vector<std::string> &overrides = {});
// The error message of loading `text` as "spec.yaml".
std::string loadError(const std::string &text, const std::vector<std::string> &overrides = {});

} // namespace mlps::test
