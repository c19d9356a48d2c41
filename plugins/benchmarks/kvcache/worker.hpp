// One kvcache worker thread: takes planned requests from the engine and executes their steps,
// streaming each entry in chunk_size pieces with up to queue_depth chunks in flight on its own
// queue of each tier. Owns 2 x queue_depth chunk buffers: memory does not grow with entry size.
// Each tier queue is an mlps::IoLane (the SDK's submit/BUSY/poll/latency layer); the worker
// keeps the chunk slots and buffers itself because a move's chunk crosses two lanes: READ on
// the source tier's, then WRITE of the same buffer under the same slot id on the destination's.
#pragma once

#include <cstdint>
#include <vector>

#include <mlps/io_lane.hpp>
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
    struct Slot { // one chunk in flight; its id is its index in slots_ and in each buffer set
        uint64_t offset = 0;
        uint64_t length = 0;
    };
    struct Tally { // one step's counts, recorded once per step
        uint64_t bytes[2] = {0, 0};
        uint64_t ops[2] = {0, 0};
    };

    void execute(Job &job);
    bool runStep(const Step &step); // false: the step was abandoned
    void abandon(const Step &step);
    Outcome stream(Mode mode, Placement *src, Placement *dst, int readClass, int writeClass);
    void enqueue(uint32_t tier, uint32_t slot, const mlps_io &io);
    void drain(uint32_t tier, uint32_t minDone, uint64_t timeoutNs);
    void complete(uint32_t tier, const IoLane::Done &done);
    bool deleteObject(Placement &p) noexcept;
    void recordRequest(const Job &job, uint64_t ioStartNs, uint64_t ioDoneNs);
    void problem(const char *what, const Placement &p, const mlps_completion &c);

    Engine &engine_;
    const Settings &settings_;
    const Host &host_;
    const uint32_t id_;
    std::vector<IoLane> lanes_;            // per tier; op ids are slot ids, and deleteId_
    std::vector<HostBuffer> writeBuffers_; // primed with the base pattern; only stamped
    std::vector<HostBuffer> moveBuffers_;  // reads and moves land here
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;
    uint32_t deleteId_ = 0; // the one id past the slots: a delete's, never a chunk's
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
