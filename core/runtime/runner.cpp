#include "runtime/runner.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <thread>
#include <unistd.h>

#include "build_config.hpp"
#include "plugin/spec_plugins.hpp"
#include "results/metrics_json.hpp"
#include "results/run_identity.hpp"
#include "results/run_index.hpp"
#include "results/run_record.hpp"
#include "results/run_summary.hpp"
#include "results/summary_builder.hpp"
#include "runtime/crash_handler.hpp"
#include "runtime/host_binding.hpp"
#include "runtime/mpi_control.hpp"
#include "runtime/mpi_merge.hpp"
#include "runtime/plugin_call.hpp"
#include "runtime/plugin_validate.hpp"
#include "runtime/run_beacon.hpp"
#include "runtime/sampler.hpp"
#include "runtime/signals.hpp"
#include "runtime/tier_guard.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"
#include "util/owner_record.hpp"
#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

// What happened, for summary.json and the exit code.
struct Runner::Outcome {
    std::string status = "ok";
    bool partial = false;
    int exitCode = kExitOk;
    std::vector<std::string> errors;
    nlohmann::json report = nlohmann::json::object();    // the job's (rank 0: merged metrics)
    nlohmann::json ownReport = nlohmann::json::object(); // this rank's own
    std::optional<TimeSeries> series;
    std::string startedAt;
    nlohmann::json tiers = nlohmann::json::array();
    bool timedRan = false;      // every rank went through the timed phase (agreed)
    bool clusterBroken = false; // a rank stopped answering: no more collectives
    std::vector<uint32_t> missingRanks;
    CounterTrail trail;
    JobWindow window;
    bool windowKnown = false;
    std::vector<uint64_t> firstDoneTotals;
    std::vector<nlohmann::json> perRank;
    double mergeSeconds = 0;  // window agreement and metric reductions
    double gatherSeconds = 0; // per-rank figures to rank 0 (waits for the slowest teardown)
    uint64_t localStartNs = 0, localEndNs = 0; // relative to the start barrier
    double localTimedSeconds = 0;

    void fail(const std::string &message, int code, const std::string &why = "failed") {
        for (const auto &known : errors) {
            if (known == message) {
                return; // the same failure reported twice (e.g. by this rank and by agreement)
            }
        }
        errors.push_back(message);
        if (exitCode == kExitOk || exitCode == kExitRunFailed) {
            exitCode = code;
            status = why;
        }
        partial = true;
    }
};

std::string newRunId() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::random_device rd;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rd() & 0xffff));
    return std::string(stamp) + "-" + suffix;
}

Runner::Runner(RunSpec spec, RunOptions options, Comm &comm, std::string runId)
    : spec_(std::move(spec)), options_(std::move(options)),
      context_(spec_, comm, std::move(runId)) {}

Runner::~Runner() {
    destroyAll();
}

namespace {

// Counters whose non-zero sum fails the run (documented in host_api.h): I/O errors, and data
// that came back different from what was written.
bool isErrorCounter(const std::string &name) {
    return name == "errors" || name.ends_with(".errors");
}
bool isIntegrityCounter(const std::string &name) {
    return name == "mismatched_bytes" || name.ends_with(".mismatched_bytes");
}

std::string describeFailure(const mlps_error &err, mlps_status status) {
    std::string text = err.message[0] != '\0' ? err.message : "failed";
    if (err.sys_errno != 0 && std::strstr(err.message, std::strerror(err.sys_errno)) == nullptr) {
        text += std::string(" (") + std::strerror(err.sys_errno) + ")";
    }
    if (err.message[0] == '\0') {
        text += " with status " + std::to_string(status);
    }
    return text;
}

} // namespace

void Runner::resolve() {
    std::vector<std::string> specPaths = spec_.pluginPath;
    registry_ = std::make_unique<PluginRegistry>(pluginSearchPath(options_.pluginPaths, specPaths));

    benchmark_ =
        &resolveSpecPlugin(*registry_, MLPS_KIND_BENCHMARK, spec_.benchmark, spec_.sourceName);
    ExpandContext expand;
    expand.rank = context_.comm.rank();
    expand.localRank = context_.comm.localRank();
    expand.host = hostName();
    expand.runId = context_.runId;
    expand.tmpdir = tempDir();
    benchmarkOptions_ = resolveOptions(*benchmark_->descriptor, spec_.benchmark, expand);

    context_.tiers.clear();
    context_.tiers.reserve(spec_.tiers.size());
    for (const TierSpec &tierSpec : spec_.tiers) {
        TierInstance tier;
        tier.spec = tierSpec;
        tier.plugin = &resolveSpecPlugin(*registry_, MLPS_KIND_TIER, tierSpec, spec_.sourceName);
        tier.options = resolveOptions(*tier.plugin->descriptor, tierSpec, expand);
        tier.options.addSize("capacity", tierSpec.capacityBytes);
        tier.options.addBool("keep", tierSpec.keep);
        tier.options.addString("tier_name", tierSpec.name);
        context_.tiers.push_back(std::move(tier));
    }
    for (auto &tier : context_.tiers) {
        tier.label = "tier " + tier.spec.name + " (" + tier.plugin->name() + ")";
        tier.host = std::make_unique<HostBinding>(context_, tier.label);
        tier.guard = std::make_unique<TierGuard>(context_, tier, tier.label);
    }
    benchmarkHost_ = std::make_unique<HostBinding>(context_, benchmark_->name());
    validatePluginOptions();
}

// The plugins' own checks, after the schema's (resolve); the benchmark last, so that it can
// rely on its tiers' options being sound.
void Runner::validatePluginOptions() {
    for (auto &tier : context_.tiers) {
        runPluginValidate(*tier.plugin, tier.host->api(), tier.options, tier.spec, tier.label);
    }
    runPluginValidate(*benchmark_,
                      benchmarkHost_->api(),
                      benchmarkOptions_,
                      spec_.benchmark,
                      "benchmark '" + benchmark_->name() + "'");
}

std::vector<std::string> Runner::pluginFiles() const {
    std::vector<std::string> files;
    if (benchmark_ != nullptr) {
        files.push_back(benchmark_->path);
    }
    for (const auto &tier : context_.tiers) {
        if (std::find(files.begin(), files.end(), tier.plugin->path) == files.end()) {
            files.push_back(tier.plugin->path);
        }
    }
    return files;
}

std::string Runner::resultsFolder() const {
    return (fs::path(spec_.run.resultsDir) / benchmark_->name() / context_.runId).string();
}

std::string Runner::benchmarkPlan() {
    const mlps_benchmark_ops *ops = benchmark_->benchmarkOps();
    if (!MLPS_HAS_FIELD(ops, mlps_benchmark_ops, plan) || ops->plan == nullptr) {
        return {};
    }
    std::string text;
    mlps_text_sink sink{&text, [](void *ctx, const char *data, size_t len) {
                            static_cast<std::string *>(ctx)->append(data, len);
                        }};
    mlps_error err{};
    PluginCallScope scope(benchmark_->name().c_str(), "plan");
    const mlps_status st =
        ops->plan(benchmarkHost_->api(), benchmarkOptions_.config(), &sink, &err);
    if (st < 0) {
        throw ConfigError(spec_.sourceName + ": benchmark '" + benchmark_->name() +
                          "' rejected the options: " + describeFailure(err, st));
    }
    return text;
}

void Runner::printPlan(std::ostream &out) {
    out << "Plan for " << spec_.sourceName << " (nothing was created)\n";
    out << "  benchmark " << benchmark_->name() << " " << benchmark_->descriptor->version << "  ("
        << benchmark_->path << ")\n";
    out << "    options " << benchmarkOptions_.json().dump() << "\n";
    for (const auto &tier : context_.tiers) {
        out << "  tier [" << tier.spec.name << "] " << tier.plugin->name() << " "
            << tier.plugin->descriptor->version << ", capacity "
            << (tier.spec.capacityBytes != 0 ? formatBytes(double(tier.spec.capacityBytes))
                                             : std::string("decided by the tier"))
            << (tier.spec.keep ? ", data kept after the run" : "") << "  (" << tier.plugin->path
            << ")\n";
        out << "    options " << tier.options.json().dump() << "\n";
    }
    const auto &run = spec_.run;
    out << "  run: warmup " << formatDurationNs(double(run.warmupNs)) << ", timed "
        << (run.durationNs != 0 ? formatDurationNs(double(run.durationNs))
                                : std::string("until the benchmark's work is done"))
        << ", seed " << run.seed << "\n";
    out << "  results would go to " << resultsFolder() << "/\n";
    const std::string plan = benchmarkPlan();
    if (!plan.empty()) {
        nlohmann::json parsed = nlohmann::json::parse(plan, nullptr, false);
        out << "  benchmark plan:\n" << (parsed.is_discarded() ? plan : parsed.dump(4)) << "\n";
        // A plan that says it cannot fit is not a plan to run (exit 2).
        const auto fits = parsed.is_object() ? parsed.find("fits_capacity") : parsed.end();
        if (parsed.is_object() && fits != parsed.end() && fits->is_boolean() &&
            !fits->get<bool>()) {
            throw ConfigError(spec_.sourceName + ": benchmark '" + benchmark_->name() +
                              "': the plan does not fit the tiers' capacity (fits_capacity: "
                              "false above)");
        }
    }
}

// Tier folders that runs which died left in the directories this run's tiers use (their PATH
// options) go before this run adds its own; live runs', kept ones and anything without an
// owner record stay (util/owner_record.hpp).
void Runner::removeDeadRunLeftovers() {
    for (auto &tier : context_.tiers) {
        const mlps_config *config = tier.options.config();
        for (uint32_t i = 0; i < config->n_values; ++i) {
            const mlps_option_value &value = config->values[i];
            if (value.type != MLPS_OPT_PATH || value.is_set == 0 || value.v.s == nullptr) {
                continue;
            }
            for (const TierFolder &folder : findTierFolders(value.v.s)) {
                if (folder.state != OwnerState::Dead || folder.owner.keep) {
                    continue;
                }
                const std::string problem = removeDeadFolder(folder);
                if (problem.empty()) {
                    logInfo("removed " + folder.path + " (" + formatBytes(double(folder.bytes)) +
                            ") left by run " + folder.owner.runId + " (pid " +
                            std::to_string(folder.owner.pid) + ", no longer running)");
                } else {
                    logWarn("a dead run's folder " + folder.path + " stays: " + problem);
                }
            }
        }
    }
}

void Runner::createTiers() {
    removeDeadRunLeftovers();
    for (auto &tier : context_.tiers) {
        mlps_error err{};
        void *self = nullptr;
        PluginCallScope scope(tier.label.c_str(), "create");
        const mlps_status st =
            tier.plugin->descriptor->create(tier.host->api(), tier.options.config(), &self, &err);
        if (st < 0 || self == nullptr) {
            const std::string message = "tier '" + tier.spec.name + "' (" + tier.plugin->name() +
                                        ") could not start: " + describeFailure(err, st);
            if (st == MLPS_E_INVALID) {
                throw ConfigError(spec_.sourceName + ": " + tier.spec.keyPath + ": " + message);
            }
            throw SystemError(message);
        }
        tier.self = self;
    }
}

void Runner::createBenchmark() {
    mlps_error err{};
    PluginCallScope scope(benchmark_->name().c_str(), "create");
    const mlps_status st = benchmark_->descriptor->create(
        benchmarkHost_->api(), benchmarkOptions_.config(), &benchmarkSelf_, &err);
    if (st < 0 || benchmarkSelf_ == nullptr) {
        benchmarkSelf_ = nullptr;
        const std::string message =
            "benchmark '" + benchmark_->name() + "' could not start: " + describeFailure(err, st);
        if (st == MLPS_E_INVALID) {
            throw ConfigError(spec_.sourceName + ": benchmark.options: " + message);
        }
        throw SystemError(message);
    }
}

void Runner::destroyBenchmark() noexcept {
    if (benchmarkSelf_ != nullptr) {
        PluginCallScope scope(benchmark_->name().c_str(), "destroy");
        benchmark_->descriptor->destroy(benchmarkSelf_);
        benchmarkSelf_ = nullptr;
    }
}

void Runner::destroyAll() noexcept {
    destroyBenchmark();
    // Reverse order: a slower tier may hold data a faster one's teardown still writes to.
    for (auto it = context_.tiers.rbegin(); it != context_.tiers.rend(); ++it) {
        if (it->self == nullptr) {
            continue;
        }
        if (it->guard && it->guard->stuckOps() != 0) {
            destroyStuckTier(*it);
        } else {
            PluginCallScope scope(it->label.c_str(), "destroy");
            it->plugin->descriptor->destroy(it->self);
        }
        it->self = nullptr;
    }
}

// A tier with ops that never completed may block in destroy (it waits for them). It gets a
// bounded time on a thread of its own; past that the thread is left behind (the process then
// ends without running destructors, see abandonedThreads()) and the core removes the tier's
// folder itself when its owner record says this process made it.
void Runner::destroyStuckTier(TierInstance &tier) noexcept {
    constexpr auto kDestroyGrace = std::chrono::seconds(5);
    std::string location;
    mlps_tier_info info{};
    info.struct_size = sizeof info;
    if (tier.plugin->tierOps()->info(tier.self, &info) == MLPS_OK) {
        location.assign(info.location, strnlen(info.location, sizeof info.location));
    }
    try {
        auto done = std::make_shared<std::promise<void>>();
        std::future<void> finished = done->get_future();
        std::thread([plugin = tier.plugin, self = tier.self, label = tier.label, done] {
            PluginCallScope scope(label.c_str(), "destroy");
            plugin->descriptor->destroy(self);
            done->set_value();
        }).detach();
        if (finished.wait_for(kDestroyGrace) == std::future_status::ready) {
            return;
        }
    } catch (const std::exception &e) {
        logError(tier.label + ": cannot tear down on a thread: " + e.what());
    }
    abandonedThreads_ = true;
    const auto owner = readOwnerRecord(location);
    if (owner && ownedByThisProcess(*owner) && !owner->keep) {
        std::error_code ec;
        fs::remove_all(location, ec);
        logError(tier.label +
                 " did not finish tearing down (ops never completed); the core "
                 "removed its folder " +
                 location + (ec ? " but: " + ec.message() : std::string()));
    } else {
        logError(tier.label +
                 " did not finish tearing down (ops never completed); its data "
                 "may be left at " +
                 location + " (see `mlpsrun clean`)");
    }
}

namespace {

// Runs `step`, turning what it throws into an exit code and a message (0, "" when it worked).
template <typename Step>
std::pair<int, std::string> guarded(Step &&step) {
    try {
        step();
        return {kExitOk, {}};
    } catch (const Error &e) {
        return {e.exitCode(), e.what()};
    } catch (const std::exception &e) {
        return {kExitRunFailed, e.what()};
    }
}

} // namespace

// Every rank reaches this with its own status; all continue only if every rank is fine. A
// failure anywhere is recorded on every rank (with the failing rank's host and message).
bool Runner::agreeOrFail(Outcome &outcome, int code, const std::string &message) {
    if (code == kExitOk && stopSignalled()) {
        code = kExitInterrupted;
    }
    const std::vector<RankFailure> failures = agree(context_.comm, code, message);
    if (failures.empty()) {
        return true;
    }
    int worst = kExitOk;
    bool interruptedOnly = true;
    for (const auto &f : failures) {
        worst = std::max(worst, f.exitCode == kExitInterrupted ? 0 : f.exitCode);
        interruptedOnly = interruptedOnly && f.exitCode == kExitInterrupted;
    }
    if (!interruptedOnly) {
        const std::string text = describeFailures(failures, context_.comm.size());
        if (context_.comm.rank() == 0 || code != kExitOk) {
            logError(text);
        }
        outcome.fail(text, worst == kExitOk ? kExitRunFailed : worst);
    }
    context_.abort();
    return false;
}

void Runner::runPhases(Outcome &outcome) {
    const mlps_benchmark_ops *ops = benchmark_->benchmarkOps();
    const auto &run = spec_.run;
    Comm &comm = context_.comm;
    auto step = [&](uint32_t phase, const char *what) {
        return guarded([&] {
            mlps_error err{};
            PluginCallScope scope(benchmark_->name().c_str(),
                                  phase == MLPS_PHASE_PREPARE ? "prepare" : "run");
            const mlps_status st =
                phase == MLPS_PHASE_PREPARE
                    ? (ops->prepare != nullptr ? ops->prepare(benchmarkSelf_, &err) : MLPS_OK)
                    : ops->run(benchmarkSelf_, phase, &err);
            if (st < 0) {
                throw RunError(benchmark_->name() + " " + what + ": " + describeFailure(err, st));
            }
        });
    };

    // Auto: a live line on a terminal only; a log file or a pipe gets no per-second noise.
    // Rank 0 draws it for the whole job, from set-up on (PhaseTicker, then the Sampler).
    const bool showProgress =
        comm.rank() == 0 && (options_.progress == ProgressMode::On ||
                             (options_.progress == ProgressMode::Auto && progressOnTerminal()));
    PhaseTicker ticker(context_, run.progressIntervalNs, showProgress);
    context_.enterPhase(MLPS_PHASE_PREPARE, 0);
    auto [code, message] = step(MLPS_PHASE_PREPARE, "prepare failed");
    // Every rank is ready before anything is timed.
    if (!agreeOrFail(outcome, code, message)) {
        return;
    }
    code = kExitOk;
    message.clear();
    publishDeadline(run.warmupNs);
    if (run.warmupNs != 0 && !context_.shouldStop()) {
        logInfo("warmup for " + formatDurationNs(double(run.warmupNs)));
        context_.enterPhase(MLPS_PHASE_WARMUP, run.warmupNs);
        std::tie(code, message) = step(MLPS_PHASE_WARMUP, "warmup failed");
    }
    // Nobody starts the timed phase alone (e.g. after a Ctrl-C that reached only some ranks).
    if (!agreeOrFail(outcome, code, message)) {
        return;
    }

    const bool stonewall = options_.stonewall || spec_.run.stonewall;
    control_ = std::make_unique<JobControl>(comm, context_, stonewall);
    Sampler sampler(context_, run.progressIntervalNs, showProgress, control_.get());
    // The start: every rank leaves this barrier together; times are kept relative to it.
    comm.barrier();
    startBarrierNs_ = monotonicNs();
    context_.markTimedStart(monotonicNs());
    context_.enterPhase(MLPS_PHASE_TIMED, run.durationNs);
    logInfo("timed phase: " +
            (run.durationNs != 0 ? formatDurationNs(double(run.durationNs))
                                 : std::string("until the work is done")) +
            (comm.size() > 1 ? ", " + std::to_string(comm.size()) + " ranks" : std::string()) +
            (stonewall && comm.size() > 1 ? ", stonewall" : ""));
    ticker.stop();
    sampler.start();
    std::tie(code, message) = step(MLPS_PHASE_TIMED, "run failed");
    // The benchmark drained before returning, so the window ends here (DESIGN.md §4).
    context_.markTimedEnd(monotonicNs());
    sampler.stop();
    context_.enterPhase(MLPS_PHASE_TEARDOWN, 0);
    outcome.series = sampler.series();
    outcome.trail = sampler.trail();
    outcome.trail.closeAt(context_.timedEndNs());
    outcome.localStartNs = context_.timedStartNs() - startBarrierNs_;
    outcome.localEndNs = context_.timedEndNs() - startBarrierNs_;
    outcome.localTimedSeconds = context_.timedSeconds();
    outcome.timedRan = true;
    if (code != kExitOk) {
        logError(message);
        outcome.fail(message, code);
    }
    // Stop together: a failed rank stops the others; every rank learns when all are done.
    if (!control_->finish(code == kExitOk, message, outcome.missingRanks)) {
        outcome.clusterBroken = true;
        std::string who;
        for (uint32_t r : outcome.missingRanks) {
            who += (who.empty() ? "" : ", ") + std::to_string(r);
        }
        outcome.fail(who.empty() ? "the job was torn down before every rank finished"
                                 : "rank(s) " + who +
                                       " never finished the timed phase (died, or killed); "
                                       "results are rank 0's and the last progress of others",
                     kExitRunFailed);
    }
    for (const auto &error : control_->rankErrors()) {
        if (error.rfind("rank 0 ", 0) != 0) {
            outcome.fail(error, kExitRunFailed);
        }
    }
}

// Window and metrics of the whole job (rank 0 ends up with the merged snapshot). With a
// broken world nothing is exchanged: rank 0's own figures stand, marked partial.
void Runner::mergeAcrossRanks(Outcome &outcome, MetricsSnapshot &metrics) {
    Comm &comm = context_.comm;
    if (!outcome.timedRan || outcome.clusterBroken) {
        return;
    }
    const uint64_t began = monotonicNs();
    const auto infos = context_.metrics.list();
    if (!agreeWindow(comm, outcome.localStartNs, outcome.localEndNs, infos, outcome.window)) {
        outcome.clusterBroken = true;
        outcome.fail("the ranks stopped answering while merging results", kExitRunFailed);
        return;
    }
    outcome.windowKnown = true;
    const uint64_t windowAgreed = monotonicNs();
    outcome.firstDoneTotals = outcome.trail.at(startBarrierNs_ + outcome.window.firstEndNs);
    // Summed over ranks with the metrics; the last slot carries nothing else.
    std::vector<uint64_t> early = outcome.firstDoneTotals;
    early.resize(infos.size(), 0);
    if (!comm.reduceToRoot(
            early.data(), uint32_t(early.size()), MLPS_REDUCE_SUM, giveUpAfterStop()) ||
        !reduceMetrics(comm, infos, metrics)) {
        outcome.clusterBroken = true;
        outcome.windowKnown = false;
        outcome.fail("the ranks stopped answering while merging results", kExitRunFailed);
        return;
    }
    outcome.firstDoneTotals = early;
    const uint64_t ended = monotonicNs();
    outcome.mergeSeconds = double(ended - began) / 1e9;
    logDebug("merge: window agreed in " + formatDurationNs(double(windowAgreed - began)) +
             ", metrics reduced in " + formatDurationNs(double(ended - windowAgreed)));
}

std::string Runner::runReport(Outcome &outcome) {
    std::string text;
    mlps_text_sink sink{&text, [](void *ctx, const char *data, size_t len) {
                            static_cast<std::string *>(ctx)->append(data, len);
                        }};
    mlps_error err{};
    PluginCallScope scope(benchmark_->name().c_str(), "report");
    const mlps_status st = benchmark_->benchmarkOps()->report(benchmarkSelf_, &sink, &err);
    if (st < 0) {
        outcome.fail("report failed: " + describeFailure(err, st), kExitRunFailed);
        return {};
    }
    return text;
}

nlohmann::json Runner::tierEntries() {
    nlohmann::json tiers = nlohmann::json::array();
    for (const auto &tier : context_.tiers) {
        nlohmann::json entry = {{"name", tier.spec.name},
                                {"plugin", tier.plugin->name()},
                                {"version", tier.plugin->descriptor->version},
                                {"path", tier.plugin->path},
                                {"options", tier.options.json()}};
        if (tier.self != nullptr) {
            mlps_tier_info info{};
            info.struct_size = sizeof info;
            if (tier.plugin->tierOps()->info(tier.self, &info) == MLPS_OK) {
                entry["location"] = info.location;
                entry["capacity_bytes"] = info.capacity_bytes;
                entry["used_bytes"] = info.used_bytes;
                entry["objects"] = info.objects;
                entry["alignment"] = info.alignment;
                const nlohmann::json fsInfo = fileSystemOf(info.location);
                if (!fsInfo.empty()) {
                    entry["file_system"] = fsInfo;
                }
            }
        }
        tiers.push_back(entry);
    }
    return tiers;
}

// This rank's own figures, for the per-rank breakdown.
nlohmann::json Runner::rankReport(const Outcome &outcome, const MetricsSnapshot &local) {
    nlohmann::json host = hostInventory();
    host["rank"] = context_.comm.rank();
    host["local_rank"] = context_.comm.localRank();
    nlohmann::json tiers = nlohmann::json::array();
    for (const auto &tier : outcome.tiers) {
        nlohmann::json t = {{"name", tier.value("name", "")}};
        for (const char *key : {"location", "used_bytes", "objects", "file_system"}) {
            if (tier.contains(key)) {
                t[key] = tier[key];
            }
        }
        tiers.push_back(t);
    }
    const double seconds = outcome.localTimedSeconds;
    return {{"rank", context_.comm.rank()},
            {"host", host},
            {"status", outcome.status},
            {"exit_code", outcome.exitCode},
            {"errors", outcome.errors},
            {"timed_start_s", double(outcome.localStartNs) / 1e9},
            {"timed_end_s", double(outcome.localEndNs) / 1e9},
            {"timed_s", seconds},
            {"tiers", tiers},
            {"metrics", rankMetricsJson(context_.metrics.list(), local, seconds)},
            {"benchmark", outcome.ownReport}};
}

// The run flow, stage by stage: set-up (every rank agrees it worked), the benchmark's phases
// (prepare, warm-up, timed, drain: runPhases), what went wrong meanwhile, the metrics of this
// rank and of the job, the reports and the teardown, every rank's figures to rank 0, and the
// results. Every stage runs even after a failure, so a failed run still leaves its record.
int Runner::execute() {
    if (benchmark_ == nullptr) {
        resolve();
    }
    Outcome outcome;
    outcome.startedAt = utcTimestamp();
    if (setUp(outcome)) {
        runStages(outcome);
    }
    noteRunFailures(outcome);
    MetricsSnapshot local;
    MetricsSnapshot final;
    collectMetrics(outcome, local, final);
    reportAndTearDown(outcome, local, final);
    gatherRankFigures(outcome, local);
    const int exitCode =
        context_.comm.rank() == 0 ? writeResults(outcome, final) : writeRankSeries(outcome);
    closeRun();
    return exitCode;
}

// The results folder, this rank's log, the crash record, then the tiers and the benchmark.
// True when every rank set up; otherwise the failure is in `outcome`. Throws when rank 0 has no
// results folder to write a summary into.
bool Runner::setUp(Outcome &outcome) {
    Comm &comm = context_.comm;
    const bool root = comm.rank() == 0;
    // The spec is valid: from here on everything lands in the results folder. Rank 0 owns it;
    // the other ranks only add their run.rank<N>.log (the folder may be node-local).
    context_.resultsDir = resultsFolder();
    int setupCode = kExitOk;
    std::string setupMessage;
    std::error_code ec;
    fs::create_directories(context_.resultsDir, ec);
    if (ec && root) {
        setupCode = kExitSystem;
        setupMessage =
            "cannot create the results folder " + context_.resultsDir + ": " + ec.message();
    }
    if (!ec) {
        const std::string log =
            context_.resultsDir +
            (root ? std::string("/run.log") : "/run.rank" + std::to_string(comm.rank()) + ".log");
        Logger::instance().openFile(log);
        setCrashLog(log);
        RunBeacon &beacon = runBeacon();
        beaconCopy(beacon.resultsDir, fs::absolute(context_.resultsDir).c_str());
        beacon.opTimeoutNs.store(spec_.run.opTimeoutNs);
        saveRunState(outcome);
    }
    if (root && !ec) {
        std::ofstream resolved(context_.resultsDir + "/spec.resolved.yaml");
        YAML::Emitter emitter;
        emitter << spec_.root;
        resolved << "# resolved from " << spec_.sourceName << " (run " << context_.runId << ")\n"
                 << emitter.c_str() << "\n";
        logInfo("run " + context_.runId + ": results in " + context_.resultsDir);
    }

    if (setupCode == kExitOk) {
        std::tie(setupCode, setupMessage) = guarded([&] {
            createTiers();
            if (!ec) {
                saveRunState(outcome); // now with the tier folders to remove after a crash
            }
            createBenchmark();
        });
        if (setupCode != kExitOk) {
            logError(setupMessage);
        }
    }
    const std::vector<RankFailure> setupFailures = agree(comm, setupCode, setupMessage);
    if (setupFailures.empty()) {
        return true;
    }
    const std::string text = describeFailures(setupFailures, comm.size());
    if (root && ec) {
        destroyAll();
        throw SystemError(text); // no folder to write a summary into
    }
    int worst = kExitOk;
    for (const auto &f : setupFailures) {
        worst = std::max(worst, f.exitCode);
    }
    if (root && comm.size() > 1) {
        logError(text);
    }
    outcome.fail(text, worst);
    context_.abort();
    return false;
}

// The benchmark's phases; what they throw ends the run as a failure, never the process.
void Runner::runStages(Outcome &outcome) {
    try {
        runPhases(outcome);
    } catch (const Error &e) {
        logError(e.what());
        outcome.fail(e.what(), e.exitCode());
        context_.abort();
    } catch (const std::exception &e) {
        logError(e.what());
        outcome.fail(e.what(), kExitRunFailed);
        context_.abort();
    }
}

// Failures found while the run went on (ops past their deadline, tier bugs) and the signal that
// stopped it, if one did.
void Runner::noteRunFailures(Outcome &outcome) {
    for (const auto &failure : context_.failures()) {
        outcome.fail(failure, kExitRunFailed);
    }
    if (stopSignalled() && !outcome.missingRanks.empty()) {
        // mpiexec's SIGTERM after a rank died: the job failed, nobody interrupted it.
        outcome.fail(std::string("stopped by ") + strsignal(stopSignalNumber()) +
                         " from the launcher after rank(s) died",
                     kExitRunFailed);
    } else if (stopSignalled()) {
        outcome.fail(std::string("interrupted by ") + strsignal(stopSignalNumber()),
                     kExitInterrupted,
                     "interrupted");
        outcome.exitCode = kExitInterrupted;
        outcome.status = "interrupted";
    }
}

// This rank's metrics, then the job's: rank 0 holds the merged snapshot before the report, so a
// benchmark's report() reads the whole job through metric_read.
void Runner::collectMetrics(Outcome &outcome, MetricsSnapshot &local, MetricsSnapshot &final) {
    local = context_.metrics.snapshot(monotonicNs());
    final = local;
    if (context_.comm.size() > 1) {
        try {
            mergeAcrossRanks(outcome, final);
        } catch (const Error &e) {
            logError(e.what());
            outcome.fail(e.what(), e.exitCode());
            final = local;
        }
    }
}

// The benchmark's report as JSON ({} when it has none; {"unparsed": text} when it is not JSON).
nlohmann::json Runner::benchmarkReport(Outcome &outcome) {
    if (benchmarkSelf_ == nullptr) {
        return nlohmann::json::object();
    }
    const std::string text = runReport(outcome);
    if (text.empty()) {
        return nlohmann::json::object();
    }
    nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        outcome.fail("the benchmark's report is not a JSON object", kExitRunFailed);
        return {{"unparsed", text}};
    }
    return parsed;
}

// The reports (a benchmark that ran, even partly, is worth reporting), then the teardown, then
// the error and integrity counters that fail a run.
void Runner::reportAndTearDown(Outcome &outcome,
                               const MetricsSnapshot &local,
                               const MetricsSnapshot &final) {
    const bool root = context_.comm.rank() == 0;
    // Every rank makes its own report (for per_rank); rank 0 then makes the job's from the
    // merged metrics.
    context_.setFinalMetrics(local);
    outcome.ownReport = benchmarkReport(outcome);
    outcome.report = outcome.ownReport;
    if (root && outcome.windowKnown && !outcome.clusterBroken) {
        // The job's report and every rate read the job's window (IOR's rule: earliest start to
        // latest end). RunContext measures from timedStart to timedEnd, so the start moves
        // back to make that span the job's; each rank's own window is in per_rank.
        const uint64_t span = outcome.window.latestEndNs - outcome.window.earliestStartNs;
        context_.markTimedStart(context_.timedEndNs() - span);
        context_.setFinalMetrics(final);
        outcome.report = benchmarkReport(outcome);
    } else if (root) {
        context_.setFinalMetrics(final);
    }
    // The benchmark goes first: its teardown may still delete objects from the tiers, and the
    // tiers' figures should show what is left after it.
    destroyBenchmark();
    outcome.tiers = tierEntries();
    destroyAll();
    failOnErrorCounters(outcome);
}

// I/O errors are data, but a run that had them did not measure what it claims to. Rank 0 checks
// the merged counters, so another rank's errors fail the job too.
void Runner::failOnErrorCounters(Outcome &outcome) {
    const MetricsSnapshot checked = context_.reportMetrics();
    for (const auto &info : context_.metrics.list()) {
        if (info.kind != MetricKind::Counter || checked.values.at(info.id).sum == 0) {
            continue;
        }
        const uint64_t sum = checked.values[info.id].sum;
        if (isErrorCounter(info.name)) {
            outcome.fail(std::to_string(sum) + " I/O error(s) (" + info.name + "); see run.log",
                         kExitRunFailed);
        } else if (isIntegrityCounter(info.name)) {
            outcome.fail("data verification failed: " + std::to_string(sum) + " " + info.unit +
                             " read back differ from what was written (" + info.name +
                             "): the storage returned wrong data",
                         kExitRunFailed);
        }
    }
}

// Every rank's own figures reach rank 0 (a world of one sends to itself).
void Runner::gatherRankFigures(Outcome &outcome, const MetricsSnapshot &local) {
    const uint64_t began = monotonicNs();
    if (outcome.timedRan && !outcome.clusterBroken) {
        if (!gatherRankReports(context_.comm, rankReport(outcome, local), outcome.perRank)) {
            outcome.clusterBroken = true;
            outcome.fail("some ranks never sent their figures", kExitRunFailed);
        }
    } else {
        outcome.perRank = {rankReport(outcome, local)};
    }
    outcome.gatherSeconds = double(monotonicNs() - began) / 1e9;
}

// Ranks other than 0: rank 0's series is timeseries.h5; each other rank keeps its own beside
// its log. Returns this rank's exit code.
int Runner::writeRankSeries(const Outcome &outcome) {
    if (outcome.series) {
        Comm &comm = context_.comm;
        const std::string rank = std::to_string(comm.rank());
        auto attributes = timeSeriesAttributes({{"run_id", context_.runId},
                                                {"benchmark_name", benchmark_->name()},
                                                {"ranks", comm.size()}});
        attributes["series_ranks"] = rank;
        writeTimeSeriesFile(
            *outcome.series, context_.resultsDir, "timeseries.rank" + rank + ".h5", attributes);
    }
    return outcome.exitCode;
}

// The results are written: the supervisor has nothing left to finish for this run.
void Runner::closeRun() {
    runBeacon().resultsWritten.store(1);
    std::error_code ignored;
    fs::remove(context_.resultsDir + "/" + kRunStateFile, ignored);
    setCrashLog("");
    Logger::instance().closeFile();
}

// summary.json, the history entry and the human summary. A results file system that fails
// (full, read-only, gone) costs the files, not the results: they go to stdout, exit 4.
int Runner::writeResults(Outcome &outcome, const MetricsSnapshot &final) {
    nlohmann::json summary = buildSummary(summaryFacts(outcome, final));
    if (outcome.series &&
        writeTimeSeriesFile(
            *outcome.series, context_.resultsDir, "timeseries.h5", timeSeriesAttributes(summary))) {
        summary["timeseries"]["file"] = "timeseries.h5";
    }
    const std::string path = context_.resultsDir + "/summary.json";
    try {
        writeJsonFile(path, summary);
    } catch (const std::exception &e) {
        logError(std::string("results not written: ") + e.what() +
                 "; the summary follows on stdout");
        summary["status"] = outcome.status == "ok" ? "failed" : outcome.status;
        summary["errors"].push_back(std::string("results not written: ") + e.what());
        summary["exit_code"] = kExitSystem;
        std::cout << summary.dump(2) << std::endl;
        return kExitSystem;
    }
    recordInIndex(summary);
    if (options_.output == SummaryOutput::Human) {
        printHumanSummary(summary, std::cout);
    } else if (options_.output == SummaryOutput::Path) {
        std::cout << path << "\n";
    } else if (options_.output == SummaryOutput::Json) {
        std::cout << summary.dump(2) << "\n";
    }
    std::cout.flush();
    return outcome.exitCode;
}

// What the supervisor needs to finish this run's record if the run cannot (run_record.hpp).
void Runner::saveRunState(const Outcome &outcome) {
    nlohmann::json tiers = nlohmann::json::array();
    for (const auto &tier : context_.tiers) {
        nlohmann::json entry = {{"name", tier.spec.name}, {"plugin", tier.plugin->name()}};
        if (tier.self != nullptr) {
            mlps_tier_info info{};
            info.struct_size = sizeof info;
            if (tier.plugin->tierOps()->info(tier.self, &info) == MLPS_OK) {
                entry["location"] =
                    std::string(info.location, strnlen(info.location, sizeof info.location));
            }
        }
        tiers.push_back(entry);
    }
    YAML::Emitter emitter;
    emitter << spec_.root;
    const nlohmann::json state = {
        {"run_id", context_.runId},
        {"benchmark", benchmark_->name()},
        {"started_at", outcome.startedAt},
        {"ranks", context_.comm.size()},
        {"index_dir", fs::absolute(spec_.run.resultsDir).string()},
        {"spec",
         {{"source", spec_.sourceName},
          {"hash_fnv1a64", specHash(emitter.c_str())},
          {"seed", spec_.run.seed}}},
        {"plugins", {{"benchmark", {{"name", benchmark_->name()}, {"path", benchmark_->path}}}}},
        {"tiers", tiers}};
    try {
        writeRunState(context_.resultsDir, state);
    } catch (const std::exception &e) {
        logWarn(std::string("no crash record possible: ") + e.what());
    }
}

// The supervisor kills a run still alive this long after its timed phase should have ended.
void Runner::publishDeadline(uint64_t warmupNs) {
    constexpr uint64_t kGraceNs = 30'000'000'000ull; // drain, report, tier clean-up
    if (spec_.run.durationNs == 0) {
        return; // until the work is done: only stop signals set a deadline
    }
    runBeacon().deadlineNs.store(monotonicNs() + warmupNs + spec_.run.durationNs +
                                 spec_.run.opTimeoutNs + kGraceNs);
}

// What summary.json says, gathered from this run (core/results/summary_builder shapes it).
RunFacts Runner::summaryFacts(Outcome &outcome, const MetricsSnapshot &final) {
    Comm &comm = context_.comm;
    const bool merged = outcome.windowKnown && !outcome.clusterBroken;
    if (!merged && comm.size() > 1) {
        outcome.partial = true;
    }
    if (comm.size() == 1 && outcome.timedRan) {
        outcome.window = {outcome.localStartNs, outcome.localEndNs, outcome.localEndNs};
        outcome.windowKnown = true;
        outcome.firstDoneTotals = outcome.trail.at(context_.timedEndNs());
    }
    RunFacts facts;
    facts.runId = context_.runId;
    facts.benchmarkName = benchmark_->name();
    facts.benchmarkPlugin = {
        {"name", benchmark_->name()},
        {"version", benchmark_->descriptor->version},
        {"path", benchmark_->path},
        {"abi", std::to_string(benchmark_->abiMajor) + "." + std::to_string(benchmark_->abiMinor)},
        {"options", benchmarkOptions_.json()}};
    YAML::Emitter emitter;
    emitter << spec_.root;
    facts.spec = {{"source", spec_.sourceName},
                  {"hash_fnv1a64", specHash(emitter.c_str())},
                  {"seed", spec_.run.seed}};
    facts.overrides = spec_.overrides;
    facts.startedAt = outcome.startedAt;
    facts.endedAt = utcTimestamp();
    facts.resultsDir = context_.resultsDir;
    facts.warmupS = double(spec_.run.warmupNs) / 1e9;
    facts.durationRequestedS = double(spec_.run.durationNs) / 1e9;
    facts.timedS = context_.timedSeconds();
    facts.status = outcome.status;
    facts.partial = outcome.partial;
    facts.exitCode = outcome.exitCode;
    facts.errors = outcome.errors;
    facts.ranks = comm.size();
    facts.mpi = comm.describe();
    facts.merged = merged;
    facts.clusterBroken = outcome.clusterBroken;
    facts.perRank = outcome.perRank;
    if (control_ && outcome.clusterBroken) {
        facts.lastTotals = control_->lastTotals();
    }
    facts.missingRanks = outcome.missingRanks;
    if (outcome.windowKnown) {
        facts.window = outcome.window;
    }
    facts.firstDoneTotals = outcome.firstDoneTotals;
    facts.mergeS = outcome.mergeSeconds;
    facts.gatherS = outcome.gatherSeconds;
    facts.metrics = context_.metrics.list();
    facts.final = final;
    facts.tiers = outcome.tiers;
    facts.benchmarkReport = outcome.report;
    facts.series = outcome.series ? &*outcome.series : nullptr;
    return facts;
}

void Runner::recordInIndex(const nlohmann::json &summary) {
    std::vector<std::string> hosts;
    for (const auto &host : summary.value("per_host", nlohmann::json::array())) {
        hosts.push_back(host.value("hostname", "?"));
    }
    if (hosts.empty()) {
        hosts.push_back(hostName());
    }
    indexEntry_ = {{"id", context_.runId},
                   {"time", summary.value("started_at", "")},
                   {"ended", summary.value("ended_at", "")},
                   {"benchmark", benchmark_->name()},
                   {"spec", spec_.sourceName},
                   {"spec_hash", summary["spec"].value("hash_fnv1a64", "")},
                   {"ranks", context_.comm.size()},
                   {"hosts", hosts},
                   {"status", summary.value("status", "")},
                   {"partial", summary.value("partial", false)},
                   {"exit_code", summary.value("exit_code", 0)},
                   {"result", fs::absolute(context_.resultsDir + "/summary.json").string()}};
    indexEntry_.update(indexExtras(summary));
    try {
        RunIndex(spec_.run.resultsDir).append(indexEntry_);
    } catch (const std::exception &e) {
        logWarn(std::string("run index not updated: ") + e.what());
    }
}

} // namespace mlps::core
