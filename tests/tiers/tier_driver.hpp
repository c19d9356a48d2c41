// Driving a tier plugin through its C tables: create/destroy, queues, one-op round trips and
// the ops a test builds. Failures are doctest assertions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mlps/plugin.h>

#include "fake_host.hpp"

namespace mlps::test {

// Keys are views: a literal or a string that outlives the op (the tier reads the key bytes
// until the completion is polled).
mlps_io writeOp(std::string_view key,
                const void *buf,
                uint64_t offset,
                uint64_t length,
                uint64_t objectSize = 0,
                uint64_t userData = 0);
mlps_io
readOp(std::string_view key, void *buf, uint64_t offset, uint64_t length, uint64_t userData = 0);
mlps_io deleteOp(std::string_view key, uint64_t userData = 0);
mlps_io syncOp(const std::string *key, uint64_t userData = 0); // nullptr: the whole tier

// Deterministic test bytes for (key tag, offset), so any range can be checked.
std::vector<unsigned char> pattern(uint64_t tag, uint64_t offset, uint64_t length);

class TierQueueDriver {
  public:
    TierQueueDriver(const mlps_tier_ops *ops, void *tier, void *queue)
        : ops_(ops), tier_(tier), queue_(queue) {}
    TierQueueDriver(const TierQueueDriver &) = delete;
    TierQueueDriver &operator=(const TierQueueDriver &) = delete;
    ~TierQueueDriver() { ops_->close_queue(tier_, queue_); }

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) {
        return ops_->submit(queue_, ios, n, accepted);
    }
    std::vector<mlps_completion> poll(uint32_t minDone, uint32_t maxDone, uint64_t timeoutNs);
    // Submits one op (asserting it is accepted) and waits for its completion.
    mlps_completion run(const mlps_io &io);

  private:
    const mlps_tier_ops *ops_;
    void *tier_;
    void *queue_;
};

class TierDriver {
  public:
    // Creates an instance; on failure self() is null and error() says why.
    TierDriver(const mlps_plugin_descriptor *descriptor, FakeHost &host, const mlps_config *config);
    TierDriver(const TierDriver &) = delete;
    TierDriver &operator=(const TierDriver &) = delete;
    ~TierDriver() { destroy(); }

    bool created() const { return self_ != nullptr; }
    mlps_status status() const { return status_; }
    const mlps_error &error() const { return error_; }
    void *self() const { return self_; }
    const mlps_tier_ops *ops() const { return ops_; }

    mlps_tier_info info() const;
    std::unique_ptr<TierQueueDriver> openQueue(uint32_t depth);
    void destroy();

  private:
    const mlps_plugin_descriptor *descriptor_;
    const mlps_tier_ops *ops_;
    void *self_ = nullptr;
    mlps_status status_ = MLPS_OK;
    mlps_error error_{};
};

} // namespace mlps::test
