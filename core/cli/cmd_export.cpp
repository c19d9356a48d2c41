// `mlpsrun export RUN... --csv FILE --xlsx FILE`: runs as a table for spreadsheets and scripts,
// one row per run (see results/result_export.hpp for the columns).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "results/result_export.hpp"
#include "results/run_lookup.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

struct ExportOptions {
    std::vector<std::string> runs;
    std::string resultsDir = "results";
    std::string csv;
    std::string xlsx;
};

int exportRuns(const ExportOptions &o) {
    if (o.csv.empty() && o.xlsx.empty()) {
        throw ConfigError("export: say where to: --csv FILE and/or --xlsx FILE");
    }
    if (!o.xlsx.empty() && !xlsxAvailable()) {
        writeXlsx({}, o.xlsx); // throws, saying how to get it
    }
    std::vector<nlohmann::json> summaries;
    if (o.runs.empty()) {
        // Every run of the index that left a summary.
        for (const auto &entry : RunIndex(o.resultsDir).read()) {
            if (entry.value("result", nlohmann::json()).is_string()) {
                try {
                    summaries.push_back(loadRun(entry["result"], o.resultsDir).summary);
                } catch (const ConfigError &e) {
                    logWarn(std::string("skipped: ") + e.what());
                }
            }
        }
        if (summaries.empty()) {
            throw ConfigError("no runs with results in " + RunIndex(o.resultsDir).path());
        }
    }
    for (const auto &run : o.runs) {
        summaries.push_back(loadRun(run, o.resultsDir).summary);
    }
    const ResultTable table = resultTable(summaries);
    if (!o.csv.empty()) {
        writeCsv(table, o.csv);
        std::cerr << "mlpsrun: " << table.rows.size() << " run(s), " << table.columns.size()
                  << " columns -> " << o.csv << "\n";
    }
    if (!o.xlsx.empty()) {
        writeXlsx(table, o.xlsx);
        std::cerr << "mlpsrun: " << table.rows.size() << " run(s), " << table.columns.size()
                  << " columns -> " << o.xlsx << "\n";
    }
    return kExitOk;
}

} // namespace

Subcommand addExportCommand(CLI::App &app) {
    auto o = std::make_shared<ExportOptions>();
    auto *cmd = app.add_subcommand(
        "export",
        "Runs as a table, one row per run (headline and per-class figures; for kvcache also "
        "the reference's spreadsheet columns): CSV and/or XLSX");
    cmd->add_option("RUN",
                    o->runs,
                    "A run id (or its beginning), a run's results folder, or its summary.json; "
                    "none: every run in the results folder's index")
        ->type_name("RUN");
    cmd->add_option(
           "--results-dir", o->resultsDir, "Where run ids are looked up (default: results)")
        ->type_name("DIR");
    cmd->add_option("--csv", o->csv, "Write a CSV file (RFC 4180, a header row)")
        ->type_name("FILE");
    cmd->add_option("--xlsx",
                    o->xlsx,
                    std::string("Write an XLSX workbook (sheet \"Runs\")") +
                        (xlsxAvailable() ? "" : "; NOT AVAILABLE: built without libxlsxwriter"))
        ->type_name("FILE");
    return {cmd, [o] { return exportRuns(*o); }};
}

} // namespace mlps::core
