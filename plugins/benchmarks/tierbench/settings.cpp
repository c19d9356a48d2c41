#include "settings.hpp"

namespace mlps::tierbench {

namespace {

Error invalid(const std::string &message) {
    return Error(message, MLPS_E_INVALID);
}

std::string text(const Config &c, const char *name, const char *fallback) {
    return c.isSet(name) ? c.getString(name) : fallback;
}

// Integer options with their bounds checked again here: plan() and tests may hand us options
// the core did not validate.
uint32_t boundedInt(const Config &c, const char *name, int64_t fallback, int64_t lo, int64_t hi) {
    const int64_t v = c.isSet(name) ? c.getInt(name) : fallback;
    if (v < lo || v > hi) {
        throw invalid("option '" + std::string(name) + "' must be between " + std::to_string(lo) +
                      " and " + std::to_string(hi) + ", not " + std::to_string(v));
    }
    return static_cast<uint32_t>(v);
}

} // namespace

Settings parseSettings(const Config &c) {
    Settings s;
    s.tier = text(c, "tier", "");
    const std::string mode = text(c, "mode", "mixed");
    if (mode == "write") {
        s.mode = Mode::Write;
    } else if (mode == "read") {
        s.mode = Mode::Read;
    } else if (mode == "mixed") {
        s.mode = Mode::Mixed;
    } else {
        throw invalid("option 'mode' must be write, read or mixed, not '" + mode + "'");
    }
    s.readFraction = c.isSet("read_fraction") ? c.getFloat("read_fraction") : 0.7;
    if (!(s.readFraction >= 0.0 && s.readFraction <= 1.0)) {
        throw invalid("option 'read_fraction' must be between 0 and 1");
    }
    const std::string pattern = text(c, "pattern", "sequential");
    if (pattern == "sequential") {
        s.pattern = Pattern::Sequential;
    } else if (pattern == "random") {
        s.pattern = Pattern::Random;
    } else {
        throw invalid("option 'pattern' must be sequential or random, not '" + pattern + "'");
    }
    s.objectSize = c.isSet("object_size") ? c.getSize("object_size") : s.objectSize;
    s.ioSize = c.isSet("io_size") ? c.getSize("io_size") : s.ioSize;
    if (s.objectSize < 4096) {
        throw invalid("option 'object_size' must be at least 4KiB, not " +
                      std::to_string(s.objectSize) + " bytes");
    }
    if (s.ioSize == 0 || s.ioSize > s.objectSize) {
        throw invalid("option 'io_size' (" + std::to_string(s.ioSize) +
                      " bytes) must be between 1 byte and object_size (" +
                      std::to_string(s.objectSize) + " bytes)");
    }
    if (s.objectSize % s.ioSize != 0) {
        throw invalid("option 'io_size' (" + std::to_string(s.ioSize) +
                      " bytes) must divide object_size (" + std::to_string(s.objectSize) +
                      " bytes) so that every I/O covers a whole slice of an object");
    }
    s.objects = boundedInt(c, "objects", 8, 1, 1 << 24);
    s.threads = boundedInt(c, "threads", 1, 1, 256);
    s.queueDepth = boundedInt(c, "queue_depth", 4, 1, 1024);
    if (s.threads > s.objects) {
        throw invalid("option 'threads' (" + std::to_string(s.threads) + ") exceeds 'objects' (" +
                      std::to_string(s.objects) +
                      "): every thread works on objects of its own, so give at least one each");
    }
    if (s.objectSize > UINT64_MAX / s.objects) {
        throw invalid("objects x object_size overflows 64 bits");
    }
    s.totalBytes = c.isSet("total_bytes") ? c.getSize("total_bytes") : 0;
    s.verify = c.isSet("verify") && c.getBool("verify");
    s.precondition = !c.isSet("precondition") || c.getBool("precondition");
    return s;
}

const char *modeName(Mode mode) {
    switch (mode) {
    case Mode::Write:
        return "write";
    case Mode::Read:
        return "read";
    default:
        return "mixed";
    }
}

const char *patternName(Pattern pattern) {
    return pattern == Pattern::Random ? "random" : "sequential";
}

uint32_t findTier(const Host &host, const std::string &name) {
    const uint32_t count = host.tierCount();
    if (count == 0) {
        throw invalid("tierbench needs a tier: the spec has none");
    }
    if (name.empty()) {
        return 0;
    }
    std::string names;
    for (uint32_t i = 0; i < count; ++i) {
        const mlps_tier_spec spec = host.tierSpec(i);
        if (name == spec.name) {
            return i;
        }
        names += (i ? ", " : "") + std::string(spec.name);
    }
    throw invalid("option 'tier': no tier named '" + name + "' (the spec has: " + names + ")");
}

} // namespace mlps::tierbench
