// Trace mode (trace_only): the requests of a phase are planned exactly as in a real run (same
// source, same cache decisions, same op log), but on a virtual clock and with no I/O, so that an
// hour of workload is written to io_trace / op_log in seconds. Open arrivals follow the
// requests' arrival times; closed users wait for their request's virtual service (its bytes at
// virtual_bandwidth) and their think time, as the closed scheduler's virtual clock does.
#include "engine.hpp"

namespace mlps::kvcache {

namespace {

// A planned step is "done" at once: nothing waits on it, no object exists.
void complete(const Plan &plan) {
    for (const Step &s : plan.steps) {
        s.target->written = true;
        if (s.kind == StepKind::Read || (s.kind == StepKind::Move && s.phase == OpPhase::Promote)) {
            s.target->pendingReads -= std::min<uint32_t>(s.target->pendingReads, 1);
        }
        if (s.dest != nullptr) {
            s.dest->written = true;
            s.dest->movedFrom.reset();
        }
    }
}

} // namespace

void Engine::simulate(mlps_phase phase) {
    std::lock_guard lock(dispatchMu_);
    const mlps_run_info info = host_.runInfo();
    const bool closed = settings_.arrivals == Arrivals::Closed;
    if (!started_) {
        started_ = true;
        startNs_ = 0; // virtual time starts at 0
        for (uint32_t u = 0; u < next_.size(); ++u) {
            if (vtimeNs_[u] == UINT64_MAX) {
                continue;
            }
            readyNs_[u] = source_->timed() ? next_[u].atNs : next_[u].thinkNs;
            heap_.push({closed ? vtimeNs_[u] : readyNs_[u], draws_[u], u});
        }
    }
    // Virtual phase ends: warm-up for warmup_ns, then the timed phase for duration_ns (0: until
    // the work is done).
    const uint64_t end = phase == MLPS_PHASE_WARMUP ? info.warmup_ns
                         : info.duration_ns == 0    ? UINT64_MAX
                                                    : info.warmup_ns + info.duration_ns;
    const bool budgeted = phase == MLPS_PHASE_TIMED && settings_.maxRequests != 0;
    const bool record = pass_ == Pass::Requests;
    Job job;
    uint64_t sinceCheck = 0;
    while (!heap_.empty()) {
        if (budgeted && passDispatched_ >= settings_.maxRequests) {
            break;
        }
        if (++sinceCheck == 1024) { // the stop flag (signal, real-time cap) now and then
            sinceCheck = 0;
            if (stopping()) {
                break;
            }
        }
        const auto [t, order, u] = heap_.top();
        // The virtual time of the request: its key, except for a timed source's closed users,
        // ordered by item number and timed by the recorded arrival.
        const uint64_t now = closed && source_->timed() ? next_[u].atNs : t;
        if (now >= end) {
            break;
        }
        heap_.pop();
        job.request = next_[u];
        job.request.vtimeNs = now;
        job.request.arrivalNs = now;
        dispatch(job, now);
        complete(job.plan);
        if (record) {
            const MetricIds &m = metrics_;
            host_.record(m.requests, 1);
            host_.record(m.tokensGenerated, job.request.generation);
            host_.record(m.tokensContext, job.request.context);
            recordPlanStats(host_, m, job.stats);
            recordFeatureStats(host_, featureMetrics_, job.stats);
            const int q = static_cast<int>(job.request.qos);
            host_.record(m.qosOps[q], 1);
            for (const Step &s : job.plan.steps) {
                const uint32_t tier = s.target->tier;
                const uint64_t size = s.target->size;
                switch (s.kind) {
                case StepKind::Read:
                    host_.record(metrics_.tiers[tier].cls[kClassRead].bytes, size);
                    host_.record(metrics_.tiers[tier].cls[kClassRead].ops, 1);
                    break;
                case StepKind::Write:
                    host_.record(metrics_.tiers[tier].cls[kClassWrite].bytes, size);
                    host_.record(metrics_.tiers[tier].cls[kClassWrite].ops, 1);
                    break;
                case StepKind::Move:
                    host_.record(metrics_.tiers[tier].cls[kClassDemoteRead].bytes, size);
                    host_.record(metrics_.tiers[s.dest->tier].cls[kClassDemoteWrite].bytes, size);
                    host_.record(s.phase == OpPhase::Promote ? m.promotions : m.demotions, 1);
                    break;
                case StepKind::Delete:
                    host_.record(metrics_.tiers[tier].cls[kClassDelete].ops, 1);
                    host_.record(m.evictions, 1);
                    break;
                }
            }
            requestsDone.fetch_add(1, std::memory_order_relaxed);
        }
        const uint64_t service = closed ? serviceNs(job.plan) : 0;
        job.plan.clear(); // drop the plan's references: placements no entry holds are freed
        if (!draw(u)) {
            continue;
        }
        const uint64_t next = closed ? closedKey(u, t, service) : arrivalOf(u, t, 0);
        vtimeNs_[u] = next;
        heap_.push({next, draws_[u], u});
    }
}

} // namespace mlps::kvcache
