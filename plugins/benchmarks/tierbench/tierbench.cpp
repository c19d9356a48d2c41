#include "tierbench.hpp"

#include <exception>
#include <thread>

#include <mlps/json_writer.hpp>

namespace mlps::tierbench {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

JsonObject
sideReport(const Host &host, mlps_metric_id ops, mlps_metric_id bytes, mlps_metric_id latency) {
    const mlps_metric_summary o = host.read(ops);
    const mlps_metric_summary b = host.read(bytes);
    const mlps_metric_summary l = host.read(latency);
    JsonObject lat;
    lat.add("mean", l.mean)
        .add("p50", l.p50)
        .add("p90", l.p90)
        .add("p95", l.p95)
        .add("p99", l.p99)
        .add("p99_9", l.p999)
        .add("p99_99", l.p9999)
        .add("max", l.max)
        .add("count", l.count);
    JsonObject side;
    side.add("ops", o.sum)
        .add("bytes", b.sum)
        .add("iops", o.rate_per_s)
        .add("bandwidth_gib_per_s", b.rate_per_s / kGiB)
        .add("latency_ns", lat);
    return side;
}

std::string humanBytes(uint64_t bytes) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++u;
    }
    return std::to_string(bytes) + units[u];
}

} // namespace

Tierbench::Tierbench(const Host &host, const Config &config) : host_(host) {
    Settings settings = parseSettings(config);
    const uint32_t tierIndex = findTier(host, settings.tier);
    tier_ = host.tier(tierIndex);
    const mlps_tier_info info = Host::tierInfo(tier_);
    if (info.alignment > 1 && settings.ioSize % info.alignment != 0) {
        throw Error("option 'io_size' (" + std::to_string(settings.ioSize) +
                        " bytes) must be a multiple of tier '" + tier_.name + "''s alignment (" +
                        std::to_string(info.alignment) + " bytes)",
                    MLPS_E_INVALID);
    }
    const uint64_t room = info.capacity_bytes - std::min(info.used_bytes, info.capacity_bytes);
    if (info.capacity_bytes != 0 && settings.objectSetBytes() > room) {
        throw Error("the object set (" + std::to_string(settings.objects) + " x " +
                        humanBytes(settings.objectSize) + ") does not fit tier '" + tier_.name +
                        "' (" + std::to_string(room) + " bytes free of " +
                        std::to_string(info.capacity_bytes) + ")",
                    MLPS_E_INVALID);
    }
    const mlps_run_info run = host.runInfo();
    shared_ = std::make_unique<SharedState>(host, std::move(settings), run.seed);
    SharedState &s = *shared_;
    s.seed = run.seed;
    s.rank = run.rank;
    s.tierIndex = tierIndex;
    s.tierName = tier_.name != nullptr ? tier_.name : "";
    s.keys.reserve(s.settings.objects);
    for (uint32_t i = 0; i < s.settings.objects; ++i) {
        s.keys.push_back("tierbench.r" + std::to_string(run.rank) + ".o" + std::to_string(i));
    }
    s.touched.assign(s.settings.objects, 0);
    MetricIds &m = s.metrics;
    m.readLatency = host.registerHistogram("read.latency", "ns");
    m.writeLatency = host.registerHistogram("write.latency", "ns");
    m.readBytes = host.registerCounter("read.bytes", "bytes");
    m.writeBytes = host.registerCounter("write.bytes", "bytes");
    m.readOps = host.registerCounter("read.ops", "ops");
    m.writeOps = host.registerCounter("write.ops", "ops");
    m.errors = host.registerCounter("errors", "ops");
    m.verifyChecked = host.registerCounter("verify.checked_bytes", "bytes");
    m.verifyMismatched = host.registerCounter("verify.mismatched_bytes", "bytes");
    workers_.reserve(s.settings.threads);
    for (uint32_t t = 0; t < s.settings.threads; ++t) {
        workers_.push_back(std::make_unique<Worker>(s, t, tier_));
    }
}

Tierbench::~Tierbench() {
    // "No files left behind": delete what we wrote; the tier decides what happens to its
    // folder (keep: true).
    for (auto &worker : workers_) {
        worker->deleteObjects();
    }
}

void Tierbench::runWorkers(Workload workload, uint64_t progressTotal, std::string progressText) {
    SharedState &s = *shared_;
    s.doneBytes.store(0);
    s.passErrors.store(0);
    s.progressTotal = progressTotal;
    s.progressText = std::move(progressText);
    std::vector<std::exception_ptr> failures(workers_.size());
    auto body = [&](size_t i) {
        try {
            workers_[i]->run(workload);
        } catch (...) {
            failures[i] = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(workers_.size());
    for (size_t i = 1; i < workers_.size(); ++i) {
        threads.emplace_back(body, i);
    }
    body(0); // the calling thread is worker 0
    for (auto &thread : threads) {
        thread.join();
    }
    host_.progress(s.doneBytes.load(), progressTotal, s.progressText.c_str());
    for (const auto &failure : failures) {
        if (failure) {
            std::rethrow_exception(failure);
        }
    }
}

void Tierbench::prepare() {
    const Settings &settings = shared_->settings;
    if (!settings.preconditions()) {
        return;
    }
    runWorkers(Workload::Precondition, settings.objectSetBytes(), "precondition");
    if (const uint64_t errors = shared_->passErrors.load(); errors != 0) {
        throw Error("preconditioning tier '" + shared_->tierName + "' failed: " +
                        std::to_string(errors) + " writes failed (the first are in the log)",
                    MLPS_E_IO);
    }
}

void Tierbench::run(mlps_phase /*phase*/) {
    const Settings &settings = shared_->settings;
    runWorkers(Workload::Measure,
               settings.totalBytes,
               std::string(modeName(settings.mode)) + " " + patternName(settings.pattern) + " " +
                   humanBytes(settings.ioSize));
}

std::string Tierbench::report() {
    const Settings &st = shared_->settings;
    const MetricIds &m = shared_->metrics;
    JsonObject verify;
    verify.add("enabled", st.verify)
        .add("checked_bytes", host_.read(m.verifyChecked).sum)
        .add("mismatched_bytes", host_.read(m.verifyMismatched).sum);
    JsonObject out;
    out.add("tier", shared_->tierName)
        .add("plugin", tier_.plugin != nullptr ? tier_.plugin : "")
        .add("mode", modeName(st.mode))
        .add("pattern", patternName(st.pattern))
        .add("object_size_bytes", st.objectSize)
        .add("io_size_bytes", st.ioSize)
        .add("objects", st.objects)
        .add("threads", st.threads)
        .add("queue_depth", st.queueDepth)
        .add("read", sideReport(host_, m.readOps, m.readBytes, m.readLatency))
        .add("write", sideReport(host_, m.writeOps, m.writeBytes, m.writeLatency))
        .add("errors", host_.read(m.errors).sum)
        .add("verify", verify);
    return out.str();
}

void Tierbench::validate(const Host &host, const Config &config) {
    const Settings st = parseSettings(config);
    const mlps_tier_spec spec = host.tierSpec(findTier(host, st.tier));
    if (spec.capacity_bytes != 0 && st.objectSetBytes() > spec.capacity_bytes) {
        throw Error("option 'objects': " + std::to_string(st.objects) + " objects of " +
                        std::to_string(st.objectSize) + " bytes do not fit tier '" +
                        (spec.name != nullptr ? spec.name : "") + "' (capacity " +
                        std::to_string(spec.capacity_bytes) + " bytes)",
                    MLPS_E_INVALID);
    }
}

std::string Tierbench::plan(const Host &host, const Config &config) {
    const Settings st = parseSettings(config);
    const mlps_tier_spec spec = host.tierSpec(findTier(host, st.tier));
    JsonObject out;
    out.add("tier", spec.name != nullptr ? spec.name : "")
        .add("plugin", spec.plugin != nullptr ? spec.plugin : "")
        .add("mode", modeName(st.mode))
        .add("pattern", patternName(st.pattern))
        .add("objects", st.objects)
        .add("object_size_bytes", st.objectSize)
        .add("object_set_bytes", st.objectSetBytes())
        .add("io_size_bytes", st.ioSize)
        .add("threads", st.threads)
        .add("queue_depth", st.queueDepth)
        .add("buffer_bytes", st.bufferBytes())
        .add("preconditions", st.preconditions())
        .add("precondition_bytes", st.preconditions() ? st.objectSetBytes() : uint64_t{0});
    if (st.totalBytes != 0) {
        out.add("total_bytes_per_phase", st.totalBytes);
    } else {
        out.addNull("total_bytes_per_phase");
    }
    if (spec.capacity_bytes != 0) {
        out.add("fits_capacity", st.objectSetBytes() <= spec.capacity_bytes);
    } else {
        out.addNull("fits_capacity");
    }
    return out.str();
}

} // namespace mlps::tierbench
