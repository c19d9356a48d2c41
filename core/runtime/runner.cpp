#include "runtime/runner.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <unistd.h>

#include "build_config.hpp"
#include "results/metrics_json.hpp"
#include "runtime/host_binding.hpp"
#include "runtime/run_summary.hpp"
#include "runtime/sampler.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"
#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core {

// What happened, for summary.json and the exit code.
struct Runner::Outcome {
    std::string status = "ok";
    bool partial = false;
    int exitCode = kExitOk;
    std::vector<std::string> errors;
    nlohmann::json report = nlohmann::json::object();
    std::optional<TimeSeries> series;
    std::string startedAt;
    nlohmann::json tiers = nlohmann::json::array();

    void fail(const std::string &message, int code, const std::string &why = "failed") {
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

// A plugin given as a path in the spec is relative to the spec's folder, not to the cwd.
std::string pluginReference(const std::string &plugin, const std::string &specSource) {
    const bool isPath = plugin.find('/') != std::string::npos ||
                        (plugin.size() > 3 && plugin.compare(plugin.size() - 3, 3, ".so") == 0);
    if (!isPath || fs::path(plugin).is_absolute() || specSource.empty() || specSource[0] == '<') {
        return plugin;
    }
    return (fs::path(specSource).parent_path() / plugin).lexically_normal().string();
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

    benchmark_ = &registry_->resolve(MLPS_KIND_BENCHMARK,
                                     pluginReference(spec_.benchmark.plugin, spec_.sourceName));
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
        tier.plugin =
            &registry_->resolve(MLPS_KIND_TIER, pluginReference(tierSpec.plugin, spec_.sourceName));
        tier.options = resolveOptions(*tier.plugin->descriptor, tierSpec, expand);
        tier.options.addSize("capacity", tierSpec.capacityBytes);
        tier.options.addBool("keep", tierSpec.keep);
        tier.options.addString("tier_name", tierSpec.name);
        context_.tiers.push_back(std::move(tier));
    }
    for (auto &tier : context_.tiers) {
        tier.host = std::make_unique<HostBinding>(
            context_, "tier " + tier.spec.name + " (" + tier.plugin->name() + ")");
    }
    benchmarkHost_ = std::make_unique<HostBinding>(context_, benchmark_->name());
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
    }
}

void Runner::createTiers() {
    for (auto &tier : context_.tiers) {
        mlps_error err{};
        void *self = nullptr;
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

void Runner::destroyAll() noexcept {
    if (benchmarkSelf_ != nullptr) {
        benchmark_->descriptor->destroy(benchmarkSelf_);
        benchmarkSelf_ = nullptr;
    }
    // Reverse order: a slower tier may hold data a faster one's teardown still writes to.
    for (auto it = context_.tiers.rbegin(); it != context_.tiers.rend(); ++it) {
        if (it->self != nullptr) {
            it->plugin->descriptor->destroy(it->self);
            it->self = nullptr;
        }
    }
}

void Runner::runPhases(Outcome &outcome) {
    const mlps_benchmark_ops *ops = benchmark_->benchmarkOps();
    const auto &run = spec_.run;
    auto check = [&](mlps_status st, const mlps_error &err, const char *what) {
        if (st < 0) {
            throw RunError(benchmark_->name() + " " + what + ": " + describeFailure(err, st));
        }
    };

    context_.enterPhase(MLPS_PHASE_PREPARE, 0);
    if (ops->prepare != nullptr) {
        mlps_error err{};
        check(ops->prepare(benchmarkSelf_, &err), err, "prepare failed");
    }
    // Every rank is ready before anything is timed.
    context_.comm.barrier();
    if (run.warmupNs != 0 && !context_.shouldStop()) {
        logInfo("warmup for " + formatDurationNs(double(run.warmupNs)));
        context_.enterPhase(MLPS_PHASE_WARMUP, run.warmupNs);
        mlps_error err{};
        check(ops->run(benchmarkSelf_, MLPS_PHASE_WARMUP, &err), err, "warmup failed");
    }
    if (stopSignalled()) {
        return;
    }
    context_.comm.barrier();

    // Auto: a live line on a terminal only; a log file or a pipe gets no per-second noise.
    const bool showProgress =
        options_.progress == ProgressMode::On ||
        (options_.progress == ProgressMode::Auto && isatty(STDERR_FILENO) != 0);
    Sampler sampler(context_, run.progressIntervalNs, showProgress);
    context_.markTimedStart(monotonicNs());
    context_.enterPhase(MLPS_PHASE_TIMED, run.durationNs);
    logInfo("timed phase: " + (run.durationNs != 0 ? formatDurationNs(double(run.durationNs))
                                                   : std::string("until the work is done")));
    sampler.start();
    mlps_error err{};
    const mlps_status st = ops->run(benchmarkSelf_, MLPS_PHASE_TIMED, &err);
    // The benchmark drained before returning, so the window ends here (DESIGN.md §4).
    context_.markTimedEnd(monotonicNs());
    sampler.stop();
    context_.enterPhase(MLPS_PHASE_TEARDOWN, 0);
    outcome.series = sampler.series();
    check(st, err, "run failed");
}

int Runner::execute() {
    if (benchmark_ == nullptr) {
        resolve();
    }
    Outcome outcome;
    outcome.startedAt = utcTimestamp();

    // The spec is valid: from here on everything lands in the results folder.
    context_.resultsDir = resultsFolder();
    std::error_code ec;
    fs::create_directories(context_.resultsDir, ec);
    if (ec) {
        throw SystemError("cannot create the results folder " + context_.resultsDir + ": " +
                          ec.message());
    }
    Logger::instance().openFile(context_.resultsDir + "/run.log");
    {
        std::ofstream resolved(context_.resultsDir + "/spec.resolved.yaml");
        YAML::Emitter emitter;
        emitter << spec_.root;
        resolved << "# resolved from " << spec_.sourceName << " (run " << context_.runId << ")\n"
                 << emitter.c_str() << "\n";
    }
    logInfo("run " + context_.runId + ": results in " + context_.resultsDir);

    try {
        createTiers();
        mlps_error err{};
        const mlps_status st = benchmark_->descriptor->create(
            benchmarkHost_->api(), benchmarkOptions_.config(), &benchmarkSelf_, &err);
        if (st < 0 || benchmarkSelf_ == nullptr) {
            benchmarkSelf_ = nullptr;
            const std::string message = "benchmark '" + benchmark_->name() +
                                        "' could not start: " + describeFailure(err, st);
            if (st == MLPS_E_INVALID) {
                throw ConfigError(spec_.sourceName + ": benchmark.options: " + message);
            }
            throw SystemError(message);
        }
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
    if (stopSignalled()) {
        outcome.fail(std::string("interrupted by ") + strsignal(stopSignalNumber()),
                     kExitInterrupted,
                     "interrupted");
        outcome.exitCode = kExitInterrupted;
        outcome.status = "interrupted";
    }

    context_.setFinalMetrics(context_.metrics.snapshot(monotonicNs()));
    // The report of a benchmark that ran (even partly) is worth keeping.
    if (benchmarkSelf_ != nullptr) {
        std::string text;
        mlps_text_sink sink{&text, [](void *ctx, const char *data, size_t len) {
                                static_cast<std::string *>(ctx)->append(data, len);
                            }};
        mlps_error err{};
        const mlps_status st = benchmark_->benchmarkOps()->report(benchmarkSelf_, &sink, &err);
        if (st < 0) {
            outcome.fail("report failed: " + describeFailure(err, st), kExitRunFailed);
        } else {
            outcome.report = nlohmann::json::parse(text, nullptr, false);
            if (outcome.report.is_discarded() || !outcome.report.is_object()) {
                outcome.fail("the benchmark's report is not a JSON object", kExitRunFailed);
                outcome.report = {{"unparsed", text}};
            }
        }
    }
    // The benchmark goes first: its teardown may still delete objects from the tiers, and the
    // tiers' figures should show what is left after it.
    if (benchmarkSelf_ != nullptr) {
        benchmark_->descriptor->destroy(benchmarkSelf_);
        benchmarkSelf_ = nullptr;
    }
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
        outcome.tiers.push_back(entry);
    }
    destroyAll();

    // I/O errors are data, but a run that had them did not measure what it claims to.
    const auto infos = context_.metrics.list();
    const MetricsSnapshot final = context_.reportMetrics();
    for (const auto &info : infos) {
        if (info.kind == MetricKind::Counter &&
            (info.name == "errors" || info.name.ends_with(".errors")) &&
            final.values.at(info.id).sum > 0) {
            outcome.fail(std::to_string(final.values[info.id].sum) + " I/O error(s) (" + info.name +
                             "); see run.log",
                         kExitRunFailed);
        }
    }

    nlohmann::json summary;
    summary["schema"] = kSummarySchema;
    summary["mlps_version"] = MLPS_VERSION;
    summary["abi"] = {{"major", MLPS_ABI_MAJOR}, {"minor", MLPS_ABI_MINOR}};
    summary["run_id"] = context_.runId;
    summary["benchmark_name"] = benchmark_->name();
    summary["status"] = outcome.status;
    summary["partial"] = outcome.partial;
    summary["exit_code"] = outcome.exitCode;
    summary["errors"] = outcome.errors;
    summary["started_at"] = outcome.startedAt;
    summary["ended_at"] = utcTimestamp();
    summary["results_dir"] = context_.resultsDir;
    summary["ranks"] = context_.comm.size();
    summary["timing"] = {{"warmup_s", double(spec_.run.warmupNs) / 1e9},
                         {"duration_requested_s", double(spec_.run.durationNs) / 1e9},
                         {"timed_s", context_.timedSeconds()}};
    YAML::Emitter emitter;
    emitter << spec_.root;
    summary["spec"] = {{"source", spec_.sourceName},
                       {"hash_fnv1a64", specHash(emitter.c_str())},
                       {"seed", spec_.run.seed}};
    summary["plugins"] = {
        {"benchmark",
         {{"name", benchmark_->name()},
          {"version", benchmark_->descriptor->version},
          {"path", benchmark_->path},
          {"abi",
           std::to_string(benchmark_->abiMajor) + "." + std::to_string(benchmark_->abiMinor)},
          {"options", benchmarkOptions_.json()}}}};
    summary["tiers"] = outcome.tiers;
    nlohmann::json host = hostInventory();
    host["rank"] = context_.comm.rank();
    summary["hosts"] = nlohmann::json::array({host});
    summary["metrics"] = metricsToJson(infos, final, context_.timedSeconds());
    if (outcome.series) {
        summary["timeseries"] = outcome.series->summary();
        if (TimeSeries::hdf5Available() && !outcome.series->points().empty()) {
            try {
                outcome.series->writeHdf5(context_.resultsDir + "/timeseries.h5");
                summary["timeseries"]["file"] = "timeseries.h5";
            } catch (const std::exception &e) {
                logWarn(std::string("timeseries.h5 not written: ") + e.what());
            }
        }
    }
    summary["benchmark"] = outcome.report;
    writeJsonFile(context_.resultsDir + "/summary.json", summary);

    if (!options_.quiet) {
        printHumanSummary(summary, std::cout);
    } else {
        std::cout << context_.resultsDir << "/summary.json\n";
    }
    std::cout.flush();
    Logger::instance().closeFile();
    return outcome.exitCode;
}

} // namespace mlps::core
