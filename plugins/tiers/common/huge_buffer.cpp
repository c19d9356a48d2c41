#include "huge_buffer.hpp"

#include <cerrno>
#include <string>
#include <sys/mman.h>

#include <mlps/plugin.hpp>

namespace mlps::posix {

namespace {
constexpr uint64_t kHugePage = 2ull << 20;
constexpr uint64_t kPage = 4096;

uint64_t mappedSize(uint64_t size) noexcept {
    const uint64_t unit = size >= kHugePage / 2 ? kHugePage : kPage;
    return size == 0 ? kPage : (size + unit - 1) / unit * unit;
}
} // namespace

void *allocateBuffer(uint64_t size) noexcept {
    const uint64_t length = mappedSize(size);
    if (length < kHugePage) {
        void *p =
            ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? nullptr : p;
    }
    // Map one huge page more than needed and trim both ends to a 2 MiB boundary.
    void *raw = ::mmap(
        nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
    }
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned != start) {
        ::munmap(raw, aligned - start);
    }
    const uintptr_t end = start + length + kHugePage;
    if (end != aligned + length) {
        ::munmap(reinterpret_cast<void *>(aligned + length), end - (aligned + length));
    }
    // Advice only: without THP (or with "never") these are ordinary pages.
    ::madvise(reinterpret_cast<void *>(aligned), length, MADV_HUGEPAGE);
    return reinterpret_cast<void *>(aligned);
}

void freeBuffer(void *buf, uint64_t size) noexcept {
    if (buf != nullptr) {
        ::munmap(buf, mappedSize(size));
    }
}

void *allocateIoBuffer(uint64_t size) {
    void *buf = allocateBuffer(size);
    if (buf == nullptr) {
        throw Error("cannot allocate a buffer of " + std::to_string(size) + " bytes",
                    MLPS_E_NO_MEMORY,
                    ENOMEM);
    }
    return buf;
}

} // namespace mlps::posix
