// The set-up passes before warm-up: preconditioning (the reference's --precondition: write
// precondition_multiple x the last tier's limit of fixed-size entries through the cache, so the
// run starts on a full, aged device) and RAG ingestion (every document's chunks written once).
// Neither is timed nor recorded in the metrics (recording starts with warm-up), so the run's
// statistics start clean; the report gives each pass's bytes and duration.
#include <algorithm>

#include "kvcache.hpp"

namespace mlps::kvcache {

namespace {

// The reference gives up after 50 consecutive failed allocations.
constexpr uint32_t kMaxFailStreak = 50;

uint64_t writeBytes(const Plan &plan) {
    uint64_t bytes = 0;
    for (const Step &s : plan.steps) {
        if (s.kind == StepKind::Write) {
            bytes += s.target->size;
        }
    }
    return bytes;
}

} // namespace

bool Engine::nextSetupJob(Job &job) {
    if (broken() || host_.shouldStop()) {
        return false;
    }
    const bool rag = pass_ == Pass::RagIngest;
    SetupTally &tally = rag ? ragIngestTally : preconditionTally;
    if (rag ? (rag_ == nullptr || setupNext_ >= rag_->documents())
            : (tally.plannedBytes >= tally.targetBytes || setupFailStreak_ >= kMaxFailStreak)) {
        return false;
    }
    job.request = Request{};
    job.request.seq = seq_++;
    job.plan.clear();
    job.stats = PlanStats{};
    job.tickets.clear();
    {
        std::lock_guard io(ioMu_);
        if (rag) {
            planner_->planRagIngest(
                static_cast<uint32_t>(setupNext_++), *cache_, job.plan, job.stats);
        } else {
            planner_->planPrecondition(setupNext_++, *cache_, job.plan, job.stats);
        }
    }
    ++tally.items;
    tally.entries += job.stats.prefillWrites;
    tally.failures += job.stats.allocFailures;
    tally.plannedBytes += writeBytes(job.plan);
    setupFailStreak_ = job.stats.prefillWrites != 0 ? 0 : setupFailStreak_ + 1;
    sequence(job);
    opLog_.write(0, job.request.seq, job.plan, 0, tierNames_.data());
    return true;
}

void Engine::setupJobDone(const Job &job) {
    SetupTally &tally = pass_ == Pass::RagIngest ? ragIngestTally : preconditionTally;
    tally.doneBytes.fetch_add(writeBytes(job.plan), std::memory_order_relaxed);
}

void Engine::progress() const {
    switch (pass_) {
    case Pass::Precondition:
        host_.progress(preconditionTally.doneBytes.load(std::memory_order_relaxed),
                       preconditionTally.targetBytes,
                       "bytes preconditioning");
        break;
    case Pass::RagIngest:
        host_.progress(ragIngestTally.doneBytes.load(std::memory_order_relaxed),
                       ragIngestTally.targetBytes,
                       "bytes of RAG documents ingested");
        break;
    default:
        host_.progress(requestsDone.load(std::memory_order_relaxed),
                       recordSamples() ? settings_.maxRequests : 0,
                       "requests");
    }
}

void KvCache::runSetupPasses() {
    const FeatureSettings &f = engine_->settings().features;
    const Host &host = engine_->host();
    if (f.precondition.enabled) {
        SetupTally &t = engine_->preconditionTally;
        const uint64_t limit = engine_->tiers().back().limit;
        t.targetBytes = static_cast<uint64_t>(f.precondition.multiple * static_cast<double>(limit));
        host.log(MLPS_LOG_INFO,
                 "preconditioning: writing %.1f MiB (%.2f x the %s tier's limit) in %u-token "
                 "entries",
                 static_cast<double>(t.targetBytes) / (1 << 20),
                 f.precondition.multiple,
                 engine_->tiers().back().name.c_str(),
                 f.precondition.tokens);
        const uint64_t start = host.nowNs();
        runPass(Pass::Precondition, MLPS_PHASE_PREPARE);
        t.seconds = static_cast<double>(host.nowNs() - start) / 1e9;
        t.ran = true;
        if (t.plannedBytes < t.targetBytes) {
            host.log(MLPS_LOG_WARN,
                     "preconditioning stopped at %.1f of %.1f MiB: %llu entries found no room",
                     static_cast<double>(t.plannedBytes) / (1 << 20),
                     static_cast<double>(t.targetBytes) / (1 << 20),
                     static_cast<unsigned long long>(t.failures));
        }
    }
    if (f.rag.enabled && engine_->rag() != nullptr) {
        SetupTally &t = engine_->ragIngestTally;
        const RagLibrary &lib = *engine_->rag();
        for (uint32_t d = 0; d < lib.documents(); ++d) {
            t.targetBytes += entryBytes(engine_->settings().bytesPerToken,
                                        lib.documentTokens(d),
                                        engine_->settings().tensorParallel);
        }
        const uint64_t start = host.nowNs();
        runPass(Pass::RagIngest, MLPS_PHASE_PREPARE);
        t.seconds = static_cast<double>(host.nowNs() - start) / 1e9;
        t.ran = true;
    }
}

} // namespace mlps::kvcache
