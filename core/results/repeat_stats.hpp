// The record of `run --repeat N`: the N runs of one spec and, over the runs that completed,
// the median, minimum, maximum, mean, standard deviation and coefficient of variation of each
// numeric headline figure (submission rules ask for medians; the CV says whether N was enough).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlps::core {

constexpr const char *kRepeatSchema = "mlps-repeat-1";

// Statistics of one figure over n values (n >= 1): {n, median, min, max, mean, stddev, cv}.
// stddev is the sample standard deviation (n - 1; 0 for one value); cv = stddev / mean, null
// when the mean is 0.
nlohmann::json describeValues(std::vector<double> values);

// The record over the summaries of the repeated runs, in run order. Only runs with status
// "ok" that are not partial enter the statistics; every run is listed.
nlohmann::json repeatRecord(const std::string &repeatId,
                            const std::vector<nlohmann::json> &summaries,
                            const std::vector<std::string> &summaryPaths);

// A few lines for people: each figure's median, min..max and CV.
void printRepeat(const nlohmann::json &record, std::ostream &out);

} // namespace mlps::core
