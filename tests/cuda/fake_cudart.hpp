// Control of the fake CUDA runtime (fake_cudart.cpp) from the tests: they dlopen the same
// library the tier loads (the same handle) and call these. Plain C names, looked up with dlsym.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
// Devices the runtime reports (0: cudaGetDeviceCount fails with cudaErrorNoDevice) and bytes of
// memory per device. Also from the environment at the first call: FAKE_CUDA_DEVICES,
// FAKE_CUDA_MEMORY (bytes).
void fake_cuda_configure(int devices, uint64_t memoryBytes);
// While held, the runtime's copy thread starts no work; fake_cuda_run_stream lets it run what
// one stream (numbered in creation order since the last fake_cuda_reset) has queued, and
// returns when that is done.
void fake_cuda_hold(int on);
void fake_cuda_run_stream(int index);
// The next `n` copies fail: the copy does not happen and the event recorded after it on the
// same stream completes with cudaErrorLaunchFailure (not sticky, unlike a real device).
void fake_cuda_fail_next_copies(int n);
// cudaHostAlloc fails (cudaErrorMemoryAllocation) above this many bytes in use (0: no limit).
void fake_cuda_pinned_limit(uint64_t bytes);
// Counters: device and pinned bytes allocated now, copies done, streams created since reset.
uint64_t fake_cuda_device_bytes();
uint64_t fake_cuda_pinned_bytes();
uint64_t fake_cuda_copies();
int fake_cuda_streams_created();
// Back to the defaults (1 device of 1 GiB, nothing held, no failures); counters to 0.
void fake_cuda_reset();
}
