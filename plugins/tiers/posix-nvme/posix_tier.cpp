#include "posix_tier.hpp"

#include "posix_queue.hpp"

namespace mlps::posix {

uint32_t PosixTier::caps(bool direct) noexcept {
    return MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT | MLPS_TIER_CAP_ASYNC |
           MLPS_TIER_CAP_BUFFER_ALLOC |
           (direct ? MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS : 0);
}

uint32_t PosixTier::threadsOption(const Config &config) {
    if (!config.isSet("threads")) {
        return kDefaultThreads;
    }
    const int64_t threads = config.getInt("threads");
    if (threads < 1 || threads > 1024) {
        throw Error("option 'threads' must be between 1 and 1024", MLPS_E_INVALID);
    }
    return static_cast<uint32_t>(threads);
}

store::StoreSettings PosixTier::checkedSettings(const Config &config) {
    threadsOption(config);
    return store::parseStoreSettings(config, kDefaults);
}

PosixTier::PosixTier(const Host &host, const Config &config)
    : StoreTier(host, checkedSettings(config)), threads_(threadsOption(config)) {
    logCreated(host, std::to_string(threads_) + " threads per queue");
}

} // namespace mlps::posix
