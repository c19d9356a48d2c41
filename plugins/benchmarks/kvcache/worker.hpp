// One kvcache worker thread: takes planned requests from the engine and executes their steps,
// streaming each entry in chunk_size pieces with up to queue_depth chunks in flight on its own
// queue of each tier. Owns 2 x queue_depth chunk buffers: memory does not grow with entry size.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/plugin.hpp>

#include "engine.hpp"

namespace mlps::kvcache {

class Worker {
  public:
    Worker(Engine &engine, uint32_t id);

    // Runs the current pass on the calling thread until the engine has no more jobs.
    void run();
    // Deletes the objects of these placements (between passes and at teardown); never throws.
    void deleteObjects(const std::vector<PlacementPtr> &placements) noexcept;

  private:
    enum class Mode { Read, Write, Move };
    enum class Outcome { Done, Failed, Abandoned };
    struct Slot {
        uint64_t offset = 0;
        uint64_t length = 0;
        uint64_t submitNs = 0;
    };
    struct Tally { // one step's counts, recorded once per step
        uint64_t bytes[2] = {0, 0};
        uint64_t ops[2] = {0, 0};
    };

    void execute(Job &job);
    bool runStep(const Step &step); // false: the step was abandoned
    void abandon(const Step &step);
    Outcome stream(Mode mode, Placement *src, Placement *dst, int readClass, int writeClass);
    void enqueue(uint32_t tier, const mlps_io &io);
    bool flush(uint32_t tier);
    void drainOne(uint32_t tier, uint32_t minDone, uint64_t timeoutNs);
    bool deleteObject(Placement &p) noexcept;
    void recordRequest(const Job &job, uint64_t ioStartNs, uint64_t ioDoneNs);
    void problem(const char *what, const Placement &p, const mlps_completion &c);

    Engine &engine_;
    const Settings &settings_;
    const Host &host_;
    const uint32_t id_;
    std::vector<TierQueue> queues_;
    std::vector<HostBuffer> writeBuffers_; // primed with the base pattern; only stamped
    std::vector<HostBuffer> moveBuffers_;  // reads and moves land here
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;
    std::vector<uint32_t> inFlight_;            // per tier
    std::vector<std::vector<mlps_io>> pending_; // per tier: waiting for queue room
    std::vector<mlps_completion> completions_;
    Job job_;
    uint64_t lastProgressNs_ = 0;

    // Current stream.
    Mode mode_ = Mode::Read;
    Placement *src_ = nullptr;
    Placement *dst_ = nullptr;
    int readClass_ = 0;
    int writeClass_ = 0;
    bool streamOk_ = true;
    Tally tally_;
    uint64_t errors_ = 0;
    uint64_t checked_ = 0;
    uint64_t mismatched_ = 0;
};

} // namespace mlps::kvcache
