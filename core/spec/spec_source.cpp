#include "spec/spec_source.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec_parser.hpp"
#include "spec/text_util.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

[[noreturn]] void tooLarge(const std::string &sourceName, uint64_t bytes, bool atLeast) {
    throw ConfigError(sourceName + ": the spec is " + (atLeast ? "over " : "") +
                      formatBytes(double(bytes)) + " (" + std::to_string(bytes) +
                      " bytes), larger than the limit of " + formatBytes(double(kMaxSpecBytes)) +
                      " (" + std::to_string(kMaxSpecBytes) +
                      " bytes); a spec is a small hand-written YAML file");
}

// "line 3, column 7" of byte `offset` (both 1-based; the column counts bytes).
std::string positionOf(const std::string &text, size_t offset) {
    size_t line = 1;
    size_t lineStart = 0;
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    return std::to_string(line) + ":" + std::to_string(offset - lineStart + 1);
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

} // namespace

std::string readSpecFile(const std::string &path) {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. fstat on the open file (not
    // stat on the name) so that what is checked is what is read.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        const int err = errno;
        throw ConfigError(path + ": cannot open the spec: " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        const int err = errno;
        throw ConfigError(path + ": cannot read the spec: " + std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        throw ConfigError(path + ": is a directory, expected a YAML spec file");
    }
    if (!S_ISREG(st.st_mode)) {
        throw ConfigError(path + ": is not a regular file (a device, FIFO or socket), expected a "
                                 "YAML spec file");
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxSpecBytes) {
        tooLarge(path, static_cast<uint64_t>(st.st_size), false);
    }
    // Read one byte past the limit: the file may have grown since fstat.
    std::string text(kMaxSpecBytes + 1, '\0');
    size_t filled = 0;
    while (filled < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + filled, text.size() - filled);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            throw ConfigError(path + ": cannot read the spec: " + std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        filled += static_cast<size_t>(n);
    }
    if (filled > kMaxSpecBytes) {
        tooLarge(path, filled, true);
    }
    text.resize(filled);
    return text;
}

void checkSpecText(const std::string &text, const std::string &sourceName) {
    if (text.size() > kMaxSpecBytes) {
        tooLarge(sourceName, text.size(), false);
    }
    if (const size_t nul = text.find('\0'); nul != std::string::npos) {
        throw ConfigError(sourceName + ":" + positionOf(text, nul) +
                          ": not a text file (a NUL byte; expected a YAML spec in UTF-8)");
    }
    if (const size_t bad = findInvalidUtf8(text); bad != std::string::npos) {
        throw ConfigError(sourceName + ":" + positionOf(text, bad) +
                          ": not a text file (invalid UTF-8; expected a YAML spec in UTF-8)");
    }
    if (trim(text).empty()) {
        throw ConfigError(sourceName + ": the spec is empty");
    }
}

} // namespace mlps::core
