#include "util/log.hpp"

#include <chrono>
#include <ctime>

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

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[40];
    std::snprintf(text,
                  sizeof text,
                  "%02d:%02d:%02d.%03d",
                  tm.tm_hour,
                  tm.tm_min,
                  tm.tm_sec,
                  static_cast<int>(ms));
    return text;
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
