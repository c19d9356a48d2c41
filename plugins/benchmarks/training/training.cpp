#include "training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <mlps/json_writer.hpp>

namespace mlps::training {

namespace {

constexpr uint64_t kManifestBytes = 4096;
constexpr uint32_t kMaxLogged = 8;
constexpr double kMiB = 1024.0 * 1024.0;

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

uint64_t splitmix(uint64_t &state) noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Runs fn(i) on n threads and rethrows the first exception.
template <class Fn>
void onThreads(uint32_t n, Fn &&fn) {
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    std::mutex mu;
    for (uint32_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard lock(mu);
                if (!failure) {
                    failure = std::current_exception();
                }
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

uint64_t accelerators(const Settings &s, uint32_t ranks) {
    return s.accelerators != 0 ? s.accelerators : ranks;
}

JsonObject dataSizeJson(const Settings &s, uint32_t ranks) {
    const uint64_t acc = accelerators(s, ranks);
    Workload w = *s.workload;
    w.samplesPerFile = s.samplesPerFile;
    w.recordBytes = s.recordBytes;
    w.batch = s.batch;
    const DataSize d = dataSize(w, s.hostMemory * s.hosts, acc);
    JsonObject out;
    out.add("client_host_memory_bytes", s.hostMemory)
        .add("client_hosts", uint64_t{s.hosts})
        .add("accelerators", acc)
        .add("files_for_memory", d.filesForMemory)
        .add("files_for_steps", d.filesForSteps)
        .add("required_files", d.files)
        .add("required_bytes", d.bytes)
        .add("suggested_subfolders", d.subfolders)
        .add("configured_files", s.files)
        .add("enough", s.files >= d.files);
    return out;
}

} // namespace

void Training::validate(const Host &host, const Config &config) {
    const Settings s = parseSettings(config);
    const uint32_t index = findTier(host, s.tier);
    const mlps_tier_spec spec = host.tierSpec(index);
    const uint32_t ranks = host.runInfo().world_size;
    if (s.mode == Mode::Run) {
        uint64_t first = 0, count = 0;
        rankBlock(s, ranks - 1, ranks, first, count);
        if (count < s.batch) {
            throw invalid("batch_size: a rank's block of " + std::to_string(count) +
                          " samples (of " + std::to_string(s.totalSamples()) + " over " +
                          std::to_string(ranks) + " ranks) is smaller than one batch of " +
                          std::to_string(s.batch) + ": nothing to read");
        }
    }
    if (s.mode != Mode::Datasize && spec.capacity_bytes != 0) {
        // Shared storage holds the whole dataset; a tier of each rank (generate) its block.
        const uint64_t need = s.mode == Mode::Datagen
                                  ? (s.files + ranks - 1) / ranks * s.fileBytes(1)
                                  : (s.generate ? s.files / ranks + 2 : 0) * s.fileBytes(1);
        if (need > spec.capacity_bytes) {
            throw invalid("num_files: " + std::to_string(need) +
                          " bytes of dataset per rank do not fit tier '" +
                          (spec.name != nullptr ? spec.name : "") + "' (capacity " +
                          std::to_string(spec.capacity_bytes) + " bytes)");
        }
    }
}

std::string Training::plan(const Host &host, const Config &config) {
    validate(host, config); // until the core calls the descriptor's validate in --dry-run
    const Settings s = parseSettings(config);
    const mlps_tier_spec spec = host.tierSpec(findTier(host, s.tier));
    const uint32_t ranks = host.runInfo().world_size;
    JsonObject out;
    out.add("tier", spec.name != nullptr ? spec.name : "")
        .add("mode", modeName(s.mode))
        .add("workload", s.workload->name)
        .add("accelerator", s.workload->accelerator)
        .add("files", s.files)
        .add("samples_per_file", s.samplesPerFile)
        .add("record_length_bytes", s.recordBytes)
        .add("file_bytes", s.fileBytes(1))
        .add("dataset_bytes", s.files * s.fileBytes(1))
        .add("batch_size", uint64_t{s.batch})
        .add("epochs", uint64_t{s.epochs})
        .add("steps_per_epoch_per_rank", s.totalSamples() / ranks / s.batch)
        .add("computation_time_s", double(s.computeNs) / 1e9)
        .add("au_threshold", s.au)
        .add("buffer_bytes_per_rank", uint64_t{s.readThreads} * s.queueDepth * s.transferSize)
        .add("datasize", dataSizeJson(s, ranks));
    return out.str();
}

Training::Training(const Host &host, const Config &config)
    : host_(host), settings_(parseSettings(config)) {
    const mlps_run_info run = host.runInfo();
    rank_ = run.rank;
    ranks_ = run.world_size;
    seed_ = run.seed;
    validate(host, config); // until the core calls the descriptor's validate before create
    tierIndex_ = findTier(host, settings_.tier);
    tier_ = host.tier(tierIndex_);
    const mlps_tier_info info = Host::tierInfo(tier_);
    alignment_ = std::max<uint64_t>(info.alignment, 1);
    if (settings_.transferSize % alignment_ != 0 || settings_.transferSize < kManifestBytes) {
        throw invalid("transfer_size: must be a multiple of tier '" + std::string(tier_.name) +
                      "''s alignment (" + std::to_string(alignment_) + ") and at least 4KiB");
    }
    m_.readLatency = host.registerHistogram("read.latency", "ns");
    m_.writeLatency = host.registerHistogram("write.latency", "ns");
    m_.readBytes = host.registerCounter("read.bytes", "bytes");
    m_.writeBytes = host.registerCounter("write.bytes", "bytes");
    m_.readOps = host.registerCounter("read.ops", "ops");
    m_.writeOps = host.registerCounter("write.ops", "ops");
    m_.errors = host.registerCounter("errors", "ops");
    m_.samples = host.registerCounter("samples", "samples");
    m_.ioWait = host.registerHistogram("step.io_wait", "ns");
    if (settings_.mode == Mode::Datasize) {
        return; // sizing only: no queue, no I/O
    }
    const std::vector<uint64_t> mine =
        settings_.mode == Mode::Datagen
            ? ownedFiles()
            : (settings_.generate ? blockFiles() : std::vector<uint64_t>{});
    const uint64_t need = mine.size() * settings_.fileBytes(alignment_);
    const uint64_t room = info.capacity_bytes - std::min(info.used_bytes, info.capacity_bytes);
    if (info.capacity_bytes != 0 && need > room) {
        throw invalid("num_files: rank " + std::to_string(rank_) + " would write " +
                      std::to_string(need) + " bytes; tier '" + tier_.name + "' has " +
                      std::to_string(room) + " free");
    }
    for (uint32_t t = 0; t < settings_.readThreads; ++t) {
        pumps_.push_back(std::make_unique<IoPump>(
            host, tierIndex_, tier_, settings_.queueDepth, settings_.transferSize));
        slotKeys_.emplace_back(pumps_.back()->depth());
        uint64_t state = seed_ ^ (uint64_t{rank_} << 40) ^ (uint64_t{t} << 20);
        for (uint32_t s = 0; s < pumps_.back()->depth(); ++s) {
            auto *words = reinterpret_cast<uint64_t *>(pumps_.back()->buffer(s));
            for (uint64_t i = 0; i < settings_.transferSize / 8; ++i) {
                words[i] = splitmix(state);
            }
        }
    }
    if (settings_.mode == Mode::Run && !settings_.generate) {
        manifest(false); // the dataset must be there, and be this one: refuse before timing
    }
}

Training::~Training() {
    if (settings_.mode == Mode::Run && settings_.generate) {
        deleteFiles(generated_);
    } else if (settings_.mode == Mode::Run && settings_.deleteDataset) {
        deleteFiles(ownedFiles());
    } else if (settings_.mode == Mode::Datagen && !generated_.empty() && rank_ == 0) {
        host_.log(MLPS_LOG_INFO,
                  "training: the dataset stays under '%s' in tier '%s' for mode: run",
                  settings_.folder.c_str(),
                  tier_.name);
    }
}

std::vector<uint64_t> Training::ownedFiles() const {
    std::vector<uint64_t> files;
    for (uint64_t i = rank_; i < settings_.files; i += ranks_) {
        files.push_back(i);
    }
    return files;
}

std::vector<uint64_t> Training::blockFiles() const {
    uint64_t first = 0, count = 0;
    rankBlock(settings_, rank_, ranks_, first, count);
    std::vector<uint64_t> files;
    if (count == 0) {
        return files;
    }
    for (uint64_t f = first / settings_.samplesPerFile;
         f <= (first + count - 1) / settings_.samplesPerFile;
         ++f) {
        files.push_back(f);
    }
    return files;
}

std::string Training::manifestText() const {
    return "mlps dataset 1\nworkload " + std::string(settings_.workload->name) + "\nfiles " +
           std::to_string(settings_.files) + "\nfile_bytes " +
           std::to_string(settings_.fileBytes(alignment_)) + "\n";
}

void Training::manifest(bool write) {
    IoPump &pump = *pumps_[0];
    std::string &key = slotKeys_[0][0];
    key = settings_.folder + "/dataset.manifest";
    const std::string text = manifestText();
    bool issued = false;
    mlps_status status = MLPS_OK;
    std::string found;
    pump.run(
        [&](uint32_t slot, mlps_io &io) {
            if (issued) {
                return false;
            }
            issued = true;
            unsigned char *buf = pump.buffer(slot);
            if (write) {
                std::memset(buf, '\n', kManifestBytes);
                // A newline-padded record, not a C string: copy_n says so (memcpy reads as one).
                std::copy_n(text.data(), std::min<size_t>(text.size(), kManifestBytes), buf);
            }
            io = mlps_io{write ? uint32_t{MLPS_IO_WRITE} : uint32_t{MLPS_IO_READ},
                         0,
                         key.data(),
                         static_cast<uint32_t>(key.size()),
                         0,
                         buf,
                         0,
                         kManifestBytes,
                         write ? kManifestBytes : 0,
                         0};
            return true;
        },
        [&](const IoPump::Done &d) {
            status = d.completion.status;
            if (d.ok() && !write) {
                const auto *buf = static_cast<const char *>(d.io.buf);
                found.assign(buf, strnlen(buf, kManifestBytes));
            }
        });
    if (write) {
        if (status != MLPS_OK) {
            throw Error("training: writing the dataset manifest '" + key +
                            "' failed: " + ioStatusName(status),
                        MLPS_E_IO);
        }
        return;
    }
    if (status != MLPS_OK) {
        throw invalid("mode: run finds no dataset under '" + settings_.folder + "' in tier '" +
                      tier_.name + "' (" + ioStatusName(status) +
                      "): run mode: datagen first on a tier whose data outlives a run "
                      "(posix-nvme persistent_folder), or set generate: true");
    }
    if (found.compare(0, text.size(), text) != 0) {
        std::replace(found.begin(), found.end(), '\n', ' ');
        std::string want = text;
        std::replace(want.begin(), want.end(), '\n', ' ');
        throw invalid("num_files: the dataset under '" + settings_.folder +
                      "' is not this workload's (found: " + found.substr(0, 200) +
                      "; expected: " + want + "): run datagen with the same options");
    }
}

void Training::onDone(const IoPump::Done &d, bool write, bool record, Tally &tally) {
    if (!d.ok()) {
        ++tally.errors;
        if (logged_.fetch_add(1, std::memory_order_relaxed) < kMaxLogged) {
            host_.log(MLPS_LOG_WARN,
                      "training: %s of '%.*s' at offset %llu failed: %s (errno %d)",
                      ioOpName(d.io.opcode),
                      static_cast<int>(d.io.key_len),
                      d.io.key,
                      static_cast<unsigned long long>(d.io.offset),
                      ioStatusName(d.completion.status),
                      d.completion.sys_errno);
        }
        return;
    }
    tally.bytes += d.completion.bytes;
    ++tally.ops;
    if (record) {
        host_.record(write ? m_.writeLatency : m_.readLatency, d.latencyNs);
    }
}

uint64_t Training::writeFiles(const std::vector<uint64_t> &files, bool record) {
    std::atomic<size_t> next{0};
    const uint64_t fileBytes = settings_.fileBytes(alignment_);
    onThreads(static_cast<uint32_t>(pumps_.size()), [&](uint32_t t) {
        IoPump &pump = *pumps_[t];
        auto &keys = slotKeys_[t];
        Tally tally;
        size_t file = SIZE_MAX;
        std::string key;
        uint64_t offset = fileBytes;
        pump.run(
            [&](uint32_t slot, mlps_io &io) {
                if (offset >= fileBytes) {
                    file = next.fetch_add(1);
                    if (file >= files.size() || host_.shouldStop()) {
                        return false;
                    }
                    key = fileKey(settings_, files[file]);
                    offset = 0;
                }
                keys[slot] = key;
                const uint64_t length = std::min(settings_.transferSize, fileBytes - offset);
                io = mlps_io{MLPS_IO_WRITE,
                             0,
                             keys[slot].data(),
                             static_cast<uint32_t>(keys[slot].size()),
                             0,
                             pump.buffer(slot),
                             offset,
                             length,
                             fileBytes,
                             0};
                offset += length;
                return true;
            },
            [&](const IoPump::Done &d) { onDone(d, true, record, tally); },
            [&] { return host_.shouldStop(); },
            [] {});
        if (record) {
            host_.record(m_.writeBytes, tally.bytes);
            host_.record(m_.writeOps, tally.ops);
        }
        if (tally.errors != 0) {
            host_.record(m_.errors, tally.errors);
        }
    });
    generated_.insert(
        generated_.end(), files.begin(), files.begin() + std::min(next.load(), files.size()));
    return std::min(next.load(), files.size());
}

void Training::readBatch(uint32_t t, const std::vector<uint64_t> &samples, Tally &tally) {
    IoPump &pump = *pumps_[t];
    auto &keys = slotKeys_[t];
    const uint64_t stride = settings_.stride(alignment_);
    size_t i = 0;
    uint64_t offset = 0;
    pump.run(
        [&](uint32_t slot, mlps_io &io) {
            if (offset >= stride) {
                ++i;
                offset = 0;
            }
            if (i >= samples.size()) {
                return false;
            }
            const uint64_t sample = samples[i];
            keys[slot] = fileKey(settings_, sample / settings_.samplesPerFile);
            const uint64_t length = std::min(settings_.transferSize, stride - offset);
            io = mlps_io{MLPS_IO_READ,
                         0,
                         keys[slot].data(),
                         static_cast<uint32_t>(keys[slot].size()),
                         0,
                         pump.buffer(slot),
                         (sample % settings_.samplesPerFile) * stride + offset,
                         length,
                         0,
                         0};
            offset += length;
            return true;
        },
        [&](const IoPump::Done &d) { onDone(d, false, true, tally); },
        [&] { return host_.shouldStop(); },
        [] {});
}

EpochResult Training::epoch(uint32_t index) {
    uint64_t first = 0, count = 0;
    rankBlock(settings_, rank_, ranks_, first, count);
    // DLIO shuffles each rank's block per epoch with seed + epoch.
    std::vector<uint64_t> order(count);
    for (uint64_t i = 0; i < count; ++i) {
        order[i] = first + i;
    }
    uint64_t state = seed_ + index;
    for (uint64_t i = count; i > 1; --i) {
        std::swap(order[i - 1], order[splitmix(state) % i]);
    }
    const uint64_t steps = count / settings_.batch;
    stepsPerEpoch_ = steps;
    // Reader threads claim batches in order, at most `window` ahead of the accelerator (DLIO's
    // prefetch); the accelerator takes them in order and "computes" (sleeps) on each.
    std::mutex mu;
    std::condition_variable cv;
    uint64_t nextBatch = 0, consumed = 0;
    std::vector<uint8_t> ready(steps, 0);
    uint64_t firstReadyNs = 0;
    bool stop = false;
    const uint64_t window =
        uint64_t{settings_.readThreads} * std::max<uint32_t>(settings_.prefetch, 1);
    std::vector<Tally> tallies(pumps_.size());
    std::thread accelerator;
    uint64_t computeNs = 0, endNs = 0;
    auto accelerate = [&] {
        for (uint64_t b = 0; b < steps; ++b) {
            const uint64_t waitStart = host_.nowNs();
            {
                std::unique_lock lock(mu);
                while (ready[b] == 0 && !stop) {
                    cv.wait_for(lock, std::chrono::milliseconds(100));
                    if (host_.shouldStop()) {
                        stop = true;
                    }
                }
                if (stop) {
                    cv.notify_all();
                    break;
                }
            }
            const uint64_t computeStart = host_.nowNs();
            if (b == 0) {
                firstReadyNs = computeStart; // the first step's I/O is not in AU (DLIO)
            } else {
                host_.record(m_.ioWait, computeStart - waitStart);
            }
            if (settings_.computeNs != 0) {
                std::this_thread::sleep_for(std::chrono::nanoseconds(settings_.computeNs));
            }
            computeNs += host_.nowNs() - computeStart;
            std::lock_guard lock(mu);
            consumed = b + 1;
            cv.notify_all();
        }
        endNs = host_.nowNs();
        std::lock_guard lock(mu);
        stop = true;
        cv.notify_all();
    };
    accelerator = std::thread([&] {
        try {
            accelerate();
        } catch (...) {
            std::lock_guard lock(mu);
            stop = true;
            cv.notify_all();
        }
    });
    try {
        onThreads(static_cast<uint32_t>(pumps_.size()), [&](uint32_t t) {
            std::vector<uint64_t> batch(settings_.batch);
            try {
                for (;;) {
                    uint64_t b = 0;
                    {
                        std::unique_lock lock(mu);
                        cv.wait(lock, [&] {
                            return stop || nextBatch >= steps || nextBatch < consumed + window;
                        });
                        if (stop || nextBatch >= steps) {
                            return;
                        }
                        b = nextBatch++;
                    }
                    std::copy(order.begin() + b * settings_.batch,
                              order.begin() + (b + 1) * settings_.batch,
                              batch.begin());
                    readBatch(t, batch, tallies[t]);
                    std::lock_guard lock(mu);
                    ready[b] = 1;
                    cv.notify_all();
                }
            } catch (...) {
                // The batch this thread claimed will never be ready: stop the accelerator
                // rather than leave it waiting for it.
                std::lock_guard lock(mu);
                stop = true;
                cv.notify_all();
                throw;
            }
        });
    } catch (...) {
        {
            std::lock_guard lock(mu);
            stop = true;
            cv.notify_all();
        }
        accelerator.join();
        throw;
    }
    accelerator.join();
    Tally sum;
    for (const Tally &t : tallies) {
        sum.bytes += t.bytes;
        sum.ops += t.ops;
        sum.errors += t.errors;
    }
    host_.record(m_.readBytes, sum.bytes);
    host_.record(m_.readOps, sum.ops);
    if (sum.errors != 0) {
        host_.record(m_.errors, sum.errors);
    }
    const uint64_t samples = consumed * settings_.batch;
    host_.record(m_.samples, samples);
    const uint64_t wall = firstReadyNs != 0 && endNs > firstReadyNs ? endNs - firstReadyNs : 0;
    const double au = wall != 0 ? std::min(1.0, double(computeNs) / double(wall)) : 0.0;
    // DLIO's AU of an epoch is the mean over ranks; throughput is all ranks' samples over the
    // slowest rank's time.
    uint64_t sums[2] = {static_cast<uint64_t>(std::llround(au * 1e6)), samples};
    uint64_t slowest = wall;
    host_.allreduce(sums, 2, MLPS_REDUCE_SUM);
    host_.allreduce(&slowest, 1, MLPS_REDUCE_MAX);
    EpochResult r;
    r.rankAuPercent = au * 100.0;
    r.auPercent = double(sums[0]) / 1e4 / ranks_;
    r.samples = sums[1];
    r.wallNs = slowest;
    return r;
}

void Training::prepare() {
    if (settings_.mode == Mode::Run && settings_.generate) {
        writeFiles(blockFiles(), false);
    }
}

void Training::run(mlps_phase phase) {
    if (phase != MLPS_PHASE_TIMED || settings_.mode == Mode::Datasize) {
        return;
    }
    if (settings_.mode == Mode::Datagen) {
        const std::vector<uint64_t> files = ownedFiles();
        uint64_t done = writeFiles(files, true);
        host_.allreduce(&done, 1, MLPS_REDUCE_SUM);
        writtenFiles_ = done;
        host_.barrier();
        if (rank_ == 0 && done == settings_.files) {
            manifest(true); // marks a complete dataset for mode: run
        }
        return;
    }
    for (uint32_t e = 0; e < settings_.epochs && !host_.shouldStop(); ++e) {
        EpochResult result = epoch(e);
        // An epoch the stop cut short read only part of its samples: its AU is not the rules'.
        result.complete = !host_.shouldStop();
        epochs_.push_back(result);
        host_.progress(e + 1, settings_.epochs, "epochs");
    }
}

void Training::deleteFiles(const std::vector<uint64_t> &files) noexcept {
    if (pumps_.empty()) {
        return;
    }
    try {
        IoPump &pump = *pumps_[0];
        auto &keys = slotKeys_[0];
        size_t next = 0;
        pump.run(
            [&](uint32_t slot, mlps_io &io) {
                if (next == files.size()) {
                    return false;
                }
                keys[slot] = fileKey(settings_, files[next++]);
                io = mlps_io{MLPS_IO_DELETE,
                             0,
                             keys[slot].data(),
                             static_cast<uint32_t>(keys[slot].size()),
                             0,
                             nullptr,
                             0,
                             0,
                             0,
                             0};
                return true;
            },
            [](const IoPump::Done &) {});
        if (settings_.deleteDataset && rank_ == 0) {
            keys[0] = settings_.folder + "/dataset.manifest";
            mlps_io del{};
            del.opcode = MLPS_IO_DELETE;
            del.key = keys[0].data();
            del.key_len = static_cast<uint32_t>(keys[0].size());
            pump.runAll({del}, [](const IoPump::Done &) {});
        }
    } catch (const std::exception &e) {
        host_.log(MLPS_LOG_WARN, "training: deleting the dataset failed: %s", e.what());
    }
}

std::string Training::report() {
    JsonObject out;
    out.add("tier", tier_.name != nullptr ? tier_.name : "")
        .add("mode", modeName(settings_.mode))
        .add("workload", settings_.workload->name)
        .add("accelerator", settings_.workload->accelerator)
        .add("format", settings_.workload->format)
        .add("ranks", uint64_t{ranks_})
        .add("files", settings_.files)
        .add("samples_per_file", settings_.samplesPerFile)
        .add("record_length_bytes", settings_.recordBytes)
        .add("file_bytes", settings_.fileBytes(alignment_))
        .add("dataset_bytes", settings_.files * settings_.fileBytes(alignment_))
        .add("batch_size", uint64_t{settings_.batch})
        .add("read_threads", uint64_t{settings_.readThreads})
        .add("computation_time_s", double(settings_.computeNs) / 1e9)
        .add("datasize", dataSizeJson(settings_, ranks_));
    JsonArray headline;
    if (settings_.mode == Mode::Datagen) {
        out.add("files_written", writtenFiles_);
        headline.add(std::string("datagen: ") + std::to_string(writtenFiles_) + " of " +
                     std::to_string(settings_.files) + " files written");
    } else if (settings_.mode == Mode::Datasize) {
        const std::string need = std::to_string(dataSize(*settings_.workload,
                                                         settings_.hostMemory * settings_.hosts,
                                                         accelerators(settings_, ranks_))
                                                    .files);
        headline.add("datasize: the rules require " + need + " files");
    }
    if (settings_.mode == Mode::Run) {
        std::vector<double> aus;
        JsonArray perEpoch, throughput;
        double rankSum = 0, samplesPerS = 0;
        uint64_t cutShort = 0;
        for (const EpochResult &e : epochs_) {
            if (!e.complete) {
                ++cutShort;
                continue;
            }
            aus.push_back(e.auPercent);
            perEpoch.add(e.auPercent);
            rankSum += e.rankAuPercent;
            const double sps = e.wallNs != 0 ? double(e.samples) / (double(e.wallNs) / 1e9) : 0;
            throughput.add(sps);
            samplesPerS += sps;
        }
        const size_t n = aus.size();
        double mean = 0, stdev = 0;
        for (const double a : aus) {
            mean += a / double(n);
        }
        for (const double a : aus) {
            stdev += n > 1 ? (a - mean) * (a - mean) / double(n - 1) : 0;
        }
        stdev = std::sqrt(stdev);
        samplesPerS = n != 0 ? samplesPerS / double(n) : 0;
        const bool pass = n != 0 && mean >= settings_.au * 100.0;
        // No epoch completed (stopped during the first): there is no AU to judge.
        const char *verdict = n == 0 ? "not evaluated" : pass ? "PASS" : "FAIL";
        JsonObject au;
        au.add("per_epoch_percent", perEpoch)
            .add("mean_percent", mean)
            .add("stdev_percent", stdev)
            .add("this_rank_mean_percent", n != 0 ? rankSum / double(n) : 0.0)
            .add("threshold_percent", settings_.au * 100.0)
            .add("verdict", verdict);
        out.add("epochs", uint64_t{n})
            .add("epochs_cut_short", cutShort)
            .add("steps_per_epoch", stepsPerEpoch_)
            .add("au", au)
            .add("samples_per_s", throughput)
            .add("samples_per_s_mean", samplesPerS)
            .add("mib_per_s_mean", samplesPerS * double(settings_.recordBytes) / kMiB);
        char line[200];
        std::snprintf(line,
                      sizeof line,
                      "AU %.1f%% (threshold %.0f%%): %s; %.1f samples/s, %.1f MiB/s over %zu "
                      "epoch(s)",
                      mean,
                      settings_.au * 100.0,
                      verdict,
                      samplesPerS,
                      samplesPerS * double(settings_.recordBytes) / kMiB,
                      n);
        headline.add(std::string(line));
    }
    const mlps_metric_summary l = host_.read(m_.readLatency);
    JsonObject lat;
    lat.add("mean", l.mean).add("p50", l.p50).add("p99", l.p99).add("max", l.max);
    out.add("read",
            JsonObject()
                .add("bytes", host_.read(m_.readBytes).sum)
                .add("ops", host_.read(m_.readOps).sum)
                .add("latency_ns", lat))
        .add("write",
             JsonObject()
                 .add("bytes", host_.read(m_.writeBytes).sum)
                 .add("ops", host_.read(m_.writeOps).sum))
        .add("errors", host_.read(m_.errors).sum)
        .add("headline", headline);
    return out.str();
}

} // namespace mlps::training
