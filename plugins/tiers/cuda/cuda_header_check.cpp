// Compiled only where the CUDA toolkit is installed, never linked: checks that every
// declaration of cuda_api.hpp matches the real runtime headers, so that a call through the
// dlsym'd pointers is a call with the runtime's own ABI.
#include <type_traits>

#include <cuda_runtime_api.h>

#include "cuda_api.hpp"

namespace rt = mlps::cuda::rt;

namespace {

// The plugin's spelling of a CUDA type: enums as int, handles as void *.
template <typename T>
struct Plain {
    using type = T;
};
template <>
struct Plain<cudaError_t> {
    using type = rt::Error;
};
template <>
struct Plain<cudaMemcpyKind> {
    using type = int;
};
template <>
struct Plain<cudaStream_t> {
    using type = rt::Stream;
};
template <>
struct Plain<cudaStream_t *> {
    using type = rt::Stream *;
};
template <>
struct Plain<cudaEvent_t> {
    using type = rt::Event;
};
template <>
struct Plain<cudaEvent_t *> {
    using type = rt::Event *;
};

template <typename F>
struct PlainFn;
template <typename R, typename... A>
struct PlainFn<R (*)(A...)> {
    using type = typename Plain<R>::type (*)(typename Plain<A>::type...);
};

template <typename Real, typename Ours>
constexpr bool kSame = std::is_same_v<typename PlainFn<Real>::type, Ours>;

static_assert(sizeof(cudaError_t) == sizeof(rt::Error));
static_assert(sizeof(cudaMemcpyKind) == sizeof(int));
static_assert(kSame<decltype(&::cudaGetDeviceCount), rt::GetDeviceCountFn>);
static_assert(kSame<decltype(&::cudaSetDevice), rt::SetDeviceFn>);
static_assert(kSame<decltype(&::cudaDeviceGetPCIBusId), rt::DeviceGetPCIBusIdFn>);
static_assert(kSame<decltype(&::cudaRuntimeGetVersion), rt::RuntimeGetVersionFn>);
static_assert(kSame<decltype(&::cudaMemGetInfo), rt::MemGetInfoFn>);
static_assert(kSame<cudaError_t (*)(void **, size_t), rt::MallocFn>); // cudaMalloc: overloaded
static_assert(kSame<decltype(&::cudaFree), rt::FreeFn>);
static_assert(kSame<cudaError_t (*)(void **, size_t, unsigned int), rt::HostAllocFn>);
static_assert(kSame<decltype(&::cudaFreeHost), rt::FreeHostFn>);
static_assert(kSame<decltype(&::cudaStreamCreateWithFlags), rt::StreamCreateWithFlagsFn>);
static_assert(kSame<decltype(&::cudaStreamDestroy), rt::StreamDestroyFn>);
static_assert(kSame<decltype(&::cudaStreamSynchronize), rt::StreamSynchronizeFn>);
static_assert(kSame<decltype(&::cudaMemcpyAsync), rt::MemcpyAsyncFn>);
static_assert(kSame<decltype(&::cudaEventCreateWithFlags), rt::EventCreateWithFlagsFn>);
static_assert(kSame<decltype(&::cudaEventRecord), rt::EventRecordFn>);
static_assert(kSame<decltype(&::cudaEventQuery), rt::EventQueryFn>);
static_assert(kSame<decltype(&::cudaEventDestroy), rt::EventDestroyFn>);
static_assert(kSame<decltype(&::cudaGetErrorString), rt::GetErrorStringFn>);
static_assert(kSame<decltype(&::cudaGetLastError), rt::GetLastErrorFn>);
// The overloaded ones exist with exactly the C signature checked above.
[[maybe_unused]] constexpr cudaError_t (*kMalloc)(void **, size_t) = &::cudaMalloc;
[[maybe_unused]] constexpr cudaError_t (*kHostAlloc)(void **,
                                                     size_t,
                                                     unsigned int) = &::cudaHostAlloc;

static_assert(cudaSuccess == rt::kSuccess);
static_assert(cudaErrorInvalidValue == rt::kErrorInvalidValue);
static_assert(cudaErrorMemoryAllocation == rt::kErrorMemoryAllocation);
static_assert(cudaErrorInsufficientDriver == rt::kErrorInsufficientDriver);
static_assert(cudaErrorNoDevice == rt::kErrorNoDevice);
static_assert(cudaErrorInvalidDevice == rt::kErrorInvalidDevice);
static_assert(cudaErrorNotReady == rt::kErrorNotReady);
static_assert(cudaMemcpyHostToDevice == rt::kMemcpyHostToDevice);
static_assert(cudaMemcpyDeviceToHost == rt::kMemcpyDeviceToHost);
static_assert(cudaStreamNonBlocking == rt::kStreamNonBlocking);
static_assert(cudaEventDisableTiming == rt::kEventDisableTiming);
static_assert(cudaHostAllocPortable == rt::kHostAllocPortable);

} // namespace
