#include "file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <sys/resource.h>
#include <unistd.h>

#include <mlps/plugin.hpp>

namespace mlps::posix {

namespace {
// One call moves at most this much (Linux caps a transfer at 0x7ffff000 bytes anyway).
constexpr uint64_t kMaxChunk = 1ull << 30;
} // namespace

int preadFull(int fd, void *buf, uint64_t length, uint64_t offset, uint64_t *done) noexcept {
    auto *p = static_cast<unsigned char *>(buf);
    uint64_t moved = 0;
    while (moved < length) {
        const uint64_t chunk = length - moved < kMaxChunk ? length - moved : kMaxChunk;
        const ssize_t n = ::pread(fd, p + moved, chunk, static_cast<off_t>(offset + moved));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            *done = moved;
            return errno;
        }
        if (n == 0) { // end of file
            break;
        }
        moved += static_cast<uint64_t>(n);
    }
    *done = moved;
    return 0;
}

int pwriteFull(int fd, const void *buf, uint64_t length, uint64_t offset) noexcept {
    const auto *p = static_cast<const unsigned char *>(buf);
    uint64_t moved = 0;
    while (moved < length) {
        const uint64_t chunk = length - moved < kMaxChunk ? length - moved : kMaxChunk;
        const ssize_t n = ::pwrite(fd, p + moved, chunk, static_cast<off_t>(offset + moved));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (n == 0) { // a regular file never does this; do not spin on it
            return EIO;
        }
        moved += static_cast<uint64_t>(n);
    }
    return 0;
}

mlps_status statusFromErrno(int sysErrno) noexcept {
    switch (sysErrno) {
    case 0:
        return MLPS_OK;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return MLPS_E_NO_SPACE;
    case ENOENT:
        return MLPS_E_NOT_FOUND;
    case EINVAL:
        return MLPS_E_INVALID;
    case ENOMEM:
        return MLPS_E_NO_MEMORY;
    default:
        return MLPS_E_IO;
    }
}

SyncMode parseSyncMode(const std::string &text) {
    if (text.empty() || text == "none") {
        return SyncMode::None;
    }
    if (text == "fdatasync") {
        return SyncMode::Fdatasync;
    }
    if (text == "fsync") {
        return SyncMode::Fsync;
    }
    throw Error("option 'sync' must be none, fdatasync or fsync, not '" + text + "'",
                MLPS_E_INVALID);
}

int fdBudget() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return 4096;
    }
    return static_cast<int>(std::min<rlim_t>(4096, limit.rlim_cur / 4));
}

} // namespace mlps::posix
