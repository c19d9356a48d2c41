// `mlpsrun history list` and `mlpsrun history show ID`: the run index of a results folder.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "results/run_index.hpp"
#include "runtime/run_summary.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

std::string joined(const nlohmann::json &list) {
    std::string out;
    if (list.is_array()) {
        for (const auto &item : list) {
            out += (out.empty() ? "" : ",") +
                   (item.is_string() ? item.get<std::string>() : item.dump());
        }
    }
    return out;
}

std::string statusText(const nlohmann::json &entry) {
    std::string status = entry.value("status", "?");
    if (entry.value("partial", false) && status == "ok") {
        status += " (partial)";
    }
    return status;
}

} // namespace

int historyListCommand(const std::string &resultsDir, size_t limit) {
    const RunIndex index(resultsDir);
    const auto entries = index.read();
    if (entries.empty()) {
        std::cout << "no runs recorded in " << index.path() << "\n";
        return kExitOk;
    }
    const size_t first = limit != 0 && entries.size() > limit ? entries.size() - limit : 0;
    std::printf("%-22s %-24s %-12s %5s  %-16s %-12s %s\n",
                "ID",
                "STARTED (UTC)",
                "BENCHMARK",
                "RANKS",
                "HOSTS",
                "STATUS",
                "RESULT");
    for (size_t i = first; i < entries.size(); ++i) {
        const auto &e = entries[i];
        const nlohmann::json result = e.value("result", nlohmann::json());
        std::printf("%-22s %-24s %-12s %5u  %-16s %-12s %s\n",
                    e.value("id", "?").c_str(),
                    e.value("time", "").c_str(),
                    e.value("benchmark", "?").c_str(),
                    e.value("ranks", 1u),
                    joined(e.value("hosts", nlohmann::json::array())).c_str(),
                    statusText(e).c_str(),
                    result.is_string() ? result.get<std::string>().c_str() : "-");
    }
    return kExitOk;
}

int historyShowCommand(const std::string &resultsDir, const std::string &id) {
    const RunIndex index(resultsDir);
    const auto matches = index.find(id);
    if (matches.empty()) {
        throw ConfigError("no run with an id starting with '" + id + "' in " + index.path() +
                          " (see `mlpsrun history list`)");
    }
    // The same id twice is one run recorded twice (should not happen); different ids are an
    // ambiguous prefix.
    if (matches.size() > 1 && matches.front().value("id", "") != matches.back().value("id", "")) {
        std::string ids;
        for (const auto &m : matches) {
            ids += "\n  " + m.value("id", "?");
        }
        throw ConfigError("'" + id + "' matches " + std::to_string(matches.size()) +
                          " runs; give more of the id:" + ids);
    }
    const auto &entry = matches.back();
    std::cout << entry.dump(2) << "\n";
    const nlohmann::json result = entry.value("result", nlohmann::json());
    if (result.is_string()) {
        std::ifstream in(result.get<std::string>());
        const auto summary = nlohmann::json::parse(in, nullptr, false);
        if (!summary.is_discarded() && summary.is_object()) {
            printHumanSummary(summary, std::cout);
        } else {
            std::cout << "(the summary " << result.get<std::string>()
                      << " is gone or unreadable)\n";
        }
    }
    return kExitOk;
}

} // namespace mlps::core
