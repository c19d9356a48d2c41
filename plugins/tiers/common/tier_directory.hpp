// The folder a posix-nvme tier owns: `<path>/mlps-<tier_name>-XXXXXX`. Checks the parent,
// creates the folder, and removes it with everything in it.
#pragma once

#include <cstdint>
#include <string>

#include <mlps/plugin.hpp>

namespace mlps::posix {

// Throws mlps::Error(MLPS_E_INVALID) naming the problem when `path` is missing, not a
// directory or not writable.
void checkParentDirectory(const std::string &path);

// Who a tier folder belongs to, written into it as `.mlps-owner` (format: share/doc/
// plugin-guide.md, "Owner records") so that `mlpsrun clean` and the next run can tell folders
// of dead runs from live ones and never touch anything else.
struct FolderOwner {
    std::string runId; // host->run_info's run_id
    bool keep = false; // the spec keeps the data: clean reports the folder, never removes it
};

// The run id the host gives ("" when it gives none).
std::string runIdOf(const Host &host);

// Creates a fresh, uniquely named folder under `parent` for tier `tierName`, with its owner
// record; returns its path. Throws mlps::Error.
std::string createTierDirectory(const std::string &parent,
                                const std::string &tierName,
                                const FolderOwner &owner);

// The persistent folder `<parent>/<name>` (option persistent_folder): made when missing
// (`created` says so), never a per-run folder, so data in it outlives the run. `name` is one
// path component of [A-Za-z0-9._-] that is not "." or "..". Throws mlps::Error(MLPS_E_INVALID).
std::string
openPersistentDirectory(const std::string &parent, const std::string &name, bool &created);

// Throws mlps::Error when the file system under `dir` refuses O_DIRECT with `alignment`.
void probeDirectIo(const std::string &dir, uint32_t alignment);

// Free bytes for an unprivileged user on the file system holding `dir` (statvfs).
uint64_t freeBytes(const std::string &dir);

// Removes `dir` and everything under it; returns an error text, empty on success.
std::string removeTree(const std::string &dir) noexcept;

} // namespace mlps::posix
