// `mlpsrun compare RUN RUN [...]`: runs side by side. First what differs in what was run (spec,
// --set, options, ranks and hosts, versions), then every figure all the runs share, with each
// run's delta and ratio against the first (the baseline).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "results/run_figures.hpp"
#include "results/run_lookup.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

using json = nlohmann::json;

struct CompareOptions {
    std::vector<std::string> runs;
    std::string resultsDir = "results";
    bool json = false;
    bool headlineOnly = false;
};

struct Row {
    std::string key;
    std::vector<double> values; // one per run
};

json ratioOf(double value, double base) {
    return base != 0 ? json(value / base) : json(nullptr);
}

// Whole numbers (bytes, counts) in full; others to 6 significant digits.
std::string cell(double v) {
    char text[48];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(text, sizeof text, "%.0f", v);
    } else {
        std::snprintf(text, sizeof text, "%.6g", v);
    }
    return text;
}

std::string ratioCell(const json &ratio) {
    if (ratio.is_null()) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.4gx", ratio.get<double>());
    return text;
}

// Every setting that is not the same in all runs ("-" where a run lacks it).
std::vector<std::pair<std::string, std::vector<std::string>>>
differences(const std::vector<LoadedRun> &runs) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> values;
    for (size_t r = 0; r < runs.size(); ++r) {
        for (const auto &[key, value] : runSettings(runs[r].summary)) {
            auto [it, fresh] = values.try_emplace(key, runs.size(), "-");
            if (fresh) {
                order.push_back(key);
            }
            it->second[r] = value;
        }
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto &key : order) {
        const auto &v = values[key];
        for (const auto &other : v) {
            if (other != v.front()) {
                out.emplace_back(key, v);
                break;
            }
        }
    }
    return out;
}

// The figures present (as numbers) in every run, headline first.
std::vector<Row>
sharedFigures(const std::vector<LoadedRun> &runs, bool headlineOnly, size_t &unshared) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::optional<double>>> values;
    for (size_t r = 0; r < runs.size(); ++r) {
        std::vector<std::pair<std::string, double>> figures;
        for (const auto &f : headlineFigures(runs[r].summary)) {
            if (f.value.is_number()) {
                figures.emplace_back("headline." + f.key, f.value.get<double>());
            }
        }
        if (!headlineOnly) {
            const auto all = allFigures(runs[r].summary);
            figures.insert(figures.end(), all.begin(), all.end());
        }
        for (const auto &[key, value] : figures) {
            auto [it, fresh] = values.try_emplace(key, runs.size());
            if (fresh) {
                order.push_back(key);
            }
            it->second[r] = value;
        }
    }
    std::vector<Row> rows;
    unshared = 0;
    for (const auto &key : order) {
        Row row{key, {}};
        for (const auto &v : values[key]) {
            if (!v) {
                break;
            }
            row.values.push_back(*v);
        }
        if (row.values.size() == runs.size()) {
            rows.push_back(std::move(row));
        } else {
            ++unshared;
        }
    }
    return rows;
}

int compare(const CompareOptions &o) {
    std::vector<LoadedRun> runs;
    for (const auto &run : o.runs) {
        runs.push_back(loadRun(run, o.resultsDir));
    }
    const auto diffs = differences(runs);
    size_t unshared = 0;
    const auto rows = sharedFigures(runs, o.headlineOnly, unshared);

    if (o.json) {
        json out;
        out["runs"] = json::array();
        for (const auto &r : runs) {
            out["runs"].push_back({{"id", r.id},
                                   {"summary", r.summaryPath},
                                   {"benchmark", r.summary.value("benchmark_name", "")},
                                   {"status", r.summary.value("status", "")},
                                   {"started_at", r.summary.value("started_at", "")}});
        }
        out["baseline"] = runs.front().id;
        out["differences"] = json::array();
        for (const auto &[key, values] : diffs) {
            out["differences"].push_back({{"key", key}, {"values", values}});
        }
        out["figures"] = json::array();
        for (const auto &row : rows) {
            json delta = json::array();
            json ratio = json::array();
            for (double v : row.values) {
                delta.push_back(v - row.values.front());
                ratio.push_back(ratioOf(v, row.values.front()));
            }
            out["figures"].push_back(
                {{"key", row.key}, {"values", row.values}, {"delta", delta}, {"ratio", ratio}});
        }
        out["figures_not_shared"] = unshared;
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }

    std::cout << "Comparing " << runs.size() << " runs (deltas and ratios against run A):\n";
    for (size_t r = 0; r < runs.size(); ++r) {
        const json &s = runs[r].summary;
        std::cout << "  " << char('A' + r) << "  " << runs[r].id << "  "
                  << s.value("benchmark_name", "?") << "  " << s.value("started_at", "?") << "  "
                  << s.value("status", "?") << (s.value("partial", false) ? " (partial)" : "")
                  << "  " << headlineText(headlineFigures(s)) << "\n";
    }
    std::cout << "\nWhat differs in what was run:\n";
    if (diffs.empty()) {
        std::cout << "  nothing: same spec, options, ranks, hosts and versions\n";
    }
    for (const auto &[key, values] : diffs) {
        std::cout << "  " << key << "\n";
        for (size_t r = 0; r < values.size(); ++r) {
            std::cout << "    " << char('A' + r) << ": " << values[r] << "\n";
        }
    }
    std::cout << "\nFigures" << (o.headlineOnly ? " (headline)" : "") << ":\n";
    std::printf("  %-48s", "figure");
    for (size_t r = 0; r < runs.size(); ++r) {
        std::printf(" %14c", char('A' + r));
    }
    for (size_t r = 1; r < runs.size(); ++r) {
        std::printf(" %12s %8s",
                    ("delta " + std::string(1, char('A' + r))).c_str(),
                    ("ratio " + std::string(1, char('A' + r))).c_str());
    }
    std::printf("\n");
    for (const auto &row : rows) {
        std::printf("  %-48s", row.key.c_str());
        for (double v : row.values) {
            std::printf(" %14s", cell(v).c_str());
        }
        for (size_t r = 1; r < row.values.size(); ++r) {
            const json ratio = ratioOf(row.values[r], row.values.front());
            std::printf(" %12s %8s",
                        cell(row.values[r] - row.values.front()).c_str(),
                        ratioCell(ratio).c_str());
        }
        std::printf("\n");
    }
    if (unshared != 0) {
        std::printf("  (%zu figures are not in every run and are left out)\n", unshared);
    }
    std::fflush(stdout);
    return kExitOk;
}

} // namespace

Subcommand addCompareCommand(CLI::App &app) {
    auto o = std::make_shared<CompareOptions>();
    auto *cmd = app.add_subcommand(
        "compare",
        "Runs side by side: what differs in spec, options and hosts, then every shared figure "
        "with its delta and ratio against the first run");
    cmd->add_option("RUN",
                    o->runs,
                    "A run id (or its beginning), a run's results folder, or its summary.json; "
                    "two or more, the first is the baseline")
        ->required()
        ->expected(2, 64);
    cmd->add_option(
           "--results-dir", o->resultsDir, "Where run ids are looked up (default: results)")
        ->type_name("DIR");
    cmd->add_flag("--json", o->json, "Print the comparison as JSON");
    cmd->add_flag("--headline", o->headlineOnly, "Compare only the headline figures");
    return {cmd, [o] { return compare(*o); }};
}

} // namespace mlps::core
