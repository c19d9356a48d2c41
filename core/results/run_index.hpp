// The run index: one JSON object per line in <results_dir>/index.jsonl, one line per run
// (single-rank or MPI, ok, failed or interrupted), appended when the run ends. Appends take an
// exclusive flock and go out in one write() on an O_APPEND descriptor, so runs that end at the
// same moment (or on hosts sharing the folder over a file system with working locks) never
// interleave; readers take a shared lock.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlps::core {

class RunIndex {
  public:
    static constexpr const char *kFileName = "index.jsonl";

    explicit RunIndex(std::string resultsDir);
    const std::string &path() const { return path_; }

    // Appends one entry (an object: id, time, benchmark, spec, spec_hash, ranks, hosts, status,
    // partial, exit_code, result). Creates the folder and the file when needed. Throws
    // SystemError when the file cannot be written.
    void append(const nlohmann::json &entry) const;
    // Every entry, oldest first; a line that is not a JSON object is skipped with a warning
    // naming its line number. Empty when the index does not exist.
    std::vector<nlohmann::json> read() const;
    // The entries whose id starts with `prefix`.
    std::vector<nlohmann::json> find(const std::string &prefix) const;

  private:
    std::string path_;
};

} // namespace mlps::core
