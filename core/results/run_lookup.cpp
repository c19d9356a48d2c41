#include "results/run_lookup.hpp"

#include <filesystem>
#include <fstream>

#include "util/errors.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

nlohmann::json findRunEntry(const RunIndex &index, const std::string &prefix) {
    const auto matches = index.find(prefix);
    if (matches.empty()) {
        throw ConfigError("no run with an id starting with '" + prefix + "' in " + index.path() +
                          " (see `mlpsrun history list`)");
    }
    // The same id twice is one run recorded twice (should not happen); different ids are an
    // ambiguous prefix.
    if (matches.size() > 1 && matches.front().value("id", "") != matches.back().value("id", "")) {
        std::string ids;
        for (const auto &m : matches) {
            ids += "\n  " + m.value("id", "?");
        }
        throw ConfigError("'" + prefix + "' matches " + std::to_string(matches.size()) +
                          " runs; give more of the id:" + ids);
    }
    return matches.back();
}

LoadedRun loadRun(const std::string &run, const std::string &resultsDir) {
    LoadedRun loaded;
    std::error_code ec;
    if (fs::is_directory(run, ec)) {
        loaded.summaryPath = (fs::path(run) / "summary.json").string();
    } else if (fs::is_regular_file(run, ec)) {
        loaded.summaryPath = run;
    } else {
        const RunIndex index(resultsDir);
        const nlohmann::json entry = findRunEntry(index, run);
        const nlohmann::json result = entry.value("result", nlohmann::json());
        if (!result.is_string()) {
            throw ConfigError("run " + entry.value("id", run) +
                              " has no results (it failed before writing any: " +
                              entry.value("error", std::string("see its run.log")) + ")");
        }
        loaded.summaryPath = result.get<std::string>();
    }
    std::ifstream in(loaded.summaryPath);
    if (!in) {
        throw ConfigError(loaded.summaryPath + ": cannot be read (is '" + run +
                          "' a run id, a results folder or a summary.json?)");
    }
    loaded.summary = nlohmann::json::parse(in, nullptr, false);
    if (loaded.summary.is_discarded() || !loaded.summary.is_object() ||
        !loaded.summary.contains("run_id")) {
        throw ConfigError(loaded.summaryPath + ": not an mlps summary.json");
    }
    loaded.id = loaded.summary.value("run_id", "?");
    return loaded;
}

} // namespace mlps::core
