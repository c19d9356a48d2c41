#include "checkpoint.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

#include <mlps/json_writer.hpp>

namespace mlps::checkpoint {

namespace {

constexpr uint64_t kManifestBytes = 4096; // one O_DIRECT unit
constexpr uint32_t kMaxLoggedProblems = 8;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

std::string manifestFile(uint32_t rank) {
    return "rank" + std::to_string(rank) + ".manifest";
}

// Mean and sample standard deviation (0 for fewer than two values).
std::pair<double, double> meanStdev(const std::vector<double> &v) {
    if (v.empty()) {
        return {0.0, 0.0};
    }
    double sum = 0;
    for (const double x : v) {
        sum += x;
    }
    const double mean = sum / double(v.size());
    if (v.size() < 2) {
        return {mean, 0.0};
    }
    double sq = 0;
    for (const double x : v) {
        sq += (x - mean) * (x - mean);
    }
    return {mean, std::sqrt(sq / double(v.size() - 1))};
}

JsonObject opsReport(const std::vector<OpResult> &ops) {
    std::vector<double> durations, throughputs;
    JsonArray durationArray, throughputArray, stepArray;
    uint64_t bytes = 0;
    for (const OpResult &op : ops) {
        const double seconds = double(op.durationNs) / 1e9;
        const double gibs = seconds > 0 ? double(op.bytes) / kGiB / seconds : 0.0;
        durations.push_back(seconds);
        throughputs.push_back(gibs);
        durationArray.add(seconds);
        throughputArray.add(gibs);
        stepArray.add(uint64_t{op.step});
        bytes += op.bytes;
    }
    const auto [dMean, dStdev] = meanStdev(durations);
    const auto [tMean, tStdev] = meanStdev(throughputs);
    JsonObject out;
    out.add("count", uint64_t{ops.size()})
        .add("steps", stepArray)
        .add("bytes", bytes)
        .add("duration_s", durationArray)
        .add("throughput_gib_per_s", throughputArray)
        .add("duration_mean_s", dMean)
        .add("duration_stdev_s", dStdev)
        .add("throughput_mean_gib_per_s", tMean)
        .add("throughput_stdev_gib_per_s", tStdev);
    return out;
}

// Rank sizes as runs of equal values: [{"first_rank":0,"ranks":256,"bytes":...}, ...].
JsonArray rankClasses(const Layout &l) {
    JsonArray out;
    uint32_t first = 0;
    uint64_t bytes = l.ranks != 0 ? l.rankBytes(0) : 0;
    for (uint32_t r = 1; r <= l.ranks; ++r) {
        const uint64_t b = r < l.ranks ? l.rankBytes(r) : 0;
        if (r == l.ranks || b != bytes) {
            JsonObject cls;
            cls.add("first_rank", uint64_t{first})
                .add("ranks", uint64_t{r - first})
                .add("bytes", bytes)
                .add("files", uint64_t{l.rankShards(first).size()});
            out.add(cls);
            first = r;
            bytes = b;
        }
    }
    return out;
}

uint64_t maxRankBytes(const Layout &l) {
    uint64_t most = 0;
    for (uint32_t r = 0; r < l.ranks; ++r) {
        most = std::max(most, l.rankBytes(r));
    }
    return most;
}

const char *cleanupName(Cleanup c) {
    return c == Cleanup::Always ? "always" : c == Cleanup::Never ? "never" : "auto";
}

} // namespace

void Checkpoint::validate(const Host &host, const Config &config) {
    const Settings s = parseSettings(config);
    const uint32_t index = findTier(host, s.tier);
    const mlps_run_info run = host.runInfo();
    const Layout l = jobLayout(s, run.world_size, 1);
    const mlps_tier_spec spec = host.tierSpec(index);
    const uint64_t need = maxRankBytes(l) * s.writes;
    if (spec.capacity_bytes != 0 && need > spec.capacity_bytes) {
        throw invalid("checkpoint_size: " + std::to_string(s.writes) + " checkpoint(s) of up to " +
                      std::to_string(maxRankBytes(l)) + " bytes per rank do not fit tier '" +
                      (spec.name != nullptr ? spec.name : "") + "' (capacity " +
                      std::to_string(spec.capacity_bytes) + " bytes)");
    }
}

std::string Checkpoint::plan(const Host &host, const Config &config) {
    validate(host, config); // until the core calls the descriptor's validate in --dry-run
    const Settings s = parseSettings(config);
    const mlps_tier_spec spec = host.tierSpec(findTier(host, s.tier));
    const Layout l = jobLayout(s, host.runInfo().world_size, 1);
    JsonObject out;
    out.add("tier", spec.name != nullptr ? spec.name : "")
        .add("model", s.model->name)
        .add("zero_stage", uint64_t{s.model->zeroStage})
        .add("tp", uint64_t{s.model->tp})
        .add("pp", uint64_t{s.model->pp})
        .add("subset", l.subset)
        .add("ranks", uint64_t{l.ranks})
        .add("layout_processes", uint64_t{l.layoutProcs})
        .add("full_checkpoint_bytes", l.modelBytes + l.optimizerBytes)
        .add("model_bytes", l.modelBytes)
        .add("optimizer_bytes", l.optimizerBytes)
        .add("checkpoint_bytes", l.jobBytes())
        .add("per_rank", rankClasses(l))
        .add("num_checkpoints_write", uint64_t{s.writes})
        .add("num_checkpoints_read", uint64_t{s.reads})
        .add("write_bytes", l.jobBytes() * s.writes)
        .add("read_bytes", l.jobBytes() * s.reads)
        .add("buffer_bytes_per_rank", s.ioSize * s.queueDepth);
    if (spec.capacity_bytes != 0) {
        out.add("fits_capacity", maxRankBytes(l) * s.writes <= spec.capacity_bytes);
    } else {
        out.addNull("fits_capacity");
    }
    return out.str();
}

Checkpoint::Checkpoint(const Host &host, const Config &config)
    : host_(host), settings_(parseSettings(config)) {
    const mlps_run_info run = host.runInfo();
    rank_ = run.rank;
    ranks_ = run.world_size;
    validate(host, config); // until the core calls the descriptor's validate before create
    if (settings_.processes != 0 && settings_.processes != ranks_) {
        throw invalid("processes: " + std::to_string(settings_.processes) +
                      " sizes a --dry-run only; this job has " + std::to_string(ranks_) +
                      " rank(s): set 0");
    }
    tierIndex_ = findTier(host, settings_.tier);
    tier_ = host.tier(tierIndex_);
    const mlps_tier_info info = Host::tierInfo(tier_);
    const uint64_t alignment = std::max<uint64_t>(info.alignment, 1);
    if (settings_.ioSize % alignment != 0 || settings_.ioSize < kManifestBytes) {
        throw invalid("io_size: must be a multiple of tier '" + std::string(tier_.name) +
                      "''s alignment (" + std::to_string(alignment) + " bytes) and at least 4KiB");
    }
    layout_ = jobLayout(settings_, ranks_, alignment);
    const uint64_t need = layout_.rankBytes(rank_) * settings_.writes;
    const uint64_t room = info.capacity_bytes - std::min(info.used_bytes, info.capacity_bytes);
    if (info.capacity_bytes != 0 && need > room) {
        throw invalid("checkpoint_size: " + std::to_string(settings_.writes) +
                      " checkpoint(s) of " + std::to_string(layout_.rankBytes(rank_)) +
                      " bytes for rank " + std::to_string(rank_) + " do not fit tier '" +
                      tier_.name + "' (" + std::to_string(room) + " bytes free)");
    }
    pump_ =
        std::make_unique<IoPump>(host, tierIndex_, tier_, settings_.queueDepth, settings_.ioSize);
    // Incompressible content, written once: every save writes the same bytes, as DLIO's random
    // tensors do not change between saves either.
    uint64_t state = run.seed ^ (uint64_t{rank_} << 40) ^ 0x636b7074ull;
    for (uint32_t s = 0; s < pump_->depth(); ++s) {
        auto *words = reinterpret_cast<uint64_t *>(pump_->buffer(s));
        for (uint64_t i = 0; i < settings_.ioSize / 8; ++i) {
            uint64_t z = (state += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            words[i] = z ^ (z >> 31);
        }
    }
    // Steps this run reads but does not write must exist already, written by a job like this
    // one: refuse now, before anything is timed, rather than count NOT_FOUND errors.
    for (uint32_t step = settings_.writes + 1; step <= settings_.reads; ++step) {
        const std::string problem = checkManifest(step);
        if (!problem.empty()) {
            throw invalid("num_checkpoints_read: " + problem);
        }
    }
    m_.writeLatency = host.registerHistogram("write.latency", "ns");
    m_.readLatency = host.registerHistogram("read.latency", "ns");
    m_.syncLatency = host.registerHistogram("sync.latency", "ns");
    m_.writeBytes = host.registerCounter("write.bytes", "bytes");
    m_.readBytes = host.registerCounter("read.bytes", "bytes");
    m_.writeOps = host.registerCounter("write.ops", "ops");
    m_.readOps = host.registerCounter("read.ops", "ops");
    m_.errors = host.registerCounter("errors", "ops");
    m_.saveDuration = host.registerHistogram("save.duration", "ns");
    m_.loadDuration = host.registerHistogram("load.duration", "ns");
}

Checkpoint::~Checkpoint() {
    std::vector<uint32_t> doomed;
    if (settings_.cleanup != Cleanup::Never) {
        if (settings_.reads != 0 || settings_.cleanup == Cleanup::Always) {
            doomed = written_;
        }
        if (settings_.cleanup == Cleanup::Always) {
            doomed.insert(doomed.end(), read_.begin(), read_.end());
        }
    }
    std::sort(doomed.begin(), doomed.end());
    doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
    for (const uint32_t step : doomed) {
        deleteStep(step);
    }
    if (!written_.empty() && doomed.empty()) {
        host_.log(MLPS_LOG_INFO,
                  "checkpoint: left %zu checkpoint(s) under '%s' in tier '%s' for a later load",
                  written_.size(),
                  settings_.folder.c_str(),
                  tier_.name);
    }
}

std::string Checkpoint::manifestText() const {
    return "mlps checkpoint 1\nranks " + std::to_string(ranks_) + "\nmodel " + layout_.model->name +
           "\nsubset " + (layout_.subset ? "1" : "0") + "\nbytes " +
           std::to_string(layout_.jobBytes()) + "\n";
}

void Checkpoint::writeManifest(uint32_t step) {
    const std::string key = stepKey(settings_, step, manifestFile(rank_));
    const std::string text = manifestText();
    bool issued = false;
    mlps_status status = MLPS_OK;
    pump_->run(
        [&](uint32_t slot, mlps_io &io) {
            if (issued) {
                return false;
            }
            issued = true;
            unsigned char *buf = pump_->buffer(slot);
            std::memset(buf, '\n', kManifestBytes);
            // A newline-padded record, not a C string: copy_n says so (memcpy reads as one).
            std::copy_n(text.data(), std::min<size_t>(text.size(), kManifestBytes), buf);
            io = mlps_io{MLPS_IO_WRITE,
                         0,
                         key.data(),
                         static_cast<uint32_t>(key.size()),
                         0,
                         buf,
                         0,
                         kManifestBytes,
                         kManifestBytes,
                         0};
            return true;
        },
        [&](const IoPump::Done &d) { status = d.completion.status; });
    if (status != MLPS_OK) {
        ++errors_;
        host_.record(m_.errors, 1);
        host_.log(MLPS_LOG_WARN,
                  "checkpoint: writing '%s' failed: %s",
                  key.c_str(),
                  ioStatusName(status));
    }
}

std::string Checkpoint::checkManifest(uint32_t step) {
    const std::string key = stepKey(settings_, step, manifestFile(rank_));
    bool issued = false;
    mlps_status status = MLPS_OK;
    std::string text;
    pump_->run(
        [&](uint32_t slot, mlps_io &io) {
            if (issued) {
                return false;
            }
            issued = true;
            io = mlps_io{MLPS_IO_READ,
                         0,
                         key.data(),
                         static_cast<uint32_t>(key.size()),
                         0,
                         pump_->buffer(slot),
                         0,
                         kManifestBytes,
                         0,
                         0};
            return true;
        },
        [&](const IoPump::Done &d) {
            status = d.completion.status;
            if (d.ok()) {
                const auto *buf = static_cast<const char *>(d.io.buf);
                text.assign(buf, strnlen(buf, kManifestBytes));
            }
        });
    const std::string where = "step" + std::to_string(step) + " under '" + settings_.folder +
                              "' in tier '" + tier_.name + "'";
    if (status != MLPS_OK) {
        return "rank " + std::to_string(rank_) + " finds no checkpoint " + where + " (" +
               ioStatusName(status) +
               "): write it first (num_checkpoints_write) with as many ranks as this job (" +
               std::to_string(ranks_) +
               "), on a tier whose data outlives a run (posix-nvme persistent_folder)";
    }
    const std::string expected = manifestText();
    if (text.compare(0, expected.size(), expected) != 0) {
        unsigned ranks = 0;
        std::sscanf(text.c_str(), "mlps checkpoint 1\nranks %u", &ranks);
        if (ranks != 0 && ranks != ranks_) {
            return "the checkpoint " + where + " was written by " + std::to_string(ranks) +
                   " ranks; this job has " + std::to_string(ranks_) +
                   ": load it with the same rank count";
        }
        std::string found = text.substr(0, 200);
        std::replace(found.begin(), found.end(), '\n', ' ');
        return "the checkpoint " + where + " is not this job's (found: " + found + ")";
    }
    return {};
}

uint64_t Checkpoint::transfer(uint32_t step, uint32_t sourceRank, bool write) {
    const std::vector<Shard> shards = layout_.rankShards(sourceRank);
    keys_.clear();
    for (const Shard &s : shards) {
        keys_.push_back(stepKey(settings_, step, s.file));
    }
    size_t shard = 0;
    uint64_t offset = 0;
    uint64_t bytes = 0, ops = 0, errors = 0;
    const mlps_metric_id latency = write ? m_.writeLatency : m_.readLatency;
    auto onDone = [&](const IoPump::Done &d) {
        if (!d.ok()) {
            if (errors_ + errors < kMaxLoggedProblems) {
                host_.log(MLPS_LOG_WARN,
                          "checkpoint: %s of '%.*s' at offset %llu failed: %s (errno %d)",
                          ioOpName(d.io.opcode),
                          static_cast<int>(d.io.key_len),
                          d.io.key,
                          static_cast<unsigned long long>(d.io.offset),
                          ioStatusName(d.completion.status),
                          d.completion.sys_errno);
            }
            ++errors;
            return;
        }
        if (d.io.opcode == MLPS_IO_SYNC) {
            host_.record(m_.syncLatency, d.latencyNs);
            return;
        }
        host_.record(latency, d.latencyNs);
        bytes += d.completion.bytes;
        ++ops;
    };
    auto stop = [&] { return host_.shouldStop(); };
    pump_->run(
        [&](uint32_t slot, mlps_io &io) {
            while (shard < shards.size() && offset >= shards[shard].bytes) {
                ++shard;
                offset = 0;
            }
            if (shard == shards.size()) {
                return false;
            }
            const uint64_t length = std::min(settings_.ioSize, shards[shard].bytes - offset);
            const std::string &key = keys_[shard];
            io = mlps_io{write ? uint32_t{MLPS_IO_WRITE} : uint32_t{MLPS_IO_READ},
                         0,
                         key.data(),
                         static_cast<uint32_t>(key.size()),
                         0,
                         pump_->buffer(slot),
                         offset,
                         length,
                         write ? shards[shard].bytes : 0,
                         0};
            offset += length;
            return true;
        },
        onDone,
        stop,
        [] {});
    if (write && settings_.fsync && !host_.shouldStop()) {
        // Durable before the save counts as done, as the rules require: one SYNC per file once
        // all its writes completed (a queue does not order ops, so not before).
        size_t next = 0;
        pump_->run(
            [&](uint32_t, mlps_io &io) {
                if (next == keys_.size()) {
                    return false;
                }
                const std::string &key = keys_[next++];
                io = mlps_io{MLPS_IO_SYNC,
                             0,
                             key.data(),
                             static_cast<uint32_t>(key.size()),
                             0,
                             nullptr,
                             0,
                             0,
                             0,
                             0};
                return true;
            },
            onDone);
    }
    host_.record(write ? m_.writeBytes : m_.readBytes, bytes);
    host_.record(write ? m_.writeOps : m_.readOps, ops);
    if (errors != 0) {
        host_.record(m_.errors, errors);
        errors_ += errors;
    }
    return bytes;
}

OpResult Checkpoint::timed(uint32_t step, bool write) {
    host_.barrier();
    const uint64_t start = host_.nowNs();
    const uint32_t source = write ? rank_ : (rank_ + settings_.rankShift) % ranks_;
    const uint64_t bytes = transfer(step, source, write);
    const uint64_t duration = host_.nowNs() - start;
    host_.record(write ? m_.saveDuration : m_.loadDuration, duration);
    // The rules' duration is the slowest rank's; throughput is the job's bytes over it.
    uint64_t slowest = duration;
    uint64_t total = bytes;
    host_.allreduce(&slowest, 1, MLPS_REDUCE_MAX);
    host_.allreduce(&total, 1, MLPS_REDUCE_SUM);
    return OpResult{step, slowest, total, duration};
}

bool Checkpoint::sleepBetween() {
    const uint64_t end = host_.nowNs() + settings_.betweenNs;
    while (host_.nowNs() < end) {
        if (host_.shouldStop()) {
            return false;
        }
        const uint64_t left = end - host_.nowNs();
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(left, 50'000'000)));
    }
    return !host_.shouldStop();
}

void Checkpoint::run(mlps_phase phase) {
    if (phase != MLPS_PHASE_TIMED) {
        return; // saves and loads are counted work: nothing to warm up
    }
    for (uint32_t step = 1; step <= settings_.writes; ++step) {
        if ((step > 1 && !sleepBetween()) || host_.shouldStop()) {
            return;
        }
        written_.push_back(step);
        saves_.push_back(timed(step, true));
        writeManifest(step);
        host_.progress(step, settings_.writes + settings_.reads, "checkpoints");
    }
    if (settings_.reads == 0) {
        return;
    }
    if (settings_.dropPageCache) {
        // The rules ask for it when the checkpoint is smaller than 3x the node's memory: a load
        // must come from the storage. Needs root; when refused the report says so.
        host_.barrier();
        ::sync();
        const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
        pageCacheDropped_ = fd >= 0 && ::write(fd, "3", 1) == 1;
        pageCacheNote_ = pageCacheDropped_ ? "dropped" : std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        if (!pageCacheDropped_) {
            host_.log(MLPS_LOG_WARN,
                      "checkpoint: could not drop the page cache (%s): loads may be served "
                      "from memory",
                      pageCacheNote_.c_str());
        }
    }
    for (uint32_t step = 1; step <= settings_.reads; ++step) {
        if (((step > 1 || settings_.writes != 0) && !sleepBetween()) || host_.shouldStop()) {
            return;
        }
        read_.push_back(step);
        loads_.push_back(timed(step, false));
        host_.progress(settings_.writes + step, settings_.writes + settings_.reads, "checkpoints");
    }
}

void Checkpoint::deleteStep(uint32_t step) noexcept {
    try {
        std::vector<std::string> keys;
        for (const Shard &s : layout_.rankShards(rank_)) {
            keys.push_back(stepKey(settings_, step, s.file));
        }
        keys.push_back(stepKey(settings_, step, manifestFile(rank_)));
        std::vector<mlps_io> ops;
        for (const std::string &key : keys) {
            ops.push_back(mlps_io{MLPS_IO_DELETE,
                                  0,
                                  key.data(),
                                  static_cast<uint32_t>(key.size()),
                                  0,
                                  nullptr,
                                  0,
                                  0,
                                  0,
                                  0});
        }
        pump_->runAll(ops, [&](const IoPump::Done &d) {
            if (!d.ok() && d.completion.status != MLPS_E_NOT_FOUND) {
                host_.log(MLPS_LOG_WARN,
                          "checkpoint: deleting '%.*s' failed: %s",
                          static_cast<int>(d.io.key_len),
                          d.io.key,
                          ioStatusName(d.completion.status));
            }
        });
    } catch (const std::exception &e) {
        host_.log(MLPS_LOG_WARN, "checkpoint: cleanup of step%u failed: %s", step, e.what());
    }
}

std::string Checkpoint::report() {
    JsonArray rankBytes;
    for (uint32_t r = 0; r < layout_.ranks; ++r) {
        rankBytes.add(layout_.rankBytes(r));
    }
    auto side = [&](mlps_metric_id bytes, mlps_metric_id ops, mlps_metric_id latency) {
        const mlps_metric_summary l = host_.read(latency);
        JsonObject lat;
        lat.add("mean", l.mean)
            .add("p50", l.p50)
            .add("p99", l.p99)
            .add("max", l.max)
            .add("count", l.count);
        JsonObject out;
        out.add("bytes", host_.read(bytes).sum)
            .add("ops", host_.read(ops).sum)
            .add("latency_ns", lat);
        return out;
    };
    JsonObject pageCache;
    pageCache.add("requested", settings_.dropPageCache).add("dropped", pageCacheDropped_);
    if (!pageCacheNote_.empty()) {
        pageCache.add("note", pageCacheNote_);
    }
    JsonObject out;
    out.add("tier", tier_.name != nullptr ? tier_.name : "")
        .add("model", layout_.model->name)
        .add("subset", layout_.subset)
        .add("ranks", uint64_t{ranks_})
        .add("layout_processes", uint64_t{layout_.layoutProcs})
        .add("folder", settings_.folder)
        .add("checkpoint_size_bytes", layout_.jobBytes())
        .add("checkpoint_size_gib", double(layout_.jobBytes()) / kGiB)
        .add("rank_bytes", rankBytes)
        .add("this_rank", uint64_t{rank_})
        .add("this_rank_bytes", layout_.rankBytes(rank_))
        .add("fsync", settings_.fsync)
        .add("recovery_rank_shift", uint64_t{settings_.rankShift})
        .add("page_cache", pageCache)
        .add("cleanup", cleanupName(settings_.cleanup))
        .add("save", opsReport(saves_))
        .add("load", opsReport(loads_))
        .add("write", side(m_.writeBytes, m_.writeOps, m_.writeLatency))
        .add("read", side(m_.readBytes, m_.readOps, m_.readLatency))
        .add("errors", host_.read(m_.errors).sum)
        .add("headline", headline());
    return out.str();
}

JsonArray Checkpoint::headline() const {
    JsonArray lines;
    char line[240];
    std::snprintf(line,
                  sizeof line,
                  "%s%s, %u rank(s): checkpoint %.2f GiB (%u of %u layout ranks)",
                  layout_.model->name,
                  layout_.subset ? " subset" : "",
                  ranks_,
                  double(layout_.jobBytes()) / kGiB,
                  layout_.ranks,
                  layout_.layoutProcs);
    lines.add(std::string(line));
    const std::pair<const char *, const std::vector<OpResult> *> sides[] = {{"save", &saves_},
                                                                            {"load", &loads_}};
    for (const auto &[name, ops] : sides) {
        if (ops->empty()) {
            continue;
        }
        std::vector<double> d, t;
        for (const OpResult &op : *ops) {
            d.push_back(double(op.durationNs) / 1e9);
            t.push_back(d.back() > 0 ? double(op.bytes) / kGiB / d.back() : 0.0);
        }
        const auto [dm, ds] = meanStdev(d);
        const auto [tm, ts] = meanStdev(t);
        std::snprintf(line,
                      sizeof line,
                      "%s: %zu x, duration mean %.3f s (stdev %.3f), throughput mean %.3f GiB/s "
                      "(stdev %.3f)",
                      name,
                      ops->size(),
                      dm,
                      ds,
                      tm,
                      ts);
        lines.add(std::string(line));
    }
    return lines;
}

} // namespace mlps::checkpoint
