#include "results/run_record.hpp"

#include <filesystem>
#include <fstream>

#include "build_config.hpp"
#include "results/run_index.hpp"
#include "results/run_summary.hpp"
#include "runtime/clock.hpp"
#include "util/errors.hpp"
#include "util/owner_record.hpp"
#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

void writeRunState(const std::string &resultsDir, const nlohmann::json &state) {
    writeJsonFile(resultsDir + "/" + kRunStateFile, state);
}

namespace {

nlohmann::json readJson(const std::string &path) {
    std::ifstream in(path);
    if (!in) {
        return nlohmann::json::object();
    }
    nlohmann::json parsed = nlohmann::json::parse(in, nullptr, false);
    return parsed.is_object() ? parsed : nlohmann::json::object();
}

// The tier folders of the state that the dead process owned; each removal re-checks the
// record, so a folder reused or taken over since is left alone.
size_t removeTierFolders(const nlohmann::json &state, pid_t deadPid, std::string &problems) {
    size_t removed = 0;
    for (const auto &tier : state.value("tiers", nlohmann::json::array())) {
        const std::string location = tier.value("location", "");
        if (location.empty()) {
            continue;
        }
        const auto owner = readOwnerRecord(location);
        if (!owner || owner->pid != deadPid) {
            continue;
        }
        TierFolder folder{location, *owner, ownerState(*owner), 0};
        const std::string problem = removeDeadFolder(folder);
        if (problem.empty()) {
            ++removed;
        } else {
            problems += "\n  " + location + " left: " + problem;
        }
    }
    return removed;
}

} // namespace

std::string recordAbandonedRun(const std::string &resultsDir,
                               pid_t deadPid,
                               const std::string &status,
                               const std::string &message,
                               int exitCode,
                               bool resultsWritten) {
    const nlohmann::json state = readJson(resultsDir + "/" + kRunStateFile);
    std::string text;
    if (!resultsWritten && !state.empty()) {
        // What the run left (a summary written before a crash in teardown) is kept and marked.
        nlohmann::json summary = readJson(resultsDir + "/summary.json");
        if (summary.empty()) {
            summary = {{"schema", kSummarySchema},
                       {"mlps_version", MLPS_VERSION},
                       {"run_id", state.value("run_id", "")},
                       {"benchmark_name", state.value("benchmark", "")},
                       {"started_at", state.value("started_at", "")},
                       {"results_dir", resultsDir},
                       {"ranks", state.value("ranks", 1)},
                       {"spec", state.value("spec", nlohmann::json::object())},
                       {"plugins", state.value("plugins", nlohmann::json::object())},
                       {"tiers", state.value("tiers", nlohmann::json::array())},
                       {"metrics", nlohmann::json::object()},
                       {"benchmark", nlohmann::json::object()}};
        }
        summary["status"] = status;
        summary["partial"] = true;
        summary["exit_code"] = exitCode;
        nlohmann::json errors = summary.value("errors", nlohmann::json::array());
        errors.push_back(message);
        summary["errors"] = errors;
        summary["ended_at"] = utcTimestamp();
        try {
            writeJsonFile(resultsDir + "/summary.json", summary);
            text = "record written to " + resultsDir + "/summary.json (status " + status + ")";
        } catch (const std::exception &e) {
            text = std::string("no summary written: ") + e.what();
        }
        const std::string indexDir = state.value("index_dir", "");
        if (!indexDir.empty()) {
            try {
                RunIndex(indexDir).append({{"id", state.value("run_id", "")},
                                           {"time", state.value("started_at", "")},
                                           {"ended", utcTimestamp()},
                                           {"benchmark", state.value("benchmark", "")},
                                           {"spec", state["spec"].value("source", "")},
                                           {"spec_hash", state["spec"].value("hash_fnv1a64", "")},
                                           {"ranks", state.value("ranks", 1)},
                                           {"hosts", {hostName()}},
                                           {"status", status},
                                           {"partial", true},
                                           {"exit_code", exitCode},
                                           {"error", message},
                                           {"result", resultsDir + "/summary.json"}});
            } catch (const std::exception &e) {
                text += std::string("; run index not updated: ") + e.what();
            }
        }
    }
    std::ofstream log(resultsDir + "/run.log", std::ios::app);
    log << utcTimestamp() << " [error] mlpsrun: " << message << "\n";
    std::string problems;
    const size_t removed = removeTierFolders(state, deadPid, problems);
    text +=
        (text.empty() ? "" : "; ") + std::to_string(removed) + " tier folder(s) removed" + problems;
    return text;
}

} // namespace mlps::core
