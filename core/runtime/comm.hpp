// The ranks of a run. Without MPI (or when not launched by mpiexec) the world is one rank and
// every collective is a no-op; the MPI implementation arrives with distributed runs.
#pragma once

#include <cstdint>
#include <memory>

namespace mlps::core {

class Comm {
  public:
    virtual ~Comm() = default;
    virtual uint32_t rank() const = 0;
    virtual uint32_t size() const = 0;
    virtual uint32_t localRank() const = 0;
    virtual void barrier() = 0;
    // op: MLPS_REDUCE_SUM / MIN / MAX.
    virtual void allreduceU64(uint64_t *values, uint32_t n, int op) = 0;

    static std::unique_ptr<Comm> createWorld();
};

} // namespace mlps::core
