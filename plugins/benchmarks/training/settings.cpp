#include "settings.hpp"

#include <fstream>
#include <sstream>

namespace mlps::training {

namespace {

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

// MemTotal of /proc/meminfo: the default client host memory (the rules' sizing input).
uint64_t hostMemoryBytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit) {
        if (key == "MemTotal:") {
            return kib * 1024;
        }
    }
    return 0;
}

} // namespace

const char *modeName(Mode m) {
    return m == Mode::Datagen ? "datagen" : m == Mode::Datasize ? "datasize" : "run";
}

Settings parseSettings(const Config &c) {
    Settings s;
    s.tier = c.isSet("tier") ? c.getString("tier") : "";
    const std::string mode = c.getString("mode");
    s.mode = mode == "datagen" ? Mode::Datagen : mode == "datasize" ? Mode::Datasize : Mode::Run;
    const std::string name = c.getString("workload");
    const std::string accelerator = c.getString("accelerator");
    if (!knownWorkloadName(name)) {
        throw invalid("workload: unknown workload '" + name + "'; known: " + workloadPairs());
    }
    s.workload = findWorkload(name, accelerator);
    if (s.workload == nullptr) {
        throw invalid("accelerator: workload '" + name + "' has no configuration for '" +
                      accelerator + "' (" + workloadPairs() + ")");
    }
    const Workload &w = *s.workload;
    auto intOr = [&](const char *key, uint64_t fallback) {
        const int64_t v = c.getInt(key);
        return v > 0 ? static_cast<uint64_t>(v) : fallback;
    };
    s.files = intOr("num_files", w.files);
    s.samplesPerFile = intOr("samples_per_file", w.samplesPerFile);
    s.recordBytes = c.getSize("record_length") != 0 ? c.getSize("record_length") : w.recordBytes;
    s.batch = static_cast<uint32_t>(intOr("batch_size", w.batch));
    s.readThreads = static_cast<uint32_t>(intOr("read_threads", w.readThreads));
    s.computeNs = c.isSet("computation_time") ? c.getDurationNs("computation_time")
                                              : static_cast<uint64_t>(w.computeSeconds * 1e9);
    s.epochs = static_cast<uint32_t>(intOr("epochs", w.epochs));
    s.au = c.isSet("au_threshold") ? c.getFloat("au_threshold") : w.au;
    s.transferSize = c.getSize("transfer_size");
    s.queueDepth = static_cast<uint32_t>(c.getInt("queue_depth"));
    s.prefetch = static_cast<uint32_t>(c.getInt("prefetch"));
    s.folder = c.getString("folder");
    if (s.folder.empty() || s.folder.size() > 40) {
        throw invalid("folder: must be 1 to 40 characters (it prefixes every key)");
    }
    s.generate = c.getBool("generate");
    s.deleteDataset = c.getBool("delete_dataset");
    s.hostMemory =
        c.isSet("client_host_memory") ? c.getSize("client_host_memory") : hostMemoryBytes();
    s.hosts = static_cast<uint32_t>(c.getInt("client_hosts"));
    s.accelerators = static_cast<uint32_t>(c.getInt("accelerators"));
    if (s.generate && s.mode != Mode::Run) {
        throw invalid("generate: only with mode: run (datagen always writes)");
    }
    return s;
}

uint32_t findTier(const Host &host, const std::string &name) {
    const uint32_t n = host.tierCount();
    if (n == 0) {
        throw invalid("tier: the spec has no tiers; training needs one to read from");
    }
    if (name.empty()) {
        return 0;
    }
    for (uint32_t i = 0; i < n; ++i) {
        const mlps_tier_spec spec = host.tierSpec(i);
        if (spec.name != nullptr && name == spec.name) {
            return i;
        }
    }
    throw invalid("tier: no tier named '" + name + "' in the spec");
}

void rankBlock(const Settings &s, uint32_t rank, uint32_t ranks, uint64_t &first, uint64_t &count) {
    const uint64_t total = s.totalSamples();
    const uint64_t per = (total + ranks - 1) / ranks; // DLIO: contiguous blocks of ceil(T/P)
    first = std::min(total, per * rank);
    count = std::min(total, first + per) - first;
}

std::string fileKey(const Settings &s, uint64_t index) {
    const std::string n = std::to_string(s.files);
    std::string i = std::to_string(index);
    i.insert(0, n.size() - std::min(n.size(), i.size()), '0');
    return s.folder + "/img_" + i + "_of_" + n + "." + s.workload->format;
}

} // namespace mlps::training
