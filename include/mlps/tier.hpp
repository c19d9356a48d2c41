// C++ side of writing a tier plugin: derive from mlps::TierPlugin (and mlps::TierPluginQueue),
// then describe it with mlps::tierDescriptor<YourTier>(...). The adapter below turns the class
// into the C tables with noexcept thunks that convert exceptions into mlps_error.
#pragma once

#include <memory>
#include <new>

#include <mlps/plugin.hpp>

namespace mlps {

// One submission/completion queue, used by one thread at a time. The hot path reports through
// status codes: submit/poll must not throw (the adapter still catches, as a last resort).
class TierPluginQueue {
  public:
    virtual ~TierPluginQueue() = default;
    virtual mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept = 0;
    virtual mlps_status poll(mlps_completion *out,
                             uint32_t minDone,
                             uint32_t maxDone,
                             uint64_t timeoutNs,
                             uint32_t *nDone) noexcept = 0;
};

// A tier instance. Constructed as T(const Host&, const Config&); throw mlps::Error to refuse.
// info() and openQueue() may be called from any thread.
class TierPlugin {
  public:
    virtual ~TierPlugin() = default;
    virtual void info(mlps_tier_info &out) = 0;
    virtual std::unique_ptr<TierPluginQueue> openQueue(uint32_t depth) = 0;
    // Only called when the descriptor has MLPS_TIER_CAP_BUFFER_ALLOC.
    virtual void *bufferAlloc(uint64_t /*size*/) {
        throw Error("buffer_alloc is not supported", MLPS_E_NOT_SUPPORTED);
    }
    virtual void bufferFree(void * /*buf*/, uint64_t /*size*/) noexcept {}
};

template <class T>
struct TierAdapter {
    static mlps_status create(const mlps_host_api *host,
                              const mlps_config *config,
                              void **self,
                              mlps_error *err) noexcept {
        return guarded(err, [&] {
            *self = static_cast<TierPlugin *>(new T(Host(host), Config(config)));
            return MLPS_OK;
        });
    }
    static void destroy(void *self) noexcept {
        try {
            delete static_cast<TierPlugin *>(self);
        } catch (...) { // a destructor that throws must not take the runner down
        }
    }
    static mlps_status info(void *self, mlps_tier_info *out) noexcept {
        return guarded(nullptr, [&] {
            if (out == nullptr || out->struct_size < sizeof(uint32_t)) {
                return MLPS_E_INVALID;
            }
            mlps_tier_info filled{};
            filled.struct_size = sizeof filled;
            filled.alignment = 1;
            filled.buffer_memory = MLPS_MEMORY_HOST;
            filled.io_memory = MLPS_MEMORY_HOST_KINDS;
            static_cast<TierPlugin *>(self)->info(filled);
            // Copy no more than the caller's struct holds (it may be an older minor), and tell
            // it how much of it was filled.
            const uint32_t n = out->struct_size < sizeof filled
                                   ? out->struct_size
                                   : static_cast<uint32_t>(sizeof filled);
            filled.struct_size = n;
            std::memcpy(out, &filled, n);
            return MLPS_OK;
        });
    }
    static mlps_status
    openQueue(void *self, uint32_t depth, void **queue, mlps_error *err) noexcept {
        return guarded(err, [&] {
            *queue = static_cast<TierPlugin *>(self)->openQueue(depth).release();
            return MLPS_OK;
        });
    }
    static void closeQueue(void * /*self*/, void *queue) noexcept {
        try {
            delete static_cast<TierPluginQueue *>(queue);
        } catch (...) { // see destroy
        }
    }
    // submit and poll are declared noexcept, but a queue written without care can still throw
    // from something it calls; a C++ exception must never unwind into the C caller.
    static mlps_status
    submit(void *queue, const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
        return guarded(nullptr, [&] {
            return static_cast<TierPluginQueue *>(queue)->submit(ios, n, accepted);
        });
    }
    static mlps_status poll(void *queue,
                            mlps_completion *out,
                            uint32_t minDone,
                            uint32_t maxDone,
                            uint64_t timeoutNs,
                            uint32_t *nDone) noexcept {
        return guarded(nullptr, [&] {
            return static_cast<TierPluginQueue *>(queue)->poll(
                out, minDone, maxDone, timeoutNs, nDone);
        });
    }
    static mlps_status
    bufferAlloc(void *self, uint64_t size, void **buf, mlps_error *err) noexcept {
        return guarded(err, [&] {
            *buf = static_cast<TierPlugin *>(self)->bufferAlloc(size);
            return MLPS_OK;
        });
    }
    static void bufferFree(void *self, void *buf, uint64_t size) noexcept {
        try {
            static_cast<TierPlugin *>(self)->bufferFree(buf, size);
        } catch (...) { // see destroy
        }
    }

    static constexpr mlps_tier_ops kOps = {sizeof(mlps_tier_ops),
                                           &info,
                                           &openQueue,
                                           &closeQueue,
                                           &submit,
                                           &poll,
                                           &bufferAlloc,
                                           &bufferFree};
};

// The descriptor of tier class T. Use it to initialise a namespace-scope constant:
//   constexpr mlps_plugin_descriptor kDescriptor =
//       mlps::tierDescriptor<DramTier>("dram", "1.0.0", "host memory", kOptions, caps);
// A static `validate(const Host&, const Config&)` in T becomes the descriptor's validate (ABI
// 1.1): checks of the options that create nothing, run by `mlpsrun validate` and --dry-run.
template <class T, size_t N>
constexpr mlps_plugin_descriptor tierDescriptor(const char *name,
                                                const char *version,
                                                const char *summary,
                                                const mlps_option_spec (&options)[N],
                                                uint64_t caps) {
    return mlps_plugin_descriptor{sizeof(mlps_plugin_descriptor),
                                  MLPS_KIND_TIER,
                                  name,
                                  version,
                                  summary,
                                  options,
                                  static_cast<uint32_t>(N),
                                  sizeof(mlps_option_spec),
                                  caps,
                                  &TierAdapter<T>::create,
                                  &TierAdapter<T>::destroy,
                                  &TierAdapter<T>::kOps,
                                  ValidateAdapter<T>::validateOrNull()};
}

} // namespace mlps
