#include "kvcache.hpp"

#include <exception>
#include <thread>

namespace mlps::kvcache {

KvCache::KvCache(const Host &host, const Config &config) : host_(host) {
    Settings settings = parseSettings(config);
    const mlps_run_info info = host.runInfo();
    if (info.duration_ns == 0 && settings.maxRequests == 0) {
        throw Error("with run.duration 0 (until the work is done) set the option 'max_requests'",
                    MLPS_E_INVALID);
    }
    if ((settings.tensorParallel & (settings.tensorParallel - 1)) != 0) {
        host.log(
            MLPS_LOG_WARN, "tensor_parallel %u is not a power of two", settings.tensorParallel);
    }
    engine_ = std::make_unique<Engine>(host, std::move(settings));
    const uint32_t n = engine_->settings().workers;
    workers_.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<Worker>(*engine_, i));
    }
    const Settings &s = engine_->settings();
    host.log(MLPS_LOG_INFO,
             "model %s: %llu bytes per token (tensor parallel %u); %u users, %u workers, %s "
             "arrivals, generation %s",
             s.model.key.c_str(),
             static_cast<unsigned long long>(s.bytesPerToken),
             s.tensorParallel,
             s.users,
             s.workers,
             s.arrivals == Arrivals::Closed ? "closed" : "open",
             s.generationMode.c_str());
}

KvCache::~KvCache() {
    // Nothing left behind: delete every object the cache still holds.
    if (engine_ != nullptr && !workers_.empty()) {
        engine_->cache().clear();
        workers_[0]->deleteObjects(engine_->takeOrphans(true));
    }
}

void KvCache::runPass(Pass pass, mlps_phase phase) {
    engine_->beginPass(pass, phase);
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
    workers_[0]->deleteObjects(engine_->takeOrphans(false));
    for (const auto &failure : failures) {
        if (failure) {
            std::rethrow_exception(failure);
        }
    }
}

void KvCache::prepare() {
    if (engine_->settings().decodeOnly) {
        runPass(Pass::Prepopulate, MLPS_PHASE_PREPARE);
    }
}

void KvCache::run(mlps_phase phase) {
    if (phase == MLPS_PHASE_TIMED) {
        engine_->host().record(engine_->metrics().users, engine_->settings().users);
    }
    runPass(Pass::Requests, phase);
}

std::string KvCache::report() {
    std::vector<std::string> plugins;
    for (const auto &t : engine_->tiers()) {
        plugins.push_back(t.ref.plugin != nullptr ? t.ref.plugin : "");
    }
    return buildReport(*engine_, plugins);
}

std::string KvCache::plan(const Host &host, const Config &config) {
    return buildPlan(host, config);
}

} // namespace mlps::kvcache
