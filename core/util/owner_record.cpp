#include "util/owner_record.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

namespace {

std::string firstLineOf(const std::string &path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Field 22 of /proc/<pid>/stat, "" when the process does not exist.
std::string startTicksOf(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos || close + 2 > stat.size()) {
        return {};
    }
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && (fields >> field); ++i) {
    }
    return field;
}

uint64_t allocatedBytes(const fs::path &dir) {
    uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator
             it(dir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end;
         it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            total += static_cast<uint64_t>(st.st_blocks) * 512;
        }
    }
    return total;
}

} // namespace

std::optional<OwnerRecord> readOwnerRecord(const std::string &dir) {
    std::ifstream in(dir + "/" + kOwnerRecordName);
    std::string line;
    if (!in || !std::getline(in, line) || line != "mlps-owner 1") {
        return std::nullopt;
    }
    OwnerRecord record;
    while (std::getline(in, line)) {
        const size_t space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        if (key == "pid") {
            record.pid = std::strtol(value.c_str(), nullptr, 10);
        } else if (key == "host") {
            record.host = value;
        } else if (key == "start_ticks") {
            record.startTicks = value;
        } else if (key == "boot_id") {
            record.bootId = value;
        } else if (key == "run_id") {
            record.runId = value;
        } else if (key == "keep") {
            record.keep = value == "1";
        }
    }
    if (record.pid <= 0 || record.host.empty()) {
        return std::nullopt;
    }
    return record;
}

OwnerState ownerState(const OwnerRecord &record) {
    if (record.host != hostName()) {
        return OwnerState::OtherHost;
    }
    if (record.bootId != firstLineOf("/proc/sys/kernel/random/boot_id")) {
        return OwnerState::Dead; // the machine rebooted since: nothing of that run lives
    }
    const std::string ticks = startTicksOf(record.pid);
    if (ticks.empty()) {
        // No /proc entry: gone, unless kill(0) says the pid exists and /proc is hidden.
        return ::kill(static_cast<pid_t>(record.pid), 0) == 0 || errno == EPERM ? OwnerState::Alive
                                                                                : OwnerState::Dead;
    }
    return ticks == record.startTicks ? OwnerState::Alive : OwnerState::Dead;
}

bool ownedByThisProcess(const OwnerRecord &record) {
    return record.pid == static_cast<long>(::getpid()) && record.host == hostName() &&
           record.startTicks == startTicksOf(record.pid);
}

std::vector<TierFolder> findTierFolders(const std::string &parent) {
    std::vector<TierFolder> found;
    std::error_code ec;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code typeEc;
        if (!it->is_directory(typeEc) || it->is_symlink(typeEc) ||
            it->path().filename().string().rfind("mlps-", 0) != 0) {
            continue;
        }
        auto record = readOwnerRecord(it->path().string());
        if (!record) {
            continue;
        }
        TierFolder folder;
        folder.path = it->path().string();
        folder.owner = *record;
        folder.state = ownerState(*record);
        folder.bytes = allocatedBytes(it->path());
        found.push_back(std::move(folder));
    }
    std::sort(
        found.begin(), found.end(), [](const auto &a, const auto &b) { return a.path < b.path; });
    return found;
}

std::string removeDeadFolder(const TierFolder &folder) {
    if (folder.owner.keep) {
        return "kept on purpose (keep: true)";
    }
    if (folder.state != OwnerState::Dead) {
        return folder.state == OwnerState::Alive ? "its run is still alive"
                                                 : "owned by a run on host " + folder.owner.host;
    }
    // Read the record again right before removing: the folder must still be the one judged.
    const auto now = readOwnerRecord(folder.path);
    if (!now || now->pid != folder.owner.pid || now->startTicks != folder.owner.startTicks) {
        return "its owner record changed";
    }
    std::error_code ec;
    fs::remove_all(folder.path, ec);
    return ec ? ec.message() : std::string();
}

} // namespace mlps::core
