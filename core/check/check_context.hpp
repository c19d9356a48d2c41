// What a check sees inside its child process: the plugin, tier instances created the way the
// runner would create them (options resolved against the schema, scratch folder, capacity),
// and queues that hold the tier to the contract on every call (see TierQueue). A check ends at
// its first broken expectation: fail() throws CheckFailure, which the check's child reports.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/yaml.h>

#include <mlps/plugin.h>

#include "plugin/plugin_loader.hpp"
#include "spec/option_resolver.hpp"

namespace mlps::core::check {

struct CheckFailure {
    std::string expected;
    std::string happened;
};

// What every check of one run shares; built by the parent before any fork.
struct CheckSetup {
    const LoadedPlugin *plugin = nullptr;
    YAML::Node options;                      // the --set values, as a spec's options map
    std::vector<std::string> scratchOptions; // PATH options pointed at the check's scratch folder
    uint64_t capacity = 0;   // capacity of tiers whose check needs none in particular
    uint64_t deadlineNs = 0; // a whole check
    uint64_t promptNs = 0;   // a call that must return at once
};

// Resolves the options of one tier instance exactly as the runner does (schema, defaults,
// common keys). Throws ConfigError (from the option resolver) on a bad --set value.
ResolvedOptions
resolveTierOptions(const CheckSetup &setup, const std::string &scratchDir, uint64_t capacity);

class CheckContext;

// A status as people read it: "MLPS_E_NO_SPACE (-5)".
std::string statusName(mlps_status status);
// "WRITE key 'a' [4096, +512)".
std::string describeOp(const mlps_io &io);

// Host memory for op buffers, aligned to the tier's alignment (at least 64 bytes).
class Buffer {
  public:
    Buffer() = default;
    Buffer(uint64_t size, uint32_t alignment);
    Buffer(Buffer &&other) noexcept;
    Buffer &operator=(Buffer &&other) noexcept;
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    ~Buffer();
    unsigned char *data() const { return data_; }
    uint64_t size() const { return size_; }

  private:
    unsigned char *data_ = nullptr;
    uint64_t size_ = 0;
};

// One queue, checked on every call: submit answers MLPS_OK or MLPS_BUSY (errors are
// completions), never accepts more than asked or more than the depth outstanding; poll never
// returns more than max_done, never a completion that is not outstanding, never one twice.
// The queue tags every op with its own user_data to tell them apart; callers get theirs back.
class TierQueue {
  public:
    TierQueue(CheckContext &ctx, const mlps_tier_ops &ops, void *tier, void *queue, uint32_t depth);
    TierQueue(const TierQueue &) = delete;
    TierQueue &operator=(const TierQueue &) = delete;
    ~TierQueue();

    // The raw status (OK or BUSY; anything else fails the check) and how many were accepted.
    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted);
    // prompt: the call must return at once (a short deadline instead of the check's).
    std::vector<mlps_completion>
    poll(uint32_t minDone, uint32_t maxDone, uint64_t timeoutNs, bool prompt = false);
    // Submits one op (polling while BUSY) and waits for its completion.
    mlps_completion run(const mlps_io &io);
    // Runs every op, keeping up to the depth outstanding; completions in the order they came.
    std::vector<mlps_completion> runAll(const std::vector<mlps_io> &ios);
    // Closes the queue now (the destructor does it otherwise), with ops possibly in flight.
    void close();

    uint32_t outstanding() const { return static_cast<uint32_t>(tags_.size()); }
    uint32_t depth() const { return depth_; }

  private:
    CheckContext &ctx_;
    const mlps_tier_ops &ops_;
    void *tier_;
    void *queue_;
    uint32_t depth_;
    uint64_t nextTag_ = 1;
    std::unordered_map<uint64_t, mlps_io> tags_; // outstanding ops by our tag (caller's user_data)
    uint64_t submitted_ = 0;
    uint64_t completed_ = 0;
};

// One tier instance, destroyed (with a deadline) when this object goes.
class TierInstance {
  public:
    TierInstance(CheckContext &ctx, void *self, std::unique_ptr<ResolvedOptions> options);
    TierInstance(const TierInstance &) = delete;
    TierInstance &operator=(const TierInstance &) = delete;
    ~TierInstance();

    void *self() const { return self_; }
    const mlps_tier_ops &ops() const;
    // info(), checked: MLPS_OK, writes nothing past the struct_size it was given.
    mlps_tier_info info();
    // Alignment of buffers, offsets and lengths: info.alignment with ALIGNED_BUFFERS, else 1.
    uint32_t unit();
    // Whether the CPU may fill the buffers we hand it (info.io_memory has host memory).
    bool takesHostMemory();
    std::unique_ptr<TierQueue> openQueue(uint32_t depth);
    Buffer buffer(uint64_t size);
    void destroy();

  private:
    CheckContext &ctx_;
    void *self_;
    std::unique_ptr<ResolvedOptions> options_; // create()'s config must outlive the instance
};

class CheckContext {
  public:
    CheckContext(const CheckSetup &setup, std::string scratchDir);

    const CheckSetup &setup() const { return setup_; }
    const mlps_plugin_descriptor &descriptor() const { return *setup_.plugin->descriptor; }
    const mlps_tier_ops &ops() const { return *setup_.plugin->tierOps(); }
    const std::string &scratch() const { return scratch_; }
    const mlps_host_api *host() const;

    // A created instance (capacity 0: the run's default); fails the check when create fails.
    std::unique_ptr<TierInstance> create(uint64_t capacity = 0);
    // create() as it answered: its status, with err filled; *self when it succeeded.
    mlps_status tryCreate(uint64_t capacity,
                          std::unique_ptr<ResolvedOptions> &options,
                          void **self,
                          mlps_error *err);

    // What the check is doing now: a hang is reported with this text.
    void step(const std::string &what);
    // The same for a call that must return at once: it gets the short deadline.
    void promptStep(const std::string &what);
    // A line shown with a passing check ("depth 0 is refused: ...").
    void note(const std::string &text);
    const std::vector<std::string> &notes() const { return notes_; }
    // The tier's last log lines (shown with a failure).
    std::vector<std::string> logs() const;
    // Marks the check skipped (not applicable to this tier) and ends it.
    [[noreturn]] void skip(const std::string &why);
    [[noreturn]] void fail(const std::string &expected, const std::string &happened);
    void expect(bool ok, const std::string &expected, const std::string &happened) {
        if (!ok) {
            fail(expected, happened);
        }
    }

  private:
    const CheckSetup &setup_;
    std::string scratch_;
    std::vector<std::string> notes_;
};

struct CheckSkipped {
    std::string why;
};

} // namespace mlps::core::check
