// The checks that need no I/O and create nothing: the options, and the source's input read in
// full once (a fast pass: every line parsed, the layout and the time order checked), so that a
// malformed input stops the run with file:line:column before any tier exists.
#include "kvcache.hpp"
#include "text_input.hpp"

namespace mlps::kvcache {

Validated validateOptions(const Host &host, const Config &config) {
    Validated v;
    v.settings = parseSettings(config);
    const Settings &s = v.settings;
    const mlps_run_info info = host.runInfo();
    const bool finite = s.source != SourceKind::Synthetic && s.replayCycles != 0;
    if (info.duration_ns == 0 && s.maxRequests == 0 && !finite) {
        throw Error(s.source == SourceKind::Synthetic
                        ? "with run.duration 0 (until the work is done) set the option "
                          "'max_requests'"
                        : "with run.duration 0 (until the work is done) set the option "
                          "'max_requests' or 'replay_cycles'",
                    MLPS_E_INVALID);
    }
    if (!zstdAvailable() && s.ioTrace.size() >= 4 &&
        s.ioTrace.compare(s.ioTrace.size() - 4, 4, ".zst") == 0) {
        throw Error("option 'io_trace': " + s.ioTrace +
                        " ends in .zst, but this kvcache was built without zstd support (install "
                        "libzstd-dev and rebuild, or drop the .zst)",
                    MLPS_E_INVALID);
    }
    SourceContext ctx{info.seed, info.rank, std::max<uint32_t>(info.world_size, 1), {}};
    for (uint32_t i = 0; i < host.tierCount(); ++i) {
        const mlps_tier_spec spec = host.tierSpec(i);
        ctx.tierNames.emplace_back(spec.name != nullptr ? spec.name : "");
    }
    v.source = scanSource(s, ctx);
    if (s.source != SourceKind::Synthetic && v.source.requests == 0) {
        throw Error("option 'dataset_path': " + s.datasetPath + " gives rank " +
                        std::to_string(info.rank) + " no requests",
                    MLPS_E_INVALID);
    }
    return v;
}

} // namespace mlps::kvcache
