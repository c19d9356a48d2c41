// Buffers for O_DIRECT I/O backed by transparent huge pages where the kernel allows: every
// O_DIRECT transfer pins its buffer's pages (get_user_pages), and a 2 MiB page is pinned in one
// step where 4 KiB pages take 512 — the largest CPU cost per byte in large reads (perf on the
// development VM: about half of the benchmark's CPU time).
#pragma once

#include <cstdint>

namespace mlps::posix {

// Huge-page-advised anonymous memory: sizes from 2 MiB up get their own 2 MiB-aligned mapping;
// smaller ones a page-aligned piece of a shared 16 MiB region (so that two 1 MiB buffers share
// one huge page instead of each wasting half of one). nullptr when out of memory. Thread-safe.
void *allocateBuffer(uint64_t size) noexcept;
void freeBuffer(void *buf, uint64_t size) noexcept;
// allocateBuffer() for a tier's buffer_alloc: throws mlps::Error (MLPS_E_NO_MEMORY) instead of
// returning nullptr.
void *allocateIoBuffer(uint64_t size);

} // namespace mlps::posix
