// The part of the CUDA runtime API the cuda tier uses, declared here and resolved at run time
// with dlopen/dlsym (cuda_runtime.cpp). Why not link libcudart: the plugin must load, and
// `mlpsrun describe cuda` must work, on a machine without CUDA; creating the tier is what
// fails there, with a message. The same seam lets the tests point the tier at a fake runtime.
//
// The declarations follow the runtime's C ABI (cuda_runtime_api.h, driver_types.h), which NVIDIA
// keeps stable across major versions for these calls. Where the toolkit is installed, the build
// compiles cuda_header_check.cpp, which checks every type and value below against the real
// headers.
#pragma once

#include <cstddef>
#include <string>

namespace mlps::cuda::rt {

using Error = int;     // cudaError_t (an enum of int size)
using Stream = void *; // cudaStream_t
using Event = void *;  // cudaEvent_t

inline constexpr Error kSuccess = 0;           // cudaSuccess
inline constexpr Error kErrorInvalidValue = 1; // cudaErrorInvalidValue
inline constexpr Error kErrorMemoryAllocation = 2;
inline constexpr Error kErrorInsufficientDriver = 35;
inline constexpr Error kErrorNoDevice = 100;
inline constexpr Error kErrorInvalidDevice = 101;
inline constexpr Error kErrorNotReady = 600;

inline constexpr int kMemcpyHostToDevice = 1; // enum cudaMemcpyKind
inline constexpr int kMemcpyDeviceToHost = 2;
inline constexpr unsigned kStreamNonBlocking = 0x01;  // no implicit sync with the legacy stream
inline constexpr unsigned kEventDisableTiming = 0x02; // cheaper events: we only ask "done?"
inline constexpr unsigned kHostAllocPortable = 0x01;  // pinned for every CUDA context

using GetDeviceCountFn = Error (*)(int *count);
using SetDeviceFn = Error (*)(int device);
using DeviceGetPCIBusIdFn = Error (*)(char *pciBusId, int len, int device);
using RuntimeGetVersionFn = Error (*)(int *version);
using MemGetInfoFn = Error (*)(size_t *free, size_t *total);
using MallocFn = Error (*)(void **devPtr, size_t size);
using FreeFn = Error (*)(void *devPtr);
using HostAllocFn = Error (*)(void **pHost, size_t size, unsigned int flags);
using FreeHostFn = Error (*)(void *ptr);
using StreamCreateWithFlagsFn = Error (*)(Stream *stream, unsigned int flags);
using StreamDestroyFn = Error (*)(Stream stream);
using StreamSynchronizeFn = Error (*)(Stream stream);
using MemcpyAsyncFn = Error (*)(void *dst, const void *src, size_t count, int kind, Stream stream);
using EventCreateWithFlagsFn = Error (*)(Event *event, unsigned int flags);
using EventRecordFn = Error (*)(Event event, Stream stream);
using EventQueryFn = Error (*)(Event event);
using EventDestroyFn = Error (*)(Event event);
using GetErrorStringFn = const char *(*)(Error error);
using GetLastErrorFn = Error (*)();

// The resolved entry points of one runtime library. Loaded once per path and never unloaded
// (as the core never dlcloses plugins): a runtime keeps threads and state until the process ends.
struct Runtime {
    std::string path; // what was loaded, for messages
    int version = 0;  // cudaRuntimeGetVersion: 12040 = 12.4

    GetDeviceCountFn getDeviceCount = nullptr;
    SetDeviceFn setDevice = nullptr;
    DeviceGetPCIBusIdFn deviceGetPCIBusId = nullptr;
    RuntimeGetVersionFn runtimeGetVersion = nullptr;
    MemGetInfoFn memGetInfo = nullptr;
    MallocFn malloc = nullptr;
    FreeFn free = nullptr;
    HostAllocFn hostAlloc = nullptr;
    FreeHostFn freeHost = nullptr;
    StreamCreateWithFlagsFn streamCreateWithFlags = nullptr;
    StreamDestroyFn streamDestroy = nullptr;
    StreamSynchronizeFn streamSynchronize = nullptr;
    MemcpyAsyncFn memcpyAsync = nullptr;
    EventCreateWithFlagsFn eventCreateWithFlags = nullptr;
    EventRecordFn eventRecord = nullptr;
    EventQueryFn eventQuery = nullptr;
    EventDestroyFn eventDestroy = nullptr;
    GetErrorStringFn getErrorString = nullptr;
    GetLastErrorFn getLastError = nullptr;

    // "out of memory (cudaError 2)": for messages.
    std::string describe(Error error) const;
};

// The runtime to use: `library` when not empty (a path or a soname), else $MLPS_CUDA_RUNTIME,
// else the first of libcudart.so.13, .12, .11.0, libcudart.so that loads (and, when the build
// found a toolkit, the same names in its library folder). Throws mlps::Error
// (MLPS_E_NOT_SUPPORTED) "CUDA runtime not found: ..." naming what was tried and why it failed.
const Runtime &loadRuntime(const std::string &library);

} // namespace mlps::cuda::rt
