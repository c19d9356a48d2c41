// "example": an out-of-tree mlps tier plugin, written to be copied. It keeps objects in host
// memory (a std::unordered_map of byte vectors), enforces a capacity, and follows the tier
// contract of <mlps/tier_abi.h> to the letter:
//
//  - submit() performs each operation at once and queues its completion; poll() hands the
//    completions back. A queue holds at most `depth` finished-but-unpolled completions: when it
//    is full, submit() accepts fewer ops, or none and returns MLPS_BUSY (poll, then resubmit).
//  - An I/O error is a completion with a negative status (NOT_FOUND, RANGE, NO_SPACE), never a
//    failed submit() and never an exception.
//  - The instance (info, openQueue) is used from many threads at once; each queue by one
//    thread at a time.
//
// Rename it: change kName below, the shared_module name in meson.build, and this comment.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <mlps/tier.hpp>

namespace {

constexpr const char *kName = "example"; // the id in specs (`plugin: example`) and the file name
constexpr const char *kVersion = "1.0.0";

// The option schema: what `mlpsrun describe example` prints and what the core validates a
// spec against before create() runs. Defaults and bounds are text in the option's units.
// Every tier also receives `capacity` (SIZE, 0 = not given), `keep` (BOOL) and `tier_name`
// (STRING) from the core: do not declare them here.
constexpr mlps_option_spec kOptions[] = {
    {"default_capacity",
     MLPS_OPT_SIZE,
     0,
     "256MiB",
     "1",
     nullptr,
     nullptr,
     "Capacity used when the spec gives none (tiers[].capacity). Writes past it fail with "
     "NO_SPACE completions."},
    {"max_queue_depth",
     MLPS_OPT_INT,
     0,
     "1024",
     "1",
     "65536",
     nullptr,
     "The deepest queue this tier opens; a benchmark asking for more gets this many."},
};

// Transparent hashing lets find() take the key as a string_view: no allocation per read.
struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

struct Object {
    std::vector<unsigned char> bytes;
    uint64_t charged = 0; // capacity this object holds: max(announced object_size, size)
};

// The bytes, shared by all queues of one instance. One mutex keeps the example short; a real
// tier would shard it (memcpy of large objects under one lock serialises the threads).
class Store {
  public:
    explicit Store(uint64_t capacity) : capacity_(capacity) {}

    // Runs one operation; the result goes into a completion. Never throws.
    mlps_completion perform(const mlps_io &io) noexcept {
        mlps_completion done{};
        done.user_data = io.user_data;
        try {
            done.status = dispatch(io, done.bytes);
        } catch (const std::bad_alloc &) {
            done.status = MLPS_E_NO_MEMORY;
        }
        return done;
    }

    void fill(mlps_tier_info &out) {
        std::lock_guard lock(mutex_);
        out.capacity_bytes = capacity_;
        out.used_bytes = used_;
        out.objects = objects_.size();
    }

  private:
    mlps_status dispatch(const mlps_io &io, uint64_t &bytes) {
        const std::string_view key(io.key != nullptr ? io.key : "", io.key_len);
        std::lock_guard lock(mutex_);
        switch (io.opcode) {
        case MLPS_IO_WRITE:
            return write(key, io, bytes);
        case MLPS_IO_READ: {
            auto it = objects_.find(key);
            if (it == objects_.end()) {
                return MLPS_E_NOT_FOUND;
            }
            const auto &data = it->second.bytes;
            if (io.offset > data.size() || io.length > data.size() - io.offset) {
                return MLPS_E_RANGE; // reading past the end of the object
            }
            std::memcpy(io.buf, data.data() + io.offset, io.length);
            bytes = io.length;
            return MLPS_OK;
        }
        case MLPS_IO_DELETE: {
            auto it = objects_.find(key);
            if (it == objects_.end()) {
                return MLPS_E_NOT_FOUND;
            }
            used_ -= it->second.charged;
            objects_.erase(it);
            return MLPS_OK;
        }
        case MLPS_IO_SYNC:
            return MLPS_OK; // memory: nothing to make durable
        default:
            return MLPS_E_NOT_SUPPORTED;
        }
    }

    mlps_status write(std::string_view key, const mlps_io &io, uint64_t &bytes) {
        const uint64_t end = io.offset + io.length;
        auto it = objects_.find(key);
        const bool creating = it == objects_.end();
        // A new object reserves its announced final size at once (object_size), so a benchmark
        // learns about a full tier at the first write, not halfway through the object.
        const uint64_t oldCharge = creating ? 0 : it->second.charged;
        const uint64_t newCharge = std::max({oldCharge, end, creating ? io.object_size : 0});
        if (newCharge - oldCharge > capacity_ - used_) {
            return MLPS_E_NO_SPACE;
        }
        if (creating) {
            it = objects_.emplace(std::string(key), Object{}).first;
        }
        Object &object = it->second;
        if (object.bytes.size() < end) {
            object.bytes.resize(end); // a write past the end grows the object
        }
        std::memcpy(object.bytes.data() + io.offset, io.buf, io.length);
        used_ += newCharge - oldCharge;
        object.charged = newCharge;
        bytes = io.length;
        return MLPS_OK;
    }

    std::mutex mutex_;
    std::unordered_map<std::string, Object, KeyHash, std::equal_to<>> objects_;
    uint64_t capacity_;
    uint64_t used_ = 0;
};

// One queue: a ring of completions that were performed by submit() and not yet polled.
class ExampleQueue : public mlps::TierPluginQueue {
  public:
    ExampleQueue(Store &store, uint32_t depth) : store_(store), ring_(depth) {}

    mlps_status submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) noexcept override {
        uint32_t i = 0;
        for (; i < n && count_ < ring_.size(); ++i) {
            ring_[(head_ + count_) % ring_.size()] = store_.perform(ios[i]);
            ++count_;
        }
        *accepted = i;
        // BUSY is not an error: every completion slot is taken until the caller polls.
        return (i == 0 && n > 0) ? MLPS_BUSY : MLPS_OK;
    }

    mlps_status poll(mlps_completion *out,
                     uint32_t /*minDone*/,
                     uint32_t maxDone,
                     uint64_t /*timeoutNs*/,
                     uint32_t *nDone) noexcept override {
        // Every submitted op is already complete, so waiting for min_done could not bring
        // more: return what there is at once.
        uint32_t i = 0;
        for (; i < maxDone && count_ > 0; ++i) {
            out[i] = ring_[head_];
            head_ = (head_ + 1) % ring_.size();
            --count_;
        }
        *nDone = i;
        return MLPS_OK;
    }

  private:
    Store &store_;
    std::vector<mlps_completion> ring_; // allocated once: no allocation on the hot path
    size_t head_ = 0;
    size_t count_ = 0;
};

class ExampleTier : public mlps::TierPlugin {
  public:
    // Options arrive validated (types, bounds, defaults applied); throw mlps::Error to refuse.
    ExampleTier(const mlps::Host &host, const mlps::Config &config)
        : store_(capacityOf(config)),
          maxQueueDepth_(static_cast<uint32_t>(config.getInt("max_queue_depth"))) {
        host.log(MLPS_LOG_DEBUG,
                 "example tier: %llu bytes of capacity",
                 static_cast<unsigned long long>(capacityOf(config)));
    }

    void info(mlps_tier_info &out) override {
        out.alignment = 1;                   // any buffer, offset and length
        out.caps = MLPS_TIER_CAP_BYTE_RANGE; // synchronous, volatile, byte-addressed
        out.max_queue_depth = maxQueueDepth_;
        std::snprintf(out.location, sizeof out.location, "host memory (%s tier)", kName);
        store_.fill(out);
    }

    std::unique_ptr<mlps::TierPluginQueue> openQueue(uint32_t depth) override {
        if (depth == 0) {
            throw mlps::Error("queue depth must be at least 1", MLPS_E_INVALID);
        }
        return std::make_unique<ExampleQueue>(store_, std::min(depth, maxQueueDepth_));
    }

  private:
    static uint64_t capacityOf(const mlps::Config &config) {
        const uint64_t fromSpec = config.isSet("capacity") ? config.getSize("capacity") : 0;
        return fromSpec != 0 ? fromSpec : config.getSize("default_capacity");
    }

    Store store_;
    uint32_t maxQueueDepth_;
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::tierDescriptor<ExampleTier>(
    kName,
    kVersion,
    "An in-memory example tier: a template for out-of-tree plugins.",
    kOptions,
    MLPS_TIER_CAP_BYTE_RANGE);

} // namespace

// The one exported symbol: mlps_plugin_entry(), returning the manifest over our descriptors.
MLPS_PLUGIN_MANIFEST(&kDescriptor)
