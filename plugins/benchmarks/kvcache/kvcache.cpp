#include "kvcache.hpp"

#include <exception>
#include <thread>

#include "reference_json.hpp"

namespace mlps::kvcache {

KvCache::KvCache(const Host &host, const Config &config) : host_(host) {
    // Until the core calls the validate hook before creating tiers, create refuses bad input
    // (a second fast pass when it does: cheap next to a run).
    Settings settings = validateOptions(host, config).settings;
    if ((settings.tensorParallel & (settings.tensorParallel - 1)) != 0) {
        host.log(
            MLPS_LOG_WARN, "tensor_parallel %u is not a power of two", settings.tensorParallel);
    }
    engine_ = std::make_unique<Engine>(host, std::move(settings));
    // Trace mode plans on the calling thread and does no I/O: no workers, no buffers.
    const uint32_t n = engine_->settings().traceOnly ? 0 : engine_->settings().workers;
    workers_.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<Worker>(*engine_, i));
    }
    const Settings &s = engine_->settings();
    host.log(MLPS_LOG_INFO,
             "model %s: %llu bytes per token (tensor parallel %u); source %s, %u users, %u "
             "workers, %s arrivals, generation %s%s",
             s.model.key.c_str(),
             static_cast<unsigned long long>(s.bytesPerToken),
             s.tensorParallel,
             sourceName(s.source),
             s.users,
             s.workers,
             s.arrivals == Arrivals::Closed ? "closed" : "open",
             s.generationMode.c_str(),
             s.traceOnly ? "; trace mode: no I/O, virtual time" : "");
}

KvCache::~KvCache() {
    // Nothing left behind: delete every object the cache still holds.
    if (engine_ != nullptr && !workers_.empty()) {
        engine_->cache().clear();
        if (engine_->replay() != nullptr) {
            engine_->replay()->clear();
        }
        workers_[0]->deleteObjects(engine_->takeOrphans(true));
    }
}

void KvCache::runPass(Pass pass, mlps_phase phase) {
    engine_->beginPass(pass, phase);
    if (engine_->settings().traceOnly) {
        engine_->simulate(phase); // trace mode: no I/O, no workers
        engine_->cache().dropFailed();
        return;
    }
    std::vector<std::exception_ptr> failures(workers_.size());
    auto body = [&](size_t i) {
        try {
            workers_[i]->run();
        } catch (...) {
            failures[i] = std::current_exception();
            engine_->fail();
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(workers_.size());
    for (size_t i = 1; i < workers_.size(); ++i) {
        threads.emplace_back(body, i);
    }
    body(0); // the calling thread is worker 0
    for (auto &t : threads) {
        t.join();
    }
    // Between passes nothing runs: forget entries a cut-short pass left half written, and
    // delete objects no entry owns any more.
    engine_->cache().dropFailed();
    if (engine_->replay() != nullptr) {
        engine_->replay()->dropFailed();
    }
    workers_[0]->deleteObjects(engine_->takeOrphans(false));
    for (const auto &failure : failures) {
        if (failure) {
            std::rethrow_exception(failure);
        }
    }
}

void KvCache::prepare() {
    runSetupPasses();
    if (engine_->settings().decodeOnly) {
        runPass(Pass::Prepopulate, MLPS_PHASE_PREPARE);
    }
}

void KvCache::run(mlps_phase phase) {
    if (phase == MLPS_PHASE_TIMED) {
        engine_->host().record(engine_->metrics().users, engine_->settings().users);
        engine_->host().record(engine_->featureMetrics().activeUsers, engine_->activeUsers());
    }
    runPass(Pass::Requests, phase);
}

std::string KvCache::report() {
    std::vector<std::string> plugins;
    for (const auto &t : engine_->tiers()) {
        plugins.push_back(t.ref.plugin != nullptr ? t.ref.plugin : "");
    }
    std::string text = buildReport(*engine_, plugins);
    // The same run in the reference's results layout, next to summary.json.
    writeReference(*engine_, plugins, text);
    return text;
}

std::string KvCache::plan(const Host &host, const Config &config) {
    return buildPlan(host, config);
}

void KvCache::validate(const Host &host, const Config &config) {
    validateOptions(host, config);
}

} // namespace mlps::kvcache
