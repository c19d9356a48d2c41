#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <mlps/plugin.hpp>

#include "cuda_api.hpp"

namespace mlps::cuda::rt {

namespace {

// Sonames NVIDIA has shipped the runtime under, newest first. A plugin built against no header
// talks to whichever the machine has: the calls used here have the same ABI in all of them.
constexpr const char *kSonames[] = {
    "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"};

template <typename Fn>
bool resolve(void *handle, const char *name, Fn &out, std::string &missing) {
    out = reinterpret_cast<Fn>(dlsym(handle, name));
    if (out == nullptr && missing.empty()) {
        missing = name;
    }
    return out != nullptr;
}

// nullptr and `why` set when `path` is not a usable runtime.
std::unique_ptr<Runtime> open(const std::string &path, std::string &why) {
    // RTLD_LOCAL: the runtime's symbols stay out of the global namespace, so a second tier
    // pointed at another runtime (the tests' fake) cannot capture calls meant for this one.
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char *error = dlerror();
        why = error != nullptr ? error : "dlopen failed";
        return nullptr;
    }
    auto rt = std::make_unique<Runtime>();
    rt->path = path;
    std::string missing;
    resolve(handle, "cudaGetDeviceCount", rt->getDeviceCount, missing);
    resolve(handle, "cudaSetDevice", rt->setDevice, missing);
    resolve(handle, "cudaDeviceGetPCIBusId", rt->deviceGetPCIBusId, missing);
    resolve(handle, "cudaRuntimeGetVersion", rt->runtimeGetVersion, missing);
    resolve(handle, "cudaMemGetInfo", rt->memGetInfo, missing);
    resolve(handle, "cudaMalloc", rt->malloc, missing);
    resolve(handle, "cudaFree", rt->free, missing);
    resolve(handle, "cudaHostAlloc", rt->hostAlloc, missing);
    resolve(handle, "cudaFreeHost", rt->freeHost, missing);
    resolve(handle, "cudaStreamCreateWithFlags", rt->streamCreateWithFlags, missing);
    resolve(handle, "cudaStreamDestroy", rt->streamDestroy, missing);
    resolve(handle, "cudaStreamSynchronize", rt->streamSynchronize, missing);
    resolve(handle, "cudaMemcpyAsync", rt->memcpyAsync, missing);
    resolve(handle, "cudaEventCreateWithFlags", rt->eventCreateWithFlags, missing);
    resolve(handle, "cudaEventRecord", rt->eventRecord, missing);
    resolve(handle, "cudaEventQuery", rt->eventQuery, missing);
    resolve(handle, "cudaEventDestroy", rt->eventDestroy, missing);
    resolve(handle, "cudaGetErrorString", rt->getErrorString, missing);
    resolve(handle, "cudaGetLastError", rt->getLastError, missing);
    if (!missing.empty()) {
        why = path + " has no " + missing + " (not a CUDA runtime?)";
        dlclose(handle); // nothing of it ran
        return nullptr;
    }
    if (rt->runtimeGetVersion(&rt->version) != kSuccess) {
        rt->version = 0;
    }
    return rt;
}

} // namespace

std::string Runtime::describe(Error error) const {
    const char *text = getErrorString != nullptr ? getErrorString(error) : nullptr;
    return std::string(text != nullptr ? text : "unknown error") + " (cudaError " +
           std::to_string(error) + ")";
}

const Runtime &loadRuntime(const std::string &library) {
    // Loaded runtimes live until the process ends: tiers created later reuse them, and a
    // runtime is never unloaded under a thread it started.
    static std::mutex mutex;
    static auto *loaded = new std::map<std::string, std::unique_ptr<Runtime>>();

    std::vector<std::string> candidates;
    if (!library.empty()) {
        candidates.push_back(library);
    } else if (const char *env = std::getenv("MLPS_CUDA_RUNTIME"); env != nullptr && *env != 0) {
        candidates.emplace_back(env);
    } else {
        for (const char *soname : kSonames) {
            candidates.emplace_back(soname);
        }
#ifdef MLPS_CUDA_TOOLKIT_LIBDIR
        // The toolkit the plugin was built against, for machines whose loader does not know
        // its folder.
        for (const char *soname : kSonames) {
            candidates.push_back(std::string(MLPS_CUDA_TOOLKIT_LIBDIR) + "/" + soname);
        }
#endif
    }
    std::lock_guard lock(mutex);
    std::string tried;
    for (const std::string &path : candidates) {
        if (const auto it = loaded->find(path); it != loaded->end()) {
            return *it->second;
        }
        std::string why;
        if (auto rt = open(path, why)) {
            return *loaded->emplace(path, std::move(rt)).first->second;
        }
        tried += (tried.empty() ? "" : "; ") + why;
    }
    const std::string how = !library.empty()                              ? "option runtime_library"
                            : std::getenv("MLPS_CUDA_RUNTIME") != nullptr ? "$MLPS_CUDA_RUNTIME"
                                                                          : "the default sonames";
    throw mlps::Error(
        "CUDA runtime not found (" + how + "): " + tried +
            ". Install the CUDA runtime (libcudart) or point the tier's runtime_library "
            "option at it.",
        MLPS_E_NOT_SUPPORTED);
}

} // namespace mlps::cuda::rt
