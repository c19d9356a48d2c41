#include "uring_tier.hpp"

#include "uring_queue.hpp"
#include "uring_ring.hpp"

namespace mlps::uring {

uint32_t UringTier::caps(bool direct) noexcept {
    return MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_BYTE_RANGE | MLPS_TIER_CAP_PERSISTENT |
           (direct ? MLPS_TIER_CAP_DIRECT_IO | MLPS_TIER_CAP_ALIGNED_BUFFERS : 0);
}

RingSettings UringTier::ringOptions(const Config &config) {
    RingSettings ring;
    ring.sqpoll = config.isSet("sqpoll") && config.getBool("sqpoll");
    if (config.isSet("queue_depth")) {
        const int64_t entries = config.getInt("queue_depth");
        if (entries < 1 || entries > 4096) {
            throw Error("option 'queue_depth' must be between 1 and 4096", MLPS_E_INVALID);
        }
        ring.ringEntries = static_cast<uint32_t>(entries);
    }
    return ring;
}

store::StoreSettings UringTier::checkedSettings(const Config &config) {
    const RingSettings ring = ringOptions(config);
    store::StoreSettings settings = store::parseStoreSettings(config, kDefaults);
    probeRing(ring);
    return settings;
}

UringTier::UringTier(const Host &host, const Config &config)
    : StoreTier(host, checkedSettings(config)), ring_(ringOptions(config)) {
    logCreated(host,
               "io_uring, ring " + std::to_string(ring_.ringEntries) +
                   (ring_.sqpoll ? ", sqpoll" : ""));
}

} // namespace mlps::uring
