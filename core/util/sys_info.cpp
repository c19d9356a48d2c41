#include "util/sys_info.hpp"

#include <cstdlib>
#include <fstream>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace mlps::core {

namespace {

// statfs f_type magic numbers of the file systems people run storage benchmarks on
// (linux/magic.h); anything else is reported by number.
std::string fsTypeName(long type) {
    switch (static_cast<unsigned long>(type)) {
    case 0xEF53:
        return "ext4";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x01021994:
        return "tmpfs";
    case 0x6969:
        return "nfs";
    case 0x794c7630:
        return "overlay";
    case 0x2FC12FC1:
        return "zfs";
    case 0x65735546:
        return "fuse";
    case 0x0BD00BD0:
        return "lustre";
    case 0x47504653:
        return "gpfs";
    case 0xFF534D42:
        return "cifs";
    case 0x858458f6:
        return "ramfs";
    default: {
        char text[32];
        std::snprintf(text, sizeof text, "0x%lx", static_cast<unsigned long>(type));
        return text;
    }
    }
}

std::string osName() {
    std::ifstream in("/etc/os-release");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            std::string value = line.substr(12);
            if (value.size() >= 2 && value.front() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            return value;
        }
    }
    return "unknown";
}

} // namespace

std::string hostName() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) {
        return "unknown";
    }
    return name;
}

nlohmann::json hostInventory() {
    utsname uts{};
    uname(&uts);
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGESIZE);
    return {
        {"hostname", hostName()},
        {"cpus", sysconf(_SC_NPROCESSORS_ONLN)},
        {"memory_bytes", static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)},
        {"kernel", std::string(uts.sysname) + " " + uts.release},
        {"machine", uts.machine},
        {"os", osName()},
    };
}

nlohmann::json fileSystemOf(const std::string &path) {
    struct statfs fs {};
    struct statvfs vfs {};
    if (statfs(path.c_str(), &fs) != 0 || statvfs(path.c_str(), &vfs) != 0) {
        return nlohmann::json::object();
    }
    return {
        {"path", path},
        {"fs_type", fsTypeName(fs.f_type)},
        {"size_bytes", static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize},
        {"free_bytes", static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize},
    };
}

std::string tempDir() {
    const char *dir = std::getenv("TMPDIR");
    return dir != nullptr && dir[0] != '\0' ? dir : "/tmp";
}

} // namespace mlps::core
