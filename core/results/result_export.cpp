#include "results/result_export.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "build_config.hpp"
#include "results/run_figures.hpp"
#include "util/errors.hpp"

#if MLPS_HAVE_XLSX
#include <xlsxwriter.h>
#endif

namespace mlps::core {

using json = nlohmann::json;

namespace {

// Adds cells by column name, keeping the table's columns the union in first-seen order.
class RowBuilder {
  public:
    RowBuilder(ResultTable &table, std::map<std::string, size_t> &index)
        : table_(table), index_(index) {}
    void set(const std::string &column, const json &value) {
        auto it = index_.find(column);
        if (it == index_.end()) {
            it = index_.emplace(column, table_.columns.size()).first;
            table_.columns.push_back(column);
        }
        cells_[it->second] = value;
    }
    std::vector<json> row() const {
        std::vector<json> out(table_.columns.size());
        for (const auto &[col, value] : cells_) {
            out[col] = value;
        }
        return out;
    }

  private:
    ResultTable &table_;
    std::map<std::string, size_t> &index_;
    std::map<size_t, json> cells_;
};

std::string cellText(const json &cell) {
    if (cell.is_null()) {
        return {};
    }
    if (cell.is_string()) {
        return cell.get<std::string>();
    }
    return cell.dump();
}

// RFC 4180: quote a field that holds a comma, a quote or a line break; double the quotes.
std::string csvField(const std::string &text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) {
        return text;
    }
    std::string out = "\"";
    for (char c : text) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

} // namespace

ResultTable resultTable(const std::vector<json> &summaries) {
    ResultTable table;
    std::map<std::string, size_t> index;
    for (const json &s : summaries) {
        RowBuilder row(table, index);
        const json identity = s.value("identity", json::object());
        std::string hosts;
        for (const auto &h : s.value("per_host", json::array())) {
            hosts += (hosts.empty() ? "" : " ") + h.value("hostname", std::string("?")) + ":" +
                     std::to_string(h.value("ranks", json::array()).size());
        }
        row.set("run_id", s.value("run_id", ""));
        row.set("benchmark", s.value("benchmark_name", ""));
        row.set("started_at", s.value("started_at", ""));
        row.set("status", s.value("status", ""));
        row.set("partial", s.value("partial", false));
        row.set("spec", s.value("spec", json::object()).value("source", ""));
        row.set("spec_hash", s.value("spec", json::object()).value("hash_fnv1a64", ""));
        row.set("ranks", s.value("ranks", 1));
        row.set("hosts", hosts);
        row.set("mlps_version", s.value("mlps_version", ""));
        row.set("git", identity.value("mlps", json::object()).value("git", ""));
        row.set("command", identity.value("command", ""));
        row.set("timed_s", s.value("timing", json::object()).value("timed_s", 0.0));
        for (const auto &f : headlineFigures(s)) {
            row.set(f.key, f.value);
        }
        for (const auto &f : classFigures(s)) {
            row.set(f.key, f.value);
        }
        for (const auto &f : referenceColumns(s)) {
            row.set(f.key, f.value);
        }
        table.rows.push_back(row.row());
    }
    for (auto &r : table.rows) {
        r.resize(table.columns.size()); // columns added by later runs: empty cells
    }
    return table;
}

void writeCsv(const ResultTable &table, const std::string &path) {
    std::ofstream out(path, std::ios::trunc);
    if (!out) {
        throw SystemError("cannot write " + path + ": " + std::strerror(errno));
    }
    for (size_t c = 0; c < table.columns.size(); ++c) {
        out << (c == 0 ? "" : ",") << csvField(table.columns[c]);
    }
    out << "\r\n";
    for (const auto &row : table.rows) {
        for (size_t c = 0; c < row.size(); ++c) {
            out << (c == 0 ? "" : ",") << csvField(cellText(row[c]));
        }
        out << "\r\n";
    }
    out.flush();
    if (!out) {
        throw SystemError("cannot write " + path + ": " + std::strerror(errno));
    }
}

bool xlsxAvailable() {
    return MLPS_HAVE_XLSX != 0;
}

#if MLPS_HAVE_XLSX
void writeXlsx(const ResultTable &table, const std::string &path) {
    lxw_workbook *book = workbook_new(path.c_str());
    if (book == nullptr) {
        throw SystemError("cannot create " + path);
    }
    lxw_worksheet *sheet = workbook_add_worksheet(book, "Runs");
    lxw_format *bold = workbook_add_format(book);
    format_set_bold(bold);
    for (size_t c = 0; c < table.columns.size(); ++c) {
        worksheet_write_string(sheet, 0, lxw_col_t(c), table.columns[c].c_str(), bold);
    }
    worksheet_freeze_panes(sheet, 1, 0);
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const auto row = lxw_row_t(r + 1);
        for (size_t c = 0; c < table.rows[r].size(); ++c) {
            const json &cell = table.rows[r][c];
            const auto col = lxw_col_t(c);
            if (cell.is_number()) {
                worksheet_write_number(sheet, row, col, cell.get<double>(), nullptr);
            } else if (cell.is_boolean()) {
                worksheet_write_boolean(sheet, row, col, cell.get<bool>() ? 1 : 0, nullptr);
            } else if (!cell.is_null()) {
                worksheet_write_string(sheet, row, col, cellText(cell).c_str(), nullptr);
            }
        }
    }
    const lxw_error err = workbook_close(book);
    if (err != LXW_NO_ERROR) {
        throw SystemError("cannot write " + path + ": " + lxw_strerror(err));
    }
}
#else
void writeXlsx(const ResultTable &, const std::string &path) {
    throw ConfigError("cannot write " + path +
                      ": this mlpsrun was built without XLSX support (install libxlsxwriter-dev "
                      "and rebuild; meson option -Dxlsx); use --csv instead");
}
#endif

} // namespace mlps::core
