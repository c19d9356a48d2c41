// Request scheduling: closed-loop users (deterministic dispatch order) and open-loop arrivals
// into a bounded priority queue; planning happens here, under the dispatch lock, so the cache
// decisions follow the dispatch order exactly.
#include <algorithm>
#include <chrono>

#include "engine.hpp"

namespace mlps::kvcache {

namespace {

constexpr uint64_t kWaitSliceNs = 20'000'000; // re-check the stop flag this often
// Closed loop: requests of one user planned and not done, at most (the one in flight and the
// ones parked behind it).
constexpr uint64_t kMaxPlannedPerUser = 4;

} // namespace

bool Engine::stopping() const {
    return broken() || (pass_ == Pass::Requests && host_.shouldStop());
}

void Engine::beginPass(Pass pass, mlps_phase phase) {
    std::lock_guard lock(dispatchMu_);
    pass_ = pass;
    phase_ = phase;
    passDispatched_ = 0;
    setupNext_ = 0;
    setupFailStreak_ = 0;
    const uint64_t now = host_.nowNs();
    if (pass == Pass::Requests && !started_ && !settings_.traceOnly) {
        // Every user starts thinking now.
        started_ = true;
        startNs_ = now;
        for (uint32_t u = 0; u < next_.size(); ++u) {
            if (vtimeNs_[u] == UINT64_MAX) {
                continue; // the source had nothing for this lane
            }
            readyNs_[u] = source_->timed() ? now + next_[u].atNs : now + next_[u].thinkNs;
            if (!laneActive(u)) {
                inactive_.push_back(u); // the autoscaler starts it when users grow
                continue;
            }
            heap_.push(
                {settings_.arrivals == Arrivals::Closed ? vtimeNs_[u] : readyNs_[u], draws_[u], u});
        }
    }
}

void Engine::admitArrivals(uint64_t nowNs) {
    // Bounded work per call: with think times near 0 the offered load is nearly infinite, and
    // the arrivals not handled now are handled (in arrival order) at the next call.
    for (int handled = 0; handled < 4096 && !heap_.empty() && std::get<0>(heap_.top()) <= nowNs;
         ++handled) {
        [[maybe_unused]] const auto [arrival, order, u] = heap_.top();
        heap_.pop();
        if (!laneActive(u)) {
            inactive_.push_back(u); // stopped by the autoscaler: it sends nothing more for now
            continue;
        }
        Request r = next_[u];
        r.arrivalNs = arrival;
        if (queue_.size() < settings_.maxQueue) {
            queue_.push(
                Queued{settings_.qos[static_cast<int>(r.qos)].priority, arrival, seq_++, r});
            ++admittedTotal;
            peakQueue = std::max<uint64_t>(peakQueue, queue_.size());
            host_.record(featureMetrics_.queueDepth, queue_.size());
        } else {
            // Admission control: a full queue turns the request away instead of growing
            // without bound (the reference's queue is unbounded).
            ++rejectedTotal;
            host_.record(metrics_.rejected, 1);
        }
        if (draw(u)) {
            heap_.push({arrivalOf(u, arrival, startNs_), draws_[u], u});
        }
    }
}

void Engine::sequence(Job &job) {
    std::lock_guard io(ioMu_);
    for (Step &s : job.plan.steps) {
        if (s.allocBegin) {
            job.tickets.push_back(allocTickets_++);
        }
        if (s.kind == StepKind::Delete || s.kind == StepKind::Move) {
            const uint32_t from = s.target->tier;
            s.removalId = removalSeq_[from]++;
            removing_[from].insert(s.removalId);
        }
        if (s.kind == StepKind::Write || s.kind == StepKind::Move) {
            const uint32_t into = (s.kind == StepKind::Move ? s.dest : s.target)->tier;
            s.waitRemovals = removalSeq_[into];
        }
    }
}

void Engine::dispatch(Job &job, uint64_t nowNs) {
    Request &r = job.request;
    r.dispatchNs = nowNs;
    r.seq = seq_++;
    job.plan.clear();
    job.stats = PlanStats{};
    job.tickets.clear();
    {
        std::lock_guard io(ioMu_);
        planner_->plan(r, *cache_, job.plan, job.stats);
    }
    if (!settings_.traceOnly) {
        sequence(job); // trace mode executes nothing: nothing waits on removals
    }
    // The logs' clock: closed, the virtual time (a timed source's recorded arrival, which keeps
    // the logs in time order); open, the arrival.
    const uint64_t timeNs = settings_.arrivals != Arrivals::Closed ? r.arrivalNs - startNs_
                            : source_->timed()                     ? r.atNs
                                                                   : r.vtimeNs;
    opLog_.write(timeNs / 1000, r.seq, job.plan, 0, tierNames_.data());
    ioTrace_.write(timeNs / 1000, job.plan);
    ++passDispatched_;
}

bool Engine::nextJob(Job &job) {
    std::unique_lock lock(dispatchMu_);
    if (pass_ == Pass::Prepopulate) {
        const uint64_t total = uint64_t{settings_.users} * settings_.prepopulatePerUser;
        if (broken() || prepopNext_ >= total) {
            return false;
        }
        job.request = Request{};
        job.request.seq = seq_++;
        job.plan.clear();
        job.stats = PlanStats{};
        job.tickets.clear();
        {
            std::lock_guard io(ioMu_);
            planner_->planPrepopulate(prepopNext_++, *cache_, job.plan, job.stats);
        }
        sequence(job);
        opLog_.write(0, job.request.seq, job.plan, 0, tierNames_.data());
        return true;
    }
    if (pass_ == Pass::RagIngest || pass_ == Pass::Precondition) {
        return nextSetupJob(job);
    }
    const bool budgeted = phase_ == MLPS_PHASE_TIMED && settings_.maxRequests != 0;
    for (;;) {
        if (stopping() || (budgeted && passDispatched_ >= settings_.maxRequests)) {
            return false;
        }
        const uint64_t now = host_.nowNs();
        uint64_t waitNs = kWaitSliceNs;
        if (settings_.arrivals == Arrivals::Closed) {
            // Strict virtual-time order: the user with the earliest virtual arrival is planned
            // next, so the order, and so every cache decision, is the same in every run. A
            // user may have a few requests planned behind the one it has in flight: they are
            // parked for the worker that finishes the user's request (takeParked), and this
            // worker plans the next user. A slow request then holds back only its own user,
            // not every user behind it in virtual time, and no worker idles on it.
            if (heap_.empty()) {
                return false; // the source is done (parked requests go to their users' workers)
            }
            const uint32_t u = std::get<2>(heap_.top());
            if (!laneActive(u)) {
                heap_.pop();
                inactive_.push_back(u); // stopped by the autoscaler until users grow again
                continue;
            }
            const uint64_t outstanding = planned_[u] - done_[u];
            if (outstanding < kMaxPlannedPerUser) {
                heap_.pop();
                job.request = next_[u];
                job.request.vtimeNs = vtimeNs_[u];
                job.userOrdinal = planned_[u]++;
                const bool more = draw(u);
                job.thinkAfterNs = more ? next_[u].thinkNs : 0;
                dispatch(job, now);
                lastVtimeNs_ = std::max(lastVtimeNs_, job.request.vtimeNs);
                // The user's next virtual arrival: after this request's virtual service (its
                // planned bytes at virtual_bandwidth) and the next think time. A function of
                // the plan only, so the order stays reproducible, and big requests let others
                // go first as they would in real time.
                if (more) {
                    vtimeNs_[u] = closedKey(u, job.request.vtimeNs, serviceNs(job.plan));
                    heap_.push({vtimeNs_[u], draws_[u], u});
                }
                if (outstanding == 0) {
                    waitUntilUserReady(lock, job);
                    return true;
                }
                parked_[u].push_back(std::move(job));
                job = Job{}; // a fresh one for the next user, not a moved-from one
                continue;
            }
        } else {
            admitArrivals(now);
            if (!queue_.empty()) {
                job.request = queue_.top().request;
                queue_.pop();
                host_.record(featureMetrics_.queueDepth, queue_.size());
                dispatch(job, now);
                return true;
            }
            if (heap_.empty()) {
                return false; // the source is done and every arrival was dispatched
            }
            waitNs = std::min(waitNs, std::get<0>(heap_.top()) - now);
        }
        dispatchCv_.wait_for(lock, std::chrono::nanoseconds(waitNs));
    }
}

void Engine::waitUntilUserReady(std::unique_lock<std::mutex> &lock, Job &job) {
    const uint32_t u = job.request.user;
    // readyNs_[u] is this job's ready time once the user's earlier requests are all done.
    // Waiting here is the closed loop's think time, not synchronisation: the deadline is known.
    // Stopping cuts the wait; execute() then abandons the plan's steps.
    for (;;) {
        const bool previousDone = done_[u] == job.userOrdinal;
        const uint64_t now = host_.nowNs();
        if (stopping() || (previousDone && readyNs_[u] <= now)) {
            break;
        }
        const uint64_t waitNs =
            previousDone ? std::min(kWaitSliceNs, readyNs_[u] - now) : kWaitSliceNs;
        dispatchCv_.wait_for(lock, std::chrono::nanoseconds(waitNs));
    }
    job.request.arrivalNs = readyNs_[u];
    job.request.dispatchNs = host_.nowNs();
}

bool Engine::takeParked(Job &job) {
    if (settings_.arrivals != Arrivals::Closed) {
        return false;
    }
    std::unique_lock lock(dispatchMu_);
    if (pass_ != Pass::Requests) {
        return false;
    }
    std::deque<Job> &parked = parked_[job.request.user];
    if (parked.empty()) {
        return false;
    }
    job = std::move(parked.front());
    parked.pop_front();
    waitUntilUserReady(lock, job);
    return true;
}

void Engine::jobDone(const Job &job, uint64_t ioDoneNs) {
    if (pass_ == Pass::RagIngest || pass_ == Pass::Precondition) {
        setupJobDone(job);
        return;
    }
    if (pass_ != Pass::Requests || settings_.arrivals != Arrivals::Closed) {
        return;
    }
    {
        std::lock_guard lock(dispatchMu_);
        const uint32_t u = job.request.user;
        ++done_[u]; // a user's requests finish in order: each starts after the one before
        const uint64_t generationNs = uint64_t{job.request.generation} * settings_.tokenTimeNs;
        readyNs_[u] = ioDoneNs + generationNs + job.thinkAfterNs;
    }
    dispatchCv_.notify_all();
}

} // namespace mlps::kvcache

namespace mlps::kvcache {

void Engine::setActiveUsers(uint32_t users, uint64_t nowNs) {
    activeUsers_ = users;
    // Restart stopped lanes now below the count, lowest first (the order is reproducible):
    // closed, at the latest virtual time planned (they rejoin the virtual order now); open,
    // one think time from now.
    std::sort(inactive_.begin(), inactive_.end());
    auto keep = inactive_.begin();
    for (const uint32_t u : inactive_) {
        if (u >= users || vtimeNs_[u] == UINT64_MAX) {
            *keep++ = u;
            continue;
        }
        if (settings_.arrivals == Arrivals::Closed) {
            vtimeNs_[u] = std::max(vtimeNs_[u], lastVtimeNs_);
            heap_.push({vtimeNs_[u], draws_[u], u});
        } else {
            const uint64_t at = source_->timed()
                                    ? std::max(nowNs, startNs_ + next_[u].atNs)
                                    : nowNs + std::max<uint64_t>(next_[u].thinkNs, 1000);
            heap_.push({at, draws_[u], u});
        }
    }
    inactive_.erase(keep, inactive_.end());
    host_.record(featureMetrics_.activeUsers, users);
}

void Engine::autoscaleObserve(const Job &job, uint64_t e2eNs, uint64_t ioDoneNs) {
    if (!autoscaler_) {
        return;
    }
    uint64_t bytes = 0;
    for (const Step &step : job.plan.steps) {
        bytes += step.target->size * (step.kind == StepKind::Move ? 2 : 1);
    }
    std::lock_guard scale(autoscaleMu_);
    const double t = static_cast<double>(ioDoneNs - std::min(ioDoneNs, startNs_)) / 1e9;
    if (autoscaler_->observe({e2eNs, job.request.qos, bytes, ioDoneNs}, t)) {
        {
            std::lock_guard lock(dispatchMu_);
            setActiveUsers(autoscaler_->users(), host_.nowNs());
        }
        dispatchCv_.notify_all();
    }
}

} // namespace mlps::kvcache
