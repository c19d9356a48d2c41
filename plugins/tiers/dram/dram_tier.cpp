#include "dram_tier.hpp"

#include <algorithm>
#include <new>
#include <unistd.h>

#include "dram_queue.hpp"

namespace mlps::dram {

namespace {

// `capacity: 0` (or unset) means half of the machine's physical memory: enough for real work,
// and a runaway object set fails with MLPS_E_NO_SPACE instead of waking the OOM killer.
uint64_t defaultCapacity() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0) {
        throw Error("cannot read the size of physical memory (sysconf)", MLPS_E_GENERIC, errno);
    }
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize) / 2;
}

uint64_t optionalSize(const Config &config, std::string_view name, uint64_t fallback) {
    return config.isSet(name) ? config.getSize(name) : fallback;
}

mlps_completion done(const mlps_io &io, mlps_status status, uint64_t bytes = 0) noexcept {
    return mlps_completion{io.user_data, status, 0, status == MLPS_OK ? bytes : 0};
}

} // namespace

DramTier::DramTier(const Host &host, const Config &config)
    : host_(host), name_(config.isSet("tier_name") ? config.getString("tier_name") : "dram"),
      link_(config.isSet("emulate.bandwidth") ? config.getBandwidth("emulate.bandwidth") : 0,
            config.isSet("emulate.latency") ? config.getDurationNs("emulate.latency") : 0) {
    const uint64_t capacity = optionalSize(config, "capacity", 0);
    budget_.setLimit(capacity != 0 ? capacity : defaultCapacity());
    if (config.isSet("emulate.bandwidth") && link_.bytesPerSecond() == 0) {
        throw Error("emulate.bandwidth must be greater than 0 (leave it unset for no limit)",
                    MLPS_E_INVALID);
    }
    if (config.isSet("prefault") && config.getBool("prefault")) {
        try {
            pool_.prefault(budget_.limit());
        } catch (const std::bad_alloc &) {
            throw Error("prefault: cannot map " + std::to_string(budget_.limit()) +
                            " bytes of memory (lower the tier's capacity)",
                        MLPS_E_NO_MEMORY,
                        ENOMEM);
        }
    }
    if (link_.enabled()) {
        host_.log(MLPS_LOG_INFO,
                  "tier '%s': emulating a device link of %llu bytes/s (0 = unlimited) and %llu ns "
                  "latency",
                  name_.c_str(),
                  static_cast<unsigned long long>(link_.bytesPerSecond()),
                  static_cast<unsigned long long>(link_.latencyNs()));
    }
}

DramTier::~DramTier() = default;

void DramTier::info(mlps_tier_info &out) {
    out.alignment = 1;
    // With emulation completions arrive later than submit(): ops overlap on the link, so a
    // benchmark should keep several in flight.
    out.caps = MLPS_TIER_CAP_BYTE_RANGE | (link_.enabled() ? MLPS_TIER_CAP_ASYNC : 0);
    out.capacity_bytes = budget_.limit();
    out.used_bytes = budget_.used();
    out.objects = objects_.load(std::memory_order_relaxed);
    out.max_queue_depth = kMaxQueueDepth;
    std::snprintf(out.location, sizeof out.location, "host memory");
}

std::unique_ptr<TierPluginQueue> DramTier::openQueue(uint32_t depth) {
    if (depth > kMaxQueueDepth) {
        throw Error("queue depth " + std::to_string(depth) + " is above the dram tier's limit of " +
                        std::to_string(kMaxQueueDepth),
                    MLPS_E_INVALID);
    }
    return std::make_unique<DramQueue>(*this, depth == 0 ? kDefaultQueueDepth : depth);
}

std::shared_ptr<MemoryBlock> DramTier::find(Shard &shard, std::string_view key) {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.objects.find(key);
    return it == shard.objects.end() ? nullptr : it->second;
}

mlps_completion DramTier::execute(const mlps_io &io) noexcept {
    if (io.key == nullptr || io.key_len == 0) {
        return io.opcode == MLPS_IO_SYNC ? done(io, MLPS_OK) : done(io, MLPS_E_INVALID);
    }
    const std::string_view key(io.key, io.key_len);
    const bool moves = io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ;
    if (moves && ((io.buf == nullptr && io.length != 0) || io.offset > UINT64_MAX - io.length)) {
        return done(io, MLPS_E_INVALID);
    }
    switch (io.opcode) {
    case MLPS_IO_WRITE:
        return done(io, write(key, io), io.length);
    case MLPS_IO_READ:
        return done(io, read(key, io), io.length);
    case MLPS_IO_DELETE:
        return done(io, remove(key));
    case MLPS_IO_SYNC: // memory has nothing to make durable
        return done(io, MLPS_OK);
    default:
        return done(io, MLPS_E_INVALID);
    }
}

mlps_status DramTier::write(std::string_view key, const mlps_io &io) noexcept {
    const uint64_t end = io.offset + io.length;
    Shard &shard = index_.shardFor(key);
    try {
        // A few rounds at most: another queue deleting or growing the object meanwhile sends
        // us around again.
        for (int attempt = 0; attempt < 16; ++attempt) {
            std::shared_ptr<MemoryBlock> block = find(shard, key);
            if (block == nullptr) {
                const uint64_t capacity = std::max(io.object_size, end);
                if (!budget_.reserve(capacity)) {
                    return MLPS_E_NO_SPACE;
                }
                // Allocated outside the lock: a large allocation may take a while.
                auto fresh = std::make_shared<MemoryBlock>(capacity, pool_);
                std::shared_ptr<MemoryBlock> other;
                {
                    std::lock_guard lock(shard.mutex);
                    auto [it, inserted] = shard.objects.try_emplace(std::string(key), fresh);
                    if (!inserted) {
                        other = it->second;
                    }
                }
                if (other != nullptr) { // another queue created it first: use theirs
                    budget_.release(capacity);
                    block = std::move(other);
                } else {
                    objects_.fetch_add(1, std::memory_order_relaxed);
                    block = std::move(fresh);
                }
            }
            if (end > block->capacity()) {
                mlps_status status = MLPS_OK;
                block = grow(shard, key, block, end, &status);
                if (status != MLPS_OK) {
                    return status;
                }
                if (block == nullptr) {
                    continue;
                }
            }
            block->write(io.buf, io.offset, io.length);
            return MLPS_OK;
        }
        return MLPS_E_GENERIC;
    } catch (const std::bad_alloc &) {
        return MLPS_E_NO_MEMORY;
    }
}

std::shared_ptr<MemoryBlock> DramTier::grow(Shard &shard,
                                            std::string_view key,
                                            const std::shared_ptr<MemoryBlock> &block,
                                            uint64_t capacity,
                                            mlps_status *status) {
    const uint64_t extra = capacity - block->capacity();
    if (!budget_.reserve(extra)) {
        *status = MLPS_E_NO_SPACE;
        return nullptr;
    }
    std::shared_ptr<MemoryBlock> bigger;
    try {
        bigger = std::make_shared<MemoryBlock>(capacity, pool_);
    } catch (const std::bad_alloc &) {
        budget_.release(extra);
        throw;
    }
    // Writes that other queues make to the old block after this copy are lost: writes to one
    // object from several queues are not ordered (README), and objects whose size is announced
    // with object_size never grow.
    block->copyInto(*bigger);
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it != shard.objects.end() && it->second == block) {
            it->second = bigger;
            return bigger;
        }
    }
    budget_.release(extra); // deleted or replaced meanwhile: start over
    return nullptr;
}

mlps_status DramTier::read(std::string_view key, const mlps_io &io) noexcept {
    // Holding the shared_ptr keeps the bytes alive even if another queue deletes the object
    // while we copy.
    std::shared_ptr<MemoryBlock> block;
    try {
        block = find(index_.shardFor(key), key);
    } catch (...) {
        return MLPS_E_GENERIC;
    }
    if (block == nullptr) {
        return MLPS_E_NOT_FOUND;
    }
    return block->read(io.buf, io.offset, io.length) ? MLPS_OK : MLPS_E_RANGE;
}

mlps_status DramTier::remove(std::string_view key) noexcept {
    Shard &shard = index_.shardFor(key);
    std::shared_ptr<MemoryBlock> block;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.objects.find(key);
        if (it == shard.objects.end()) {
            return MLPS_E_NOT_FOUND;
        }
        block = std::move(it->second);
        shard.objects.erase(it);
    }
    budget_.release(block->capacity());
    objects_.fetch_sub(1, std::memory_order_relaxed);
    return MLPS_OK; // the memory is freed here, outside the lock, unless a read still holds it
}

} // namespace mlps::dram
