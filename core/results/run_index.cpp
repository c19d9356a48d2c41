#include "results/run_index.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

#include "util/errors.hpp"
#include "util/log.hpp"

namespace mlps::core {

namespace {

// Closes the descriptor (which also drops its flock) on every path out.
class FileLock {
  public:
    FileLock(int fd, int operation) : fd_(fd) {
        while (flock(fd_, operation) != 0 && errno == EINTR) {
        }
    }
    ~FileLock() { ::close(fd_); }
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;

  private:
    int fd_;
};

} // namespace

RunIndex::RunIndex(std::string resultsDir)
    : path_((std::filesystem::path(resultsDir) / kFileName).string()) {}

void RunIndex::append(const nlohmann::json &entry) const {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw SystemError("cannot open the run index " + path_ + ": " + std::strerror(errno));
    }
    FileLock lock(fd, LOCK_EX);
    const std::string line = entry.dump() + "\n";
    size_t written = 0;
    while (written < line.size()) {
        const ssize_t n = ::write(fd, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw SystemError("cannot write the run index " + path_ + ": " + std::strerror(errno));
        }
        written += static_cast<size_t>(n);
    }
}

std::vector<nlohmann::json> RunIndex::read() const {
    std::vector<nlohmann::json> entries;
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return entries;
    }
    FileLock lock(fd, LOCK_SH);
    std::string text;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        text.append(buffer, static_cast<size_t>(n));
    }
    size_t at = 0;
    size_t lineNumber = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) {
            end = text.size();
        }
        ++lineNumber;
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        auto entry = nlohmann::json::parse(line, nullptr, false);
        if (entry.is_discarded() || !entry.is_object()) {
            // One damaged line (a disk that filled up, a hand edit) must not hide every other run.
            logWarn(path_ + ":" + std::to_string(lineNumber) +
                    ": not a JSON object; this line is skipped");
            continue;
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<nlohmann::json> RunIndex::find(const std::string &prefix) const {
    std::vector<nlohmann::json> matches;
    for (auto &entry : read()) {
        if (entry.value("id", "").rfind(prefix, 0) == 0) {
            matches.push_back(std::move(entry));
        }
    }
    return matches;
}

} // namespace mlps::core
