// `mlpsrun report RUN [RUN...] -o report.html`: one self-contained HTML page with plots of one
// or more runs. The page holds everything it shows: each run's summary.json and time series
// (read from timeseries.h5) as JSON, Chart.js (Debian's libjs-chart.js, read from disk now and
// inlined) and the drawing code (cli/report/page.js, built in). Nothing is fetched when the
// page is viewed.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report_page.hpp"
#include "results/run_index.hpp"
#include "results/time_series.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

namespace {

// Where Debian's libjs-chart.js puts the browser build (UMD, defines `Chart`).
constexpr const char *kChartJsPaths[] = {
    "/usr/share/javascript/chart.js/chart.min.js",
    "/usr/share/javascript/chart.js/chart.js",
    "/usr/share/javascript/chart.js/chart.umd.js",
};

std::string readFile(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw SystemError("cannot read '" + path.string() + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string chartJs() {
    std::vector<std::string> tried;
    if (const char *env = std::getenv("MLPS_CHARTJS"); env != nullptr && *env != '\0') {
        if (!fs::is_regular_file(env)) {
            throw SystemError(std::string("MLPS_CHARTJS='") + env + "' is not a file");
        }
        return readFile(env);
    }
    for (const char *path : kChartJsPaths) {
        if (fs::is_regular_file(path)) {
            return readFile(path);
        }
        tried.emplace_back(path);
    }
    std::string list;
    for (const auto &t : tried) {
        list += "\n  " + t;
    }
    throw SystemError("mlpsrun report draws its plots with Chart.js, which is not installed "
                      "(Debian: apt-get install libjs-chart.js; or set MLPS_CHARTJS to a "
                      "chart.min.js of Chart.js 3 or 4). Looked for:" +
                      list);
}

// RUN is a results folder, a summary.json, or a run id (or its beginning) in the run index of
// `resultsDir`. Returns the folder.
fs::path locateRun(const std::string &run, const std::string &resultsDir) {
    const fs::path given(run);
    if (fs::is_regular_file(given) && given.filename() == "summary.json") {
        return given.parent_path().empty() ? fs::path(".") : given.parent_path();
    }
    if (fs::is_directory(given)) {
        if (!fs::is_regular_file(given / "summary.json")) {
            throw ConfigError("'" + run +
                              "' is a folder without a summary.json: not a run's results");
        }
        return given;
    }
    const RunIndex index(resultsDir);
    const auto matches = index.find(run);
    if (matches.empty()) {
        throw ConfigError("'" + run + "' is neither a results folder nor a run id in " +
                          index.path() + " (see `mlpsrun history list`; --results-dir DIR)");
    }
    const std::string id = matches.back().value("id", "");
    for (const auto &m : matches) {
        if (m.value("id", "") != id) {
            std::string ids;
            for (const auto &each : matches) {
                ids += "\n  " + each.value("id", "?");
            }
            throw ConfigError("'" + run + "' matches " + std::to_string(matches.size()) +
                              " runs; give more of the id:" + ids);
        }
    }
    const nlohmann::json result = matches.back().value("result", nlohmann::json());
    if (!result.is_string()) {
        throw ConfigError(
            "run " + id + " has no results: " +
            matches.back().value("error", std::string("it failed before writing any")));
    }
    return fs::path(result.get<std::string>()).parent_path();
}

nlohmann::json seriesJson(const TimeSeriesFile &file, const nlohmann::json &summary) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto &m : file.metrics) {
        nlohmann::json one = {
            {"kind", m.kind}, {"unit", m.unit}, {"start_s", m.startS}, {"length_s", m.lengthS}};
        if (m.kind == "gauge") {
            one["value"] = m.value; // a level at each interval's end, not an increase
        } else {
            one["delta"] = m.delta;
        }
        if (m.kind == "histogram") {
            one["p50"] = m.p50;
            one["p99"] = m.p99;
        }
        metrics[m.name] = std::move(one);
    }
    const auto ts = summary.value("timeseries", nlohmann::json::object());
    const auto ranks = file.attributes.find("series_ranks");
    std::string whose = "rank 0";
    if (ranks != file.attributes.end()) {
        whose = ranks->second;
    } else if (ts.contains("ranks") && ts["ranks"].is_string()) {
        whose = ts["ranks"].get<std::string>();
    }
    return {{"interval_s", ts.value("interval_s", 0.0)},
            {"ranks", summary.value("ranks", 1) > 1 ? "the series of " + whose : "one rank"},
            {"attributes", file.attributes},
            {"metrics", metrics}};
}

nlohmann::json loadRun(const fs::path &folder) {
    const fs::path summaryPath = folder / "summary.json";
    const auto summary = nlohmann::json::parse(readFile(summaryPath), nullptr, false);
    if (summary.is_discarded() || !summary.is_object()) {
        throw ConfigError("'" + summaryPath.string() + "' is not a JSON object");
    }
    nlohmann::json run = {{"folder", folder.string()}, {"summary", summary}, {"series", nullptr}};
    nlohmann::json notes = nlohmann::json::array();
    const fs::path h5 = folder / "timeseries.h5";
    if (fs::is_regular_file(h5)) {
        if (TimeSeries::hdf5Available()) {
            run["series"] = seriesJson(readTimeSeriesHdf5(h5.string()), summary);
        } else {
            notes.push_back("timeseries.h5 is there, but this mlpsrun was built without HDF5: "
                            "no plots over time.");
        }
    }
    // Summaries written before histograms carried their buckets have no CDFs.
    bool buckets = false;
    const nlohmann::json metrics = summary.value("metrics", nlohmann::json::object());
    for (const auto &m : metrics) {
        buckets = buckets || (m.is_object() && m.contains("buckets"));
    }
    if (!buckets) {
        notes.push_back("This summary.json has no histogram buckets (written by an older "
                        "mlpsrun): no latency distributions.");
    }
    run["notes"] = notes;
    return run;
}

// JSON inside <script>: "</" would end the element early; "<\/" means the same to JSON.
std::string scriptSafe(std::string text) {
    for (size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) {
        text.replace(at, 2, "<\\/");
    }
    return text;
}

std::string htmlEscape(const std::string &text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

int reportCommand(const ReportCommandOptions &options) {
    if (options.runs.empty()) {
        throw ConfigError("report: name at least one run (a run id or a results folder)");
    }
    nlohmann::json runs = nlohmann::json::array();
    std::string title;
    for (const auto &given : options.runs) {
        const nlohmann::json run = loadRun(locateRun(given, options.resultsDir));
        const auto &s = run["summary"];
        title += (title.empty() ? "" : ", ") + s.value("benchmark_name", std::string("?")) + " " +
                 s.value("run_id", std::string("?"));
        runs.push_back(run);
    }
    const std::string library = chartJs(); // before anything is written
    std::string lower = library;
    for (char &c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower.find("</script") != std::string::npos) {
        throw SystemError("this Chart.js contains '</script' and cannot be inlined in a page");
    }
    const nlohmann::json data = {{"runs", runs}};

    std::ostringstream page;
    page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"generator\" content=\"mlpsrun report\">\n"
         << "<title>mlps report: " << htmlEscape(title) << "</title>\n<style>\n"
         << kReportPageCss << "</style>\n</head>\n<body>\n"
         << "<header><h1>mlps report</h1><p>" << htmlEscape(title) << "</p></header>\n"
         << "<main id=\"plots\"></main>\n"
         << "<script type=\"application/json\" id=\"mlps-data\">" << scriptSafe(data.dump())
         << "</script>\n<script>\n"
         << library << "\n</script>\n<script>\n"
         << kReportPageJs << "\n</script>\n</body>\n</html>\n";

    // Written whole, then renamed: a reader never sees half a page.
    const fs::path out(options.output);
    const fs::path tmp = out.string() + ".tmp";
    {
        std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
        file << page.str();
        file.close();
        if (!file) {
            std::error_code ignored;
            fs::remove(tmp, ignored);
            throw SystemError("cannot write '" + tmp.string() + "'");
        }
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw SystemError("cannot write '" + out.string() + "': " + ec.message());
    }
    std::cout << out.string() << "\n";
    return kExitOk;
}

} // namespace mlps::core
