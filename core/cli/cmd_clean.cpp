// `mlpsrun clean [--dry-run] [DIR...]`: removes the tier folders that runs which died (SIGKILL,
// a crash, a power cut) left behind, found by their owner records (util/owner_record.hpp).
// Never a live run's folder, never another host's, never one kept on purpose, never anything
// without a record.
#include <iostream>

#include "cli/commands.hpp"
#include "spec/units.hpp"
#include "util/owner_record.hpp"
#include "util/sys_info.hpp"

namespace mlps::core {

namespace {

std::string describeOwner(const OwnerRecord &owner) {
    return "run " + (owner.runId.empty() ? std::string("?") : owner.runId) + ", pid " +
           std::to_string(owner.pid) + " on " + owner.host;
}

} // namespace

int cleanCommand(const std::vector<std::string> &dirs, bool dryRun) {
    const std::vector<std::string> parents = dirs.empty() ? std::vector{tempDir()} : dirs;
    size_t removed = 0, left = 0;
    uint64_t freed = 0;
    for (const auto &parent : parents) {
        for (const TierFolder &folder : findTierFolders(parent)) {
            const std::string what = folder.path + " (" + formatBytes(double(folder.bytes)) + ", " +
                                     describeOwner(folder.owner) + ")";
            if (folder.state == OwnerState::Dead && !folder.owner.keep) {
                if (dryRun) {
                    std::cout << "would remove " << what << ": its run is gone\n";
                    ++removed;
                    freed += folder.bytes;
                    continue;
                }
                const std::string problem = removeDeadFolder(folder);
                if (problem.empty()) {
                    std::cout << "removed " << what << ": its run is gone\n";
                    ++removed;
                    freed += folder.bytes;
                } else {
                    std::cout << "could not remove " << what << ": " << problem << "\n";
                    ++left;
                }
                continue;
            }
            const char *why = folder.owner.keep                   ? "kept on purpose (keep: true)"
                              : folder.state == OwnerState::Alive ? "its run is still running"
                                                                  : "owned by another host";
            std::cout << "left " << what << ": " << why << "\n";
            ++left;
        }
    }
    std::cout << (dryRun ? "would remove " : "removed ") << removed << " folder(s), "
              << formatBytes(double(freed)) << "; " << left << " left alone (searched";
    for (const auto &parent : parents) {
        std::cout << " " << parent;
    }
    std::cout << ")\n";
    return 0;
}

} // namespace mlps::core
