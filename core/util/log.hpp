// Logging of the core and (through the host API) of plugins: to stderr, and to the run's
// run.log once the results folder exists (lines logged before that are replayed into it).
// Never into a results file.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace mlps::core {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

class Logger {
  public:
    static Logger &instance();

    void setLevel(LogLevel level) { level_ = level; }
    LogLevel level() const { return level_; }
    // Mirror every line into `path` from now on, replaying what was logged before.
    void openFile(const std::string &path);
    void closeFile();
    // While a live progress line is on the terminal, a log line first clears it.
    void setProgressLineActive(bool active);

    void log(LogLevel level, const std::string &source, const std::string &message);

  private:
    Logger() = default;
    std::mutex mutex_;
    LogLevel level_ = LogLevel::Info;
    FILE *file_ = nullptr;
    std::vector<std::string> early_; // lines before openFile(), bounded
    bool progressActive_ = false;
};

inline void logError(const std::string &m) {
    Logger::instance().log(LogLevel::Error, "mlpsrun", m);
}
inline void logWarn(const std::string &m) {
    Logger::instance().log(LogLevel::Warn, "mlpsrun", m);
}
inline void logInfo(const std::string &m) {
    Logger::instance().log(LogLevel::Info, "mlpsrun", m);
}
inline void logDebug(const std::string &m) {
    Logger::instance().log(LogLevel::Debug, "mlpsrun", m);
}

} // namespace mlps::core
