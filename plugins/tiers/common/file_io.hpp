// Whole-range pread/pwrite over POSIX file descriptors and the mapping of errno to statuses.
#pragma once

#include <cstdint>
#include <string>

#include <mlps/plugin_abi.h>

namespace mlps::posix {

// Results of a full transfer: 0 on success, else the errno. `*done` says how many bytes moved.
// Short transfers are continued and EINTR retried; a read that meets end of file stops there
// and returns 0 with *done < length.
int preadFull(int fd, void *buf, uint64_t length, uint64_t offset, uint64_t *done) noexcept;
int pwriteFull(int fd, const void *buf, uint64_t length, uint64_t offset) noexcept;

// ENOSPC/EDQUOT -> MLPS_E_NO_SPACE, ENOENT -> MLPS_E_NOT_FOUND, EINVAL -> MLPS_E_INVALID,
// ENOMEM -> MLPS_E_NO_MEMORY, anything else -> MLPS_E_IO.
mlps_status statusFromErrno(int sysErrno) noexcept;

// The `sync` option shared by the file-backed tiers (posix-nvme, io_uring).
enum class SyncMode { None, Fdatasync, Fsync };
// "none" (or empty) / "fdatasync" / "fsync"; anything else throws mlps::Error(MLPS_E_INVALID).
SyncMode parseSyncMode(const std::string &text);

// How many object files a tier keeps open: well inside RLIMIT_NOFILE, since the runner and
// other tiers need descriptors too. Objects beyond the budget open their file per operation.
int fdBudget();

} // namespace mlps::posix
