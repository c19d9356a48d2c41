#include "settings.hpp"

namespace mlps::checkpoint {

namespace {

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

} // namespace

Settings parseSettings(const Config &c) {
    Settings s;
    s.tier = c.isSet("tier") ? c.getString("tier") : "";
    const std::string model = c.getString("model");
    s.model = findModel(model);
    if (s.model == nullptr) {
        throw invalid("model: unknown model '" + model + "'; known: " + modelNames());
    }
    const std::string mode = c.getString("mode");
    s.mode = mode == "subset" ? Mode::Subset : mode == "default" ? Mode::Default : Mode::Auto;
    s.checkpointBytes = c.isSet("checkpoint_size") ? c.getSize("checkpoint_size") : 0;
    s.processes = static_cast<uint32_t>(c.getInt("processes"));
    s.writes = static_cast<uint32_t>(c.getInt("num_checkpoints_write"));
    s.reads = static_cast<uint32_t>(c.getInt("num_checkpoints_read"));
    if (s.writes == 0 && s.reads == 0) {
        throw invalid("num_checkpoints_write: and num_checkpoints_read are both 0: nothing to do");
    }
    s.betweenNs = c.getDurationNs("time_between_checkpoints");
    s.fsync = c.getBool("fsync");
    s.folder = c.getString("folder");
    if (s.folder.empty() || s.folder.size() > 40) {
        throw invalid("folder: must be 1 to 40 characters (it prefixes every key)");
    }
    s.ioSize = c.getSize("io_size");
    s.queueDepth = static_cast<uint32_t>(c.getInt("queue_depth"));
    s.rankShift = static_cast<uint32_t>(c.getInt("recovery_rank_shift"));
    s.dropPageCache = c.getBool("drop_page_cache");
    const std::string cleanup = c.getString("cleanup");
    s.cleanup = cleanup == "always"  ? Cleanup::Always
                : cleanup == "never" ? Cleanup::Never
                                     : Cleanup::Auto;
    return s;
}

uint32_t findTier(const Host &host, const std::string &name) {
    const uint32_t n = host.tierCount();
    if (n == 0) {
        throw invalid("tier: the spec has no tiers; checkpoint needs one to write to");
    }
    if (name.empty()) {
        return 0;
    }
    std::string names;
    for (uint32_t i = 0; i < n; ++i) {
        const mlps_tier_spec spec = host.tierSpec(i);
        if (spec.name != nullptr && name == spec.name) {
            return i;
        }
        names += (names.empty() ? "" : ", ") + std::string(spec.name != nullptr ? spec.name : "");
    }
    throw invalid("tier: no tier named '" + name + "' in the spec (tiers: " + names + ")");
}

Layout jobLayout(const Settings &s, uint32_t worldSize, uint64_t alignment) {
    if (s.processes != 0 && s.processes != worldSize && worldSize > 1) {
        throw invalid("processes: the option says " + std::to_string(s.processes) +
                      " but the job has " + std::to_string(worldSize) +
                      " ranks; set it to 0 or to the rank count");
    }
    // processes sizes a --dry-run of a larger job from one process.
    const uint32_t ranks = s.processes != 0 ? s.processes : worldSize;
    Layout l = makeLayout(*s.model, ranks, s.mode, s.checkpointBytes, alignment);
    if (s.rankShift >= ranks && s.reads != 0 && ranks > 1) {
        throw invalid("recovery_rank_shift: must be below the rank count (" +
                      std::to_string(ranks) + ")");
    }
    return l;
}

std::string stepKey(const Settings &s, uint32_t step, const std::string &file) {
    return s.folder + "/step" + std::to_string(step) + "/" + file;
}

} // namespace mlps::checkpoint
