// Header-only C++ helpers over the C ABI: errors, the options view, the host wrapper and the
// benchmark-side tier client. Everything here is compiled into the plugin; no C++ type crosses
// the boundary, so a plugin built with another compiler or standard library still loads.
#pragma once

#include <cerrno>
#include <concepts>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <mlps/plugin.h>

namespace mlps {

// Thrown inside a plugin to fail a call with a status, an errno and a message. The adapters
// (tier.hpp, benchmark.hpp) catch it and fill struct mlps_error; it never leaves the plugin.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string &message, mlps_status code = MLPS_E_GENERIC, int sysErrno = 0)
        : std::runtime_error(message), code_(code), sysErrno_(sysErrno) {}

    mlps_status code() const noexcept { return code_; }
    int sysErrno() const noexcept { return sysErrno_; }

  private:
    mlps_status code_;
    int sysErrno_;
};

// An Error carrying errno and its text: "open /x: No such file or directory".
inline Error systemError(const std::string &what, int sysErrno = errno) {
    return Error(what + ": " + std::strerror(sysErrno), MLPS_E_IO, sysErrno);
}

inline void
fillError(mlps_error *err, mlps_status code, int sysErrno, const char *message) noexcept {
    if (err == nullptr) {
        return;
    }
    err->code = code;
    err->sys_errno = sysErrno;
    std::snprintf(err->message, sizeof err->message, "%s", message);
}

// Runs `body` and converts any exception into a status plus `err`. Used by every adapter thunk.
template <class Body>
mlps_status guarded(mlps_error *err, Body &&body) noexcept {
    try {
        return body();
    } catch (const Error &e) {
        fillError(err, e.code() < 0 ? e.code() : MLPS_E_GENERIC, e.sysErrno(), e.what());
        return e.code() < 0 ? e.code() : MLPS_E_GENERIC;
    } catch (const std::bad_alloc &) {
        fillError(err, MLPS_E_NO_MEMORY, ENOMEM, "out of memory");
        return MLPS_E_NO_MEMORY;
    } catch (const std::exception &e) {
        fillError(err, MLPS_E_GENERIC, 0, e.what());
        return MLPS_E_GENERIC;
    } catch (...) {
        fillError(err, MLPS_E_GENERIC, 0, "unknown exception");
        return MLPS_E_GENERIC;
    }
}

// Read-only view of the validated options handed to create(). Lookups are linear: options are
// read once, at creation, never on a hot path.
class Config {
  public:
    explicit Config(const mlps_config *config) : config_(config) {}

    const mlps_option_value *find(std::string_view name) const noexcept {
        for (uint32_t i = 0; config_ != nullptr && i < config_->n_values; ++i) {
            if (name == config_->values[i].name) {
                return &config_->values[i];
            }
        }
        return nullptr;
    }
    bool isSet(std::string_view name) const noexcept {
        const auto *v = find(name);
        return v != nullptr && v->is_set != 0;
    }
    bool getBool(std::string_view name) const { return get(name, MLPS_OPT_BOOL).v.b != 0; }
    int64_t getInt(std::string_view name) const { return get(name, MLPS_OPT_INT).v.i; }
    double getFloat(std::string_view name) const { return get(name, MLPS_OPT_FLOAT).v.f; }
    uint64_t getSize(std::string_view name) const { return get(name, MLPS_OPT_SIZE).v.u; }
    uint64_t getDurationNs(std::string_view name) const { return get(name, MLPS_OPT_DURATION).v.u; }
    uint64_t getBandwidth(std::string_view name) const { return get(name, MLPS_OPT_BANDWIDTH).v.u; }
    // STRING, ENUM, PATH and JSON values.
    std::string getString(std::string_view name) const {
        const auto &v = get(name, 0);
        if (v.type != MLPS_OPT_STRING && v.type != MLPS_OPT_ENUM && v.type != MLPS_OPT_PATH &&
            v.type != MLPS_OPT_JSON) {
            throw Error("option '" + std::string(name) + "' is not a string", MLPS_E_INVALID);
        }
        return v.v.s != nullptr ? v.v.s : "";
    }
    const char *json() const noexcept { return config_ != nullptr ? config_->json : "{}"; }

  private:
    const mlps_option_value &get(std::string_view name, uint32_t type) const {
        const auto *v = find(name);
        if (v == nullptr || v->is_set == 0) {
            throw Error("option '" + std::string(name) + "' is not set", MLPS_E_INVALID);
        }
        if (type != 0 && v->type != type) {
            throw Error("option '" + std::string(name) + "' read with the wrong type",
                        MLPS_E_INVALID);
        }
        return *v;
    }

    const mlps_config *config_;
};

// A benchmark's handle on one queue of a tier; closes the queue when destroyed.
class TierQueue {
  public:
    TierQueue() = default;
    TierQueue(const mlps_tier_ref &ref, void *queue) : ref_(ref), queue_(queue) {}
    TierQueue(TierQueue &&other) noexcept
        : ref_(other.ref_), queue_(std::exchange(other.queue_, nullptr)) {}
    TierQueue &operator=(TierQueue &&other) noexcept {
        if (this != &other) {
            close();
            ref_ = other.ref_;
            queue_ = std::exchange(other.queue_, nullptr);
        }
        return *this;
    }
    TierQueue(const TierQueue &) = delete;
    TierQueue &operator=(const TierQueue &) = delete;
    ~TierQueue() { close(); }

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept {
        return ref_.ops->submit(queue_, ios, n, accepted);
    }
    mlps_status poll(mlps_completion *out,
                     uint32_t minDone,
                     uint32_t maxDone,
                     uint64_t timeoutNs,
                     uint32_t *nDone) noexcept {
        return ref_.ops->poll(queue_, out, minDone, maxDone, timeoutNs, nDone);
    }
    void close() noexcept {
        if (queue_ != nullptr) {
            ref_.ops->close_queue(ref_.self, queue_);
            queue_ = nullptr;
        }
    }

  private:
    mlps_tier_ref ref_{};
    void *queue_ = nullptr;
};

// The host API as a C++ object; cheap to copy (two pointers).
class Host {
  public:
    explicit Host(const mlps_host_api *api) : api_(api) {}

    const mlps_host_api *api() const noexcept { return api_; }

    void log(mlps_log_level level, const char *format, ...) const
        __attribute__((format(printf, 3, 4))) {
        char text[1024];
        va_list args;
        va_start(args, format);
        std::vsnprintf(text, sizeof text, format, args);
        va_end(args);
        api_->log(api_->ctx, level, text);
    }
    uint64_t nowNs() const noexcept { return api_->now_ns(api_->ctx); }
    mlps_run_info runInfo() const {
        mlps_run_info info{};
        info.struct_size = sizeof info;
        check(api_->run_info(api_->ctx, &info), "run_info");
        return info;
    }
    void barrier() const { check(api_->barrier(api_->ctx), "barrier"); }
    void allreduce(uint64_t *values, uint32_t n, mlps_reduce_op op) const {
        check(api_->allreduce_u64(api_->ctx, values, n, op), "allreduce");
    }

    mlps_metric_id registerHistogram(const std::string &name, const char *unit) const {
        return registerMetric(name, MLPS_METRIC_HISTOGRAM, unit);
    }
    mlps_metric_id registerCounter(const std::string &name, const char *unit) const {
        return registerMetric(name, MLPS_METRIC_COUNTER, unit);
    }
    // A level (active users, queue depth): record() sets it (ABI 1.1; a 1.0 host refuses it).
    mlps_metric_id registerGauge(const std::string &name, const char *unit) const {
        return registerMetric(name, MLPS_METRIC_GAUGE, unit);
    }
    void record(mlps_metric_id id, uint64_t value) const noexcept {
        api_->metric_record(api_->ctx, id, value);
    }
    mlps_metric_summary read(mlps_metric_id id) const {
        mlps_metric_summary s{};
        s.struct_size = sizeof s;
        check(api_->metric_read(api_->ctx, id, &s), "metric_read");
        return s;
    }

    bool shouldStop() const noexcept { return api_->should_stop(api_->ctx) != 0; }
    void progress(uint64_t done, uint64_t total, const char *text = nullptr) const noexcept {
        api_->progress(api_->ctx, done, total, text);
    }

    uint32_t tierCount() const noexcept { return api_->tier_count(api_->ctx); }
    mlps_tier_ref tier(uint32_t index) const {
        mlps_tier_ref ref{};
        ref.struct_size = sizeof ref;
        check(api_->tier_get(api_->ctx, index, &ref), "tier_get");
        return ref;
    }
    mlps_tier_spec tierSpec(uint32_t index) const {
        mlps_tier_spec spec{};
        spec.struct_size = sizeof spec;
        check(api_->tier_spec(api_->ctx, index, &spec), "tier_spec");
        return spec;
    }
    static mlps_tier_info tierInfo(const mlps_tier_ref &ref) {
        mlps_tier_info info{};
        info.struct_size = sizeof info;
        check(ref.ops->info(ref.self, &info), "tier info");
        return info;
    }
    static TierQueue openQueue(const mlps_tier_ref &ref, uint32_t depth) {
        mlps_error err{};
        void *queue = nullptr;
        mlps_status st = ref.ops->open_queue(ref.self, depth, &queue, &err);
        if (st < 0) {
            throw Error(std::string("tier '") + ref.name + "': cannot open a queue: " + err.message,
                        st,
                        err.sys_errno);
        }
        return TierQueue(ref, queue);
    }
    void *bufferAlloc(uint32_t tierIndex, uint64_t size) const {
        void *buf = nullptr;
        check(api_->buffer_alloc(api_->ctx, tierIndex, size, &buf), "buffer_alloc");
        return buf;
    }
    void bufferFree(uint32_t tierIndex, void *buf, uint64_t size) const noexcept {
        api_->buffer_free(api_->ctx, tierIndex, buf, size);
    }
    // The mlps_memory_kind of bufferAlloc(tierIndex)'s buffers; a 1.0 host only gives host
    // memory.
    uint32_t bufferMemory(uint32_t tierIndex) const noexcept {
        if (!MLPS_HAS_FIELD(api_, mlps_host_api, buffer_memory) || api_->buffer_memory == nullptr) {
            return MLPS_MEMORY_HOST;
        }
        return api_->buffer_memory(api_->ctx, tierIndex);
    }

  private:
    mlps_metric_id registerMetric(const std::string &name, int32_t kind, const char *unit) const {
        mlps_metric_id id = 0;
        check(api_->metric_register(api_->ctx, name.c_str(), kind, unit, &id),
              ("metric_register " + name).c_str());
        return id;
    }
    static void check(mlps_status status, const char *what) {
        if (status < 0) {
            throw Error(std::string("host call failed: ") + what, status);
        }
    }

    const mlps_host_api *api_;
};

// Owns a buffer from Host::bufferAlloc.
class HostBuffer {
  public:
    HostBuffer() = default;
    HostBuffer(const Host &host, uint32_t tierIndex, uint64_t size)
        : host_(host.api()), tier_(tierIndex), size_(size),
          data_(static_cast<unsigned char *>(host.bufferAlloc(tierIndex, size))) {}
    HostBuffer(HostBuffer &&o) noexcept
        : host_(o.host_), tier_(o.tier_), size_(o.size_), data_(std::exchange(o.data_, nullptr)) {}
    HostBuffer &operator=(HostBuffer &&o) noexcept {
        if (this != &o) {
            reset();
            host_ = o.host_;
            tier_ = o.tier_;
            size_ = o.size_;
            data_ = std::exchange(o.data_, nullptr);
        }
        return *this;
    }
    HostBuffer(const HostBuffer &) = delete;
    HostBuffer &operator=(const HostBuffer &) = delete;
    ~HostBuffer() { reset(); }

    unsigned char *data() const noexcept { return data_; }
    uint64_t size() const noexcept { return size_; }

  private:
    void reset() noexcept {
        if (data_ != nullptr) {
            host_->buffer_free(host_->ctx, tier_, data_, size_);
            data_ = nullptr;
        }
    }

    const mlps_host_api *host_ = nullptr;
    uint32_t tier_ = 0;
    uint64_t size_ = 0;
    unsigned char *data_ = nullptr;
};

// The descriptor's `validate` thunk (ABI 1.1) for a plugin class T that declares
//   static void validate(const mlps::Host &, const mlps::Config &);
// (throw mlps::Error("option: what is wrong", MLPS_E_INVALID) to refuse), or NULL without one.
template <class T>
struct ValidateAdapter {
    static mlps_status
    validate(const mlps_host_api *host, const mlps_config *config, mlps_error *err) noexcept {
        return guarded(err, [&] {
            T::validate(Host(host), Config(config));
            return MLPS_OK;
        });
    }
    static constexpr bool kHasValidate = requires(const Host &h, const Config &c) {
        T::validate(h, c);
    };
    static constexpr auto validateOrNull() {
        if constexpr (kHasValidate) {
            return &validate;
        } else {
            return static_cast<decltype(&validate)>(nullptr);
        }
    }
};

} // namespace mlps

// Defines the plugin's one exported symbol over a list of descriptors:
//   MLPS_PLUGIN_MANIFEST(&kDramDescriptor)
#define MLPS_PLUGIN_MANIFEST(...)                                                                  \
    extern "C" MLPS_EXPORT const mlps_plugin_manifest *mlps_plugin_entry(void) {                   \
        static const mlps_plugin_descriptor *const descriptors[] = {__VA_ARGS__};                  \
        static const mlps_plugin_manifest manifest = {                                             \
            sizeof(mlps_plugin_manifest),                                                          \
            MLPS_ABI_MAJOR,                                                                        \
            MLPS_ABI_MINOR,                                                                        \
            static_cast<uint32_t>(sizeof descriptors / sizeof descriptors[0]),                     \
            descriptors};                                                                          \
        return &manifest;                                                                          \
    }
