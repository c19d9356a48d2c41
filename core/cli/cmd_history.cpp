// `mlpsrun history list` and `mlpsrun history show ID`: the run index of a results folder.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>

#include "cli/commands.hpp"
#include "results/run_figures.hpp"
#include "results/run_index.hpp"
#include "results/run_lookup.hpp"
#include "results/run_summary.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

using json = nlohmann::json;

struct HistoryOptions {
    std::string resultsDir = "results";
    size_t last = 0;
    std::string benchmark;
    std::string since;
    std::string status;
    bool json = false;
    std::string id; // show
};

std::string statusText(const json &entry) {
    std::string status = entry.value("status", "?");
    if (entry.value("partial", false) && status == "ok") {
        status += " (partial)";
    }
    return status;
}

// --since as the start of an ISO 8601 UTC time, comparable with the index's "time" as text:
// a date or date and time ("2026-11-30", "2026-11-30T10:00", a space for the T), or an age
// back from now ("90m", "12h", "7d").
std::string sinceBound(const std::string &since) {
    static const std::regex age(R"(^(\d+)\s*([smhdw])$)");
    static const std::regex stamp(R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?)?)?$)");
    std::smatch m;
    if (std::regex_match(since, m, age)) {
        const long n = std::stol(m[1].str());
        const long unit = m[2] == "s"   ? 1
                          : m[2] == "m" ? 60
                          : m[2] == "h" ? 3600
                          : m[2] == "d" ? 86400
                                        : 7 * 86400;
        const std::time_t t = std::time(nullptr) - n * unit;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char text[32];
        std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
        return text;
    }
    if (std::regex_match(since, stamp)) {
        std::string bound = since;
        if (bound.size() > 10) {
            bound[10] = 'T';
        }
        return bound;
    }
    throw ConfigError("--since '" + since +
                      "': expected a date (2026-11-30), a UTC time (2026-11-30T14:00) or an age "
                      "(90m, 12h, 7d)");
}

bool matches(const json &entry, const HistoryOptions &o, const std::string &since) {
    if (!o.benchmark.empty() && entry.value("benchmark", "") != o.benchmark) {
        return false;
    }
    if (!since.empty() && entry.value("time", "") < since) {
        return false;
    }
    if (o.status == "partial") {
        return entry.value("partial", false);
    }
    return o.status.empty() || entry.value("status", "") == o.status;
}

// The headline the index carries; runs recorded before it did: read from their summary.
json headlineOf(const json &entry) {
    if (entry.contains("headline")) {
        return entry["headline"];
    }
    const json result = entry.value("result", json());
    if (!result.is_string()) {
        return json::object();
    }
    std::ifstream in(result.get<std::string>());
    const json summary = json::parse(in, nullptr, false);
    if (summary.is_discarded() || !summary.is_object()) {
        return json::object();
    }
    return figuresObject(headlineFigures(summary));
}

std::vector<Figure> asFigures(const json &headline) {
    std::vector<Figure> figures;
    for (const auto &[key, value] : headline.items()) {
        figures.push_back({key, value, ""});
    }
    return figures;
}

int historyList(const HistoryOptions &o) {
    const RunIndex index(o.resultsDir);
    const std::string since = o.since.empty() ? std::string() : sinceBound(o.since);
    std::vector<json> entries;
    for (auto &entry : index.read()) {
        if (matches(entry, o, since)) {
            entry["headline"] = headlineOf(entry);
            entries.push_back(std::move(entry));
        }
    }
    if (o.last != 0 && entries.size() > o.last) {
        entries.erase(entries.begin(), entries.end() - long(o.last));
    }
    if (o.json) {
        std::cout << json(entries).dump(2) << "\n";
        return kExitOk;
    }
    if (entries.empty()) {
        std::cout << "no runs"
                  << (o.benchmark.empty() && o.since.empty() && o.status.empty()
                          ? ""
                          : " matching the filters")
                  << " in " << index.path() << "\n";
        return kExitOk;
    }
    std::printf(
        "%-22s %-20s %-10s %-12s %s\n", "ID", "STARTED (UTC)", "BENCHMARK", "STATUS", "HEADLINE");
    for (const auto &e : entries) {
        // ISO time to the second, "T" as a space: the date a person reads.
        std::string when = e.value("time", "").substr(0, 19);
        if (when.size() > 10) {
            when[10] = ' ';
        }
        std::printf("%-22s %-20s %-10s %-12s %s\n",
                    e.value("id", "?").c_str(),
                    when.c_str(),
                    e.value("benchmark", "?").c_str(),
                    statusText(e).c_str(),
                    headlineText(asFigures(e["headline"])).c_str());
    }
    return kExitOk;
}

int historyShow(const HistoryOptions &o) {
    const json entry = findRunEntry(RunIndex(o.resultsDir), o.id);
    std::cout << entry.dump(2) << "\n";
    const json result = entry.value("result", json());
    if (result.is_string()) {
        std::ifstream in(result.get<std::string>());
        const auto summary = json::parse(in, nullptr, false);
        if (!summary.is_discarded() && summary.is_object()) {
            printHumanSummary(summary, std::cout);
        } else {
            std::cout << "(the summary " << result.get<std::string>()
                      << " is gone or unreadable)\n";
        }
    }
    return kExitOk;
}

} // namespace

Subcommand addHistoryCommand(CLI::App &app) {
    auto o = std::make_shared<HistoryOptions>();
    auto *history = app.add_subcommand("history", "The runs recorded in a results folder");
    history->require_subcommand(1);
    auto *list = history->add_subcommand(
        "list",
        "Every run: id, start, benchmark, status and headline (kvcache: model, users, "
        "requests/s, hit rate, storage health; tierbench: GiB/s)");
    list->add_option("--results-dir", o->resultsDir, "The results folder (default: results)")
        ->type_name("DIR");
    list->add_option("--last", o->last, "Only the last N runs (after the filters)")->type_name("N");
    list->add_option("--benchmark", o->benchmark, "Only runs of this benchmark (e.g. kvcache)")
        ->type_name("NAME");
    list->add_option("--since",
                     o->since,
                     "Only runs started since a date (2026-11-30), a UTC time "
                     "(2026-11-30T14:00) or an age (90m, 12h, 7d)")
        ->type_name("WHEN");
    list->add_option("--status",
                     o->status,
                     "Only runs that ended so: ok, failed, interrupted, crashed, killed, hung; "
                     "partial: any run marked partial")
        ->check(
            CLI::IsMember({"ok", "failed", "interrupted", "crashed", "killed", "hung", "partial"}))
        ->type_name("STATUS");
    list->add_flag("--json", o->json, "The matching index entries as a JSON array");
    auto *show =
        history->add_subcommand("show", "One run's record and summary (an id prefix will do)");
    show->add_option("ID", o->id, "A run id, or its beginning")->required();
    show->add_option("--results-dir", o->resultsDir, "The results folder (default: results)")
        ->type_name("DIR");
    return {history, [o, list] {
                if (*list) {
                    return historyList(*o);
                }
                return historyShow(*o);
            }};
}

} // namespace mlps::core
