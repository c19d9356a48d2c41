// C++ side of writing a benchmark plugin: derive from mlps::BenchmarkPlugin, then describe it
// with mlps::benchmarkDescriptor<YourBenchmark>(...).
#pragma once

#include <concepts>
#include <string>

#include <mlps/plugin.hpp>

namespace mlps {

// A benchmark instance. Constructed as T(const Host&, const Config&); throw mlps::Error to
// refuse. A static `plan(const Host&, const Config&) -> std::string` (a JSON object) is used
// for --dry-run when T declares one; a static `validate(const Host&, const Config&)` that throws
// mlps::Error("option: why", MLPS_E_INVALID) checks options without creating anything (ABI 1.1).
class BenchmarkPlugin {
  public:
    virtual ~BenchmarkPlugin() = default;
    virtual void prepare() {}
    // Work until host.shouldStop() or until the benchmark's own work is done; leave nothing in
    // flight. `phase` is MLPS_PHASE_WARMUP or MLPS_PHASE_TIMED.
    virtual void run(mlps_phase phase) = 0;
    // One JSON object with the results.
    virtual std::string report() = 0;
};

template <class T>
struct BenchmarkAdapter {
    static mlps_status create(const mlps_host_api *host,
                              const mlps_config *config,
                              void **self,
                              mlps_error *err) noexcept {
        return guarded(err, [&] {
            *self = static_cast<BenchmarkPlugin *>(new T(Host(host), Config(config)));
            return MLPS_OK;
        });
    }
    static void destroy(void *self) noexcept {
        try {
            delete static_cast<BenchmarkPlugin *>(self);
        } catch (...) { // see TierAdapter::destroy
        }
    }
    static mlps_status prepare(void *self, mlps_error *err) noexcept {
        return guarded(err, [&] {
            static_cast<BenchmarkPlugin *>(self)->prepare();
            return MLPS_OK;
        });
    }
    static mlps_status run(void *self, uint32_t phase, mlps_error *err) noexcept {
        return guarded(err, [&] {
            static_cast<BenchmarkPlugin *>(self)->run(static_cast<mlps_phase>(phase));
            return MLPS_OK;
        });
    }
    static mlps_status report(void *self, const mlps_text_sink *out, mlps_error *err) noexcept {
        return guarded(err, [&] {
            const std::string text = static_cast<BenchmarkPlugin *>(self)->report();
            out->write(out->ctx, text.data(), text.size());
            return MLPS_OK;
        });
    }
    static mlps_status plan(const mlps_host_api *host,
                            const mlps_config *config,
                            const mlps_text_sink *out,
                            mlps_error *err) noexcept {
        return guarded(err, [&] {
            const std::string text = T::plan(Host(host), Config(config));
            out->write(out->ctx, text.data(), text.size());
            return MLPS_OK;
        });
    }

    static constexpr bool kHasPlan = requires(const Host &h, const Config &c) {
        { T::plan(h, c) } -> std::convertible_to<std::string>;
    };
    // Only take plan's address when T has one: instantiating it otherwise would not compile.
    static constexpr auto planOrNull() {
        if constexpr (kHasPlan) {
            return &plan;
        } else {
            return static_cast<decltype(&plan)>(nullptr);
        }
    }
    static constexpr mlps_benchmark_ops kOps = {
        sizeof(mlps_benchmark_ops), &prepare, &run, &report, planOrNull()};
};

template <class T, size_t N>
constexpr mlps_plugin_descriptor benchmarkDescriptor(const char *name,
                                                     const char *version,
                                                     const char *summary,
                                                     const mlps_option_spec (&options)[N]) {
    return mlps_plugin_descriptor{sizeof(mlps_plugin_descriptor),
                                  MLPS_KIND_BENCHMARK,
                                  name,
                                  version,
                                  summary,
                                  options,
                                  static_cast<uint32_t>(N),
                                  sizeof(mlps_option_spec),
                                  0,
                                  &BenchmarkAdapter<T>::create,
                                  &BenchmarkAdapter<T>::destroy,
                                  &BenchmarkAdapter<T>::kOps,
                                  ValidateAdapter<T>::validateOrNull()};
}

} // namespace mlps
