// Buffers for O_DIRECT I/O backed by transparent huge pages where the kernel allows: every
// O_DIRECT transfer pins its buffer's pages (get_user_pages), and a 2 MiB page is pinned in one
// step where 4 KiB pages take 512 — the largest CPU cost per byte in large reads (perf on the
// development VM: about half of the benchmark's CPU time).
#pragma once

#include <cstdint>

namespace mlps::posix {

// 2 MiB-aligned anonymous memory (madvise(MADV_HUGEPAGE)) for size >= 1 MiB, page-aligned
// otherwise; nullptr when out of memory.
void *allocateBuffer(uint64_t size) noexcept;
void freeBuffer(void *buf, uint64_t size) noexcept;
// allocateBuffer() for a tier's buffer_alloc: throws mlps::Error (MLPS_E_NO_MEMORY) instead of
// returning nullptr.
void *allocateIoBuffer(uint64_t size);

} // namespace mlps::posix
