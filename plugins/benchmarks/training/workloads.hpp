// The training workloads of MLPerf Storage (reference/mlpstorage.md §4.1) and the dataset size
// the rules require (§4.2, mlpstorage's calculate_training_data_size). Host-free, so the unit
// tests check it against the reference's published examples.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mlps::training {

struct Workload {
    const char *name;
    const char *accelerator;
    const char *format; // npz, tfrecord, jpeg, parquet: how DLIO stores a sample
    uint64_t samplesPerFile;
    uint64_t recordBytes; // one sample (parquet: the sum of its columns)
    uint64_t files;       // the DLIO workload's default num_files_train
    uint32_t batch;
    uint32_t readThreads;
    double computeSeconds; // computation_time per batch
    uint32_t epochs;
    double au; // the AU threshold (fraction)
};

// nullptr when the (workload, accelerator) pair has no DLIO config.
const Workload *findWorkload(std::string_view name, std::string_view accelerator) noexcept;
bool knownWorkloadName(std::string_view name) noexcept;
// "unet3d: a100 h100; resnet50: ..." for messages.
std::string workloadPairs();

struct DataSize {
    uint64_t filesForMemory; // 5 x host memory / file size
    uint64_t filesForSteps;  // 500 steps of every accelerator
    uint64_t files;          // the larger one: what the rules require
    uint64_t bytes;          // files x file size
    uint64_t subfolders;     // DLIO's hint above 10,000 files (0: none needed)
};

// `totalMemoryBytes` = client host memory x client hosts.
DataSize dataSize(const Workload &w, uint64_t totalMemoryBytes, uint64_t accelerators);

} // namespace mlps::training
