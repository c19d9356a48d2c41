// summary.json (schema "mlps-summary-1", documented in share/doc/results.md) and the human
// summary printed on stdout, which is drawn from the same JSON.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace mlps::core {

constexpr const char *kSummarySchema = "mlps-summary-1";

// Writes `summary` to `path` atomically (temp file + rename), so a reader never sees half.
void writeJsonFile(const std::string &path, const nlohmann::json &summary);
void printHumanSummary(const nlohmann::json &summary, std::ostream &out);
// 64-bit FNV-1a of the text, as 16 hex digits: identifies a resolved spec across runs.
std::string specHash(const std::string &text);

} // namespace mlps::core
