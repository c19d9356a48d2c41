// `mlpsrun export`: past runs as a table, one row per run — identity, headline, per-class
// figures and, for kvcache, the reference's spreadsheet columns — written as CSV (RFC 4180) or
// XLSX (libxlsxwriter, an optional build feature).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlps::core {

struct ResultTable {
    std::vector<std::string> columns;              // the union over the runs, first seen first
    std::vector<std::vector<nlohmann::json>> rows; // a cell: number, string, bool or null
};

// One row per summary.
ResultTable resultTable(const std::vector<nlohmann::json> &summaries);

// Throws SystemError when the file cannot be written.
void writeCsv(const ResultTable &table, const std::string &path);

// Whether this mlpsrun was built with libxlsxwriter; writeXlsx throws ConfigError otherwise.
bool xlsxAvailable();
// One sheet, "Runs": a header row, then one row per run; numbers stay numbers.
void writeXlsx(const ResultTable &table, const std::string &path);

} // namespace mlps::core
