// The rules that tie a tier's capability bits to the operations it provides (as fio checks an
// engine's flags against its ops): the loader refuses a tier that breaks them, and
// `plugins check` reports the same finding.
#pragma once

#include <string>

#include <mlps/plugin_abi.h>
#include <mlps/tier_abi.h>

namespace mlps::core {

// The capability bits this mlps knows (MLPS_TIER_CAP_*). A plugin of a newer minor may set
// others: the loader ignores those, `plugins check` points them out.
constexpr uint64_t kKnownTierCaps = (MLPS_TIER_CAP_BUFFER_ALLOC << 1) - 1;

// Empty when a tier descriptor's caps and ops agree; otherwise what disagrees, e.g.
// "caps has buffer-alloc but buffer_alloc is NULL". `d.ops` must be a tier ops table the loader
// has already size-checked.
std::string tierCapsProblem(const mlps_plugin_descriptor &d);

} // namespace mlps::core
