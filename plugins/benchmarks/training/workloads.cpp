#include "workloads.hpp"

#include <algorithm>

namespace mlps::training {

namespace {

// reference/mlpstorage.md §4.1 (configs/dlio/workload/<model>_<accelerator>.yaml).
constexpr Workload kWorkloads[] = {
    {"unet3d", "a100", "npz", 1, 146600628, 168, 7, 4, 0.636, 5, 0.90},
    {"unet3d", "h100", "npz", 1, 146600628, 168, 7, 4, 0.323, 5, 0.90},
    {"resnet50", "a100", "tfrecord", 1251, 114660, 1024, 400, 8, 0.435, 5, 0.90},
    {"resnet50", "h100", "tfrecord", 1251, 114660, 1024, 400, 8, 0.224, 5, 0.90},
    {"cosmoflow", "a100", "tfrecord", 1, 2828486, 524288, 1, 4, 0.00551, 5, 0.70},
    {"cosmoflow", "h100", "tfrecord", 1, 2828486, 524288, 1, 4, 0.00350, 5, 0.70},
    {"retinanet", "b200", "jpeg", 1, 322957, 1170301, 24, 8, 0.04755, 8, 0.85},
    {"retinanet", "mi355", "jpeg", 1, 322957, 1170301, 36, 8, 0.071325, 8, 0.85},
    {"flux", "a100", "jpeg", 1, 307200, 1099776, 8, 8, 1.100, 5, 0.80},
    {"flux", "h100", "jpeg", 1, 307200, 1099776, 8, 8, 0.850, 5, 0.80},
    {"flux", "b200", "parquet", 288, 2164832, 4296, 48, 8, 1.35, 1, 0.90},
    {"flux", "mi355", "parquet", 288, 2164832, 4296, 72, 8, 2.025, 1, 0.90},
    {"dlrm", "b200", "parquet", 4718592, 761, 1024, 12288, 4, 0.000375, 1, 0.70},
    {"dlrm", "mi355", "parquet", 4718592, 761, 1024, 18432, 4, 0.0005625, 1, 0.70},
};

} // namespace

const Workload *findWorkload(std::string_view name, std::string_view accelerator) noexcept {
    for (const Workload &w : kWorkloads) {
        if (name == w.name && accelerator == w.accelerator) {
            return &w;
        }
    }
    return nullptr;
}

bool knownWorkloadName(std::string_view name) noexcept {
    return std::any_of(std::begin(kWorkloads), std::end(kWorkloads), [&](const Workload &w) {
        return name == w.name;
    });
}

std::string workloadPairs() {
    std::string out;
    std::string_view last;
    for (const Workload &w : kWorkloads) {
        if (last != w.name) {
            out += (out.empty() ? "" : "; ") + std::string(w.name) + ":";
            last = w.name;
        }
        out += " " + std::string(w.accelerator);
    }
    return out;
}

DataSize dataSize(const Workload &w, uint64_t totalMemoryBytes, uint64_t accelerators) {
    const uint64_t fileBytes = w.samplesPerFile * w.recordBytes;
    DataSize d{};
    d.filesForMemory = 5 * totalMemoryBytes / fileBytes;
    d.filesForSteps = 500 * accelerators * w.batch / w.samplesPerFile;
    d.files = std::max(d.filesForMemory, d.filesForSteps);
    d.bytes = d.files * fileBytes;
    d.subfolders = d.files > 10000 ? d.files / 10000 : 0;
    return d;
}

} // namespace mlps::training
