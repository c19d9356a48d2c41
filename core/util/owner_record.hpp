// Owner records: the `.mlps-owner` file a tier writes into each folder it creates (format in
// share/doc/plugin-guide.md, "Owner records"). They let `mlpsrun clean`, the next run and a
// crashed run's post-mortem find folders of runs that died — by pid, process start time and
// boot id, so a recycled pid is not mistaken for the owner — and never touch anything else: a
// folder without a record, a live run's folder, another host's or one the spec said to keep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlps::core {

struct OwnerRecord {
    long pid = 0;
    std::string host;
    std::string startTicks; // /proc/<pid>/stat field 22
    std::string bootId;
    std::string runId;
    bool keep = false;
};

enum class OwnerState {
    Alive,     // its process still runs: never touched
    Dead,      // same host, the process is gone: its folder may be removed
    OtherHost, // cannot be checked from here: reported only
};

constexpr const char *kOwnerRecordName = ".mlps-owner";

// nullopt when `dir` has no readable record of a known format.
std::optional<OwnerRecord> readOwnerRecord(const std::string &dir);
OwnerState ownerState(const OwnerRecord &record);
// True when the record names this very process (same pid, start time and boot).
bool ownedByThisProcess(const OwnerRecord &record);

struct TierFolder {
    std::string path;
    OwnerRecord owner;
    OwnerState state = OwnerState::Alive;
    uint64_t bytes = 0; // what removing it frees (allocated blocks)
};

// The folders directly under `parent` that carry an owner record.
std::vector<TierFolder> findTierFolders(const std::string &parent);
// Removes a folder of a dead run; refuses (returns a reason) for anything else. Empty on success.
std::string removeDeadFolder(const TierFolder &folder);

} // namespace mlps::core
