#include "plugin/tier_caps.hpp"

namespace mlps::core {

std::string tierCapsProblem(const mlps_plugin_descriptor &d) {
    const auto &ops = *static_cast<const mlps_tier_ops *>(d.ops);
    // Both are in ABI 1.0's table; MLPS_HAS_FIELD keeps the reads inside struct_size anyway.
    const bool hasAlloc =
        MLPS_HAS_FIELD(&ops, mlps_tier_ops, buffer_alloc) && ops.buffer_alloc != nullptr;
    const bool hasFree =
        MLPS_HAS_FIELD(&ops, mlps_tier_ops, buffer_free) && ops.buffer_free != nullptr;
    if (hasAlloc != hasFree) {
        return std::string("sets ") + (hasAlloc ? "buffer_alloc" : "buffer_free") + " without " +
               (hasAlloc ? "buffer_free" : "buffer_alloc") +
               " (a tier that allocates buffers must also free them)";
    }
    // The other way round is allowed: the SDK's C++ adapter fills both for every tier, and the
    // host calls them only when the cap is declared.
    if ((d.caps & MLPS_TIER_CAP_BUFFER_ALLOC) != 0 && !hasAlloc) {
        return "declares MLPS_TIER_CAP_BUFFER_ALLOC but its ops table has no buffer_alloc and "
               "buffer_free";
    }
    return {};
}

} // namespace mlps::core
