#include "util/log.hpp"

#include "runtime/clock.hpp"

namespace mlps::core {

namespace {

const char *levelName(LogLevel level) {
    switch (level) {
    case LogLevel::Error:
        return "error";
    case LogLevel::Warn:
        return "warning";
    case LogLevel::Info:
        return "info";
    case LogLevel::Debug:
        return "debug";
    }
    return "?";
}

// Time of day (UTC) with milliseconds: "02:40:00.123" out of "2026-11-27T02:40:00.123Z".
std::string timestamp() {
    return utcTimestamp().substr(11, 12);
}

constexpr size_t kMaxEarlyLines = 10000;

} // namespace

Logger &Logger::instance() {
    static Logger logger;
    return logger;
}

void Logger::openFile(const std::string &path) {
    std::lock_guard lock(mutex_);
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    file_ = std::fopen(path.c_str(), "we");
    if (file_ == nullptr) {
        return; // run.log is a convenience; stderr still has everything
    }
    for (const auto &line : early_) {
        std::fputs(line.c_str(), file_);
    }
    early_.clear();
    std::fflush(file_);
}

void Logger::closeFile() {
    std::lock_guard lock(mutex_);
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
}

void Logger::setProgressLineActive(bool active) {
    std::lock_guard lock(mutex_);
    progressActive_ = active;
}

void Logger::log(LogLevel level, const std::string &source, const std::string &message) {
    const std::string line = source + ": " + levelName(level) + ": " + message + "\n";
    std::lock_guard lock(mutex_);
    // The file gets every level, so a failed run can be diagnosed afterwards.
    const std::string fileLine = timestamp() + " " + line;
    if (file_ != nullptr) {
        std::fputs(fileLine.c_str(), file_);
        std::fflush(file_);
    } else if (early_.size() < kMaxEarlyLines) {
        early_.push_back(fileLine);
    }
    if (level > level_) {
        return;
    }
    if (progressActive_) {
        std::fputs("\r\033[K", stderr);
    }
    std::fputs(line.c_str(), stderr);
}

} // namespace mlps::core
