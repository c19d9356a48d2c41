#include "tier_directory.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <system_error>
#include <unistd.h>
#include <vector>

#include <mlps/plugin.hpp>

namespace mlps::posix {

namespace {

Error invalid(const std::string &message, int sysErrno = 0) {
    return Error(message, MLPS_E_INVALID, sysErrno);
}

// Tier names come from the spec; keep only what is safe in a file name.
std::string safeName(const std::string &name) {
    std::string out;
    for (const char c : name.substr(0, 64)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out.push_back(ok ? c : '_');
    }
    return out.empty() ? "tier" : out;
}

// Field 22 of /proc/self/stat: when this process started, in clock ticks since boot. With the
// boot id it tells a live owner from a new process that happens to have the same pid.
std::string processStartTicks() {
    std::ifstream in("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos) {
        return "0";
    }
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && (fields >> field); ++i) {
    }
    return field.empty() ? "0" : field;
}

std::string firstLineOf(const char *path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

void writeOwnerRecord(const std::string &dir, const FolderOwner &owner) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::ofstream out(dir + "/.mlps-owner");
    out << "mlps-owner 1\n"
        << "pid " << ::getpid() << "\n"
        << "host " << host << "\n"
        << "start_ticks " << processStartTicks() << "\n"
        << "boot_id " << firstLineOf("/proc/sys/kernel/random/boot_id") << "\n"
        << "run_id " << owner.runId << "\n"
        << "keep " << (owner.keep ? 1 : 0) << "\n";
    if (!out.flush()) {
        throw Error("cannot write the owner record in " + dir, MLPS_E_IO, errno);
    }
}

} // namespace

std::string runIdOf(const Host &host) {
    try {
        const char *id = host.runInfo().run_id;
        return id != nullptr ? id : "";
    } catch (const Error &) {
        return "";
    }
}

void checkParentDirectory(const std::string &path) {
    if (path.empty()) {
        throw invalid("option 'path' is empty: give an existing, writable directory");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            throw invalid("path '" + path + "' does not exist: give an existing directory", e);
        }
        throw invalid("path '" + path + "' cannot be examined: " + std::strerror(e), e);
    }
    if (!S_ISDIR(st.st_mode)) {
        throw invalid("path '" + path + "' is not a directory", ENOTDIR);
    }
    if (::access(path.c_str(), W_OK | X_OK) != 0) {
        const int e = errno;
        throw invalid("path '" + path + "' is not writable: " + std::strerror(e), e);
    }
}

std::string createTierDirectory(const std::string &parent,
                                const std::string &tierName,
                                const FolderOwner &owner) {
    std::string pattern = parent;
    if (pattern.back() != '/') {
        pattern.push_back('/');
    }
    pattern += "mlps-" + safeName(tierName) + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    // mkdtemp is also the writability probe that access() cannot be (read-only mounts with
    // ACLs, root squash on NFS, ...).
    if (::mkdtemp(buffer.data()) == nullptr) {
        const int e = errno;
        throw invalid("path '" + parent +
                          "' is not writable: cannot create a folder in it: " + std::strerror(e),
                      e);
    }
    const std::string dir(buffer.data());
    try {
        writeOwnerRecord(dir, owner);
    } catch (...) {
        removeTree(dir);
        throw;
    }
    return dir;
}

std::string
openPersistentDirectory(const std::string &parent, const std::string &name, bool &created) {
    const bool safe = !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
                      name.find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                          std::string::npos;
    if (!safe) {
        throw invalid("option 'persistent_folder' ('" + name +
                      "') must be one folder name of letters, digits, '.', '_' and '-'");
    }
    const std::string dir = (parent.back() == '/' ? parent : parent + "/") + name;
    created = ::mkdir(dir.c_str(), 0755) == 0;
    if (!created && errno != EEXIST) {
        const int e = errno;
        throw invalid("cannot create the persistent folder '" + dir + "': " + std::strerror(e), e);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        ::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw invalid("the persistent folder '" + dir + "' is not a writable directory", ENOTDIR);
    }
    return dir;
}

void probeDirectIo(const std::string &dir, uint32_t alignment) {
    const std::string probe = dir + "/.direct-io-probe";
    const int fd = ::open(probe.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_DIRECT, 0600);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        void *buf = std::aligned_alloc(alignment, alignment);
        if (buf == nullptr) {
            e = ENOMEM;
        } else {
            std::memset(buf, 0, alignment);
            if (::pwrite(fd, buf, alignment, 0) != static_cast<ssize_t>(alignment)) {
                e = errno != 0 ? errno : EIO;
            }
            std::free(buf);
        }
        ::close(fd);
        ::unlink(probe.c_str());
    }
    if (e != 0) {
        throw invalid("the file system under '" + dir + "' refuses O_DIRECT with " +
                          std::to_string(alignment) + "-byte alignment (" + std::strerror(e) +
                          "); set direct: false or use another path",
                      e);
    }
}

uint64_t freeBytes(const std::string &dir) {
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0) {
        throw systemError("statvfs " + dir);
    }
    return static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
}

std::string removeTree(const std::string &dir) noexcept {
    try {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        return ec ? ec.message() : std::string();
    } catch (const std::exception &e) {
        return e.what();
    }
}

} // namespace mlps::posix
