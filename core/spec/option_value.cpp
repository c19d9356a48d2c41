#include "spec/option_value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "spec/text_util.hpp"
#include "spec/units.hpp"
#include "spec/yaml_util.hpp"

namespace mlps::core {

std::string expectedOf(uint32_t type) {
    switch (type) {
    case MLPS_OPT_BOOL:
        return "true or false";
    case MLPS_OPT_INT:
        return "an integer";
    case MLPS_OPT_FLOAT:
        return "a number";
    case MLPS_OPT_SIZE:
        return "a size like 512MiB, 1.5GB or 4096";
    case MLPS_OPT_DURATION:
        return "a duration like 30s, 500ms, 2m or 10us";
    case MLPS_OPT_BANDWIDTH:
        return "a bandwidth like 64GB/s, 1.5GiB/s or 800MB/s";
    case MLPS_OPT_STRING:
        return "a string";
    case MLPS_OPT_ENUM:
        return "one of the choices";
    case MLPS_OPT_PATH:
        return "a path";
    default:
        return "a value";
    }
}

const char *typeName(uint32_t type) {
    switch (type) {
    case MLPS_OPT_BOOL:
        return "bool";
    case MLPS_OPT_INT:
        return "int";
    case MLPS_OPT_FLOAT:
        return "float";
    case MLPS_OPT_SIZE:
        return "size";
    case MLPS_OPT_DURATION:
        return "duration";
    case MLPS_OPT_BANDWIDTH:
        return "bandwidth";
    case MLPS_OPT_STRING:
        return "string";
    case MLPS_OPT_ENUM:
        return "enum";
    case MLPS_OPT_PATH:
        return "path";
    case MLPS_OPT_JSON:
        return "json";
    default:
        return "?";
    }
}

bool isNumericType(uint32_t type) {
    return type == MLPS_OPT_INT || type == MLPS_OPT_FLOAT || type == MLPS_OPT_SIZE ||
           type == MLPS_OPT_DURATION || type == MLPS_OPT_BANDWIDTH;
}

bool isStringType(uint32_t type) {
    return type == MLPS_OPT_STRING || type == MLPS_OPT_ENUM || type == MLPS_OPT_PATH ||
           type == MLPS_OPT_JSON;
}

OptionScalar parseOptionScalar(uint32_t type, std::string_view text) {
    OptionScalar value;
    const auto fail = [&]() -> OptionScalar {
        throw UnitError("expected " + expectedOf(type) + ", found " + quoteValue(text));
    };
    const std::string_view body = trim(text);
    const char *begin = body.data();
    const char *end = begin + body.size();
    // from_chars takes no leading '+'; people write "+3" rarely, but YAML allows it.
    if (!body.empty() && body[0] == '+' && (type == MLPS_OPT_INT || type == MLPS_OPT_FLOAT)) {
        ++begin;
    }
    switch (type) {
    case MLPS_OPT_BOOL:
        if (!parseBoolText(body, value.b)) {
            return fail();
        }
        return value;
    case MLPS_OPT_INT: {
        const auto r = std::from_chars(begin, end, value.i);
        if (body.empty() || r.ec != std::errc() || r.ptr != end) {
            return fail();
        }
        return value;
    }
    case MLPS_OPT_FLOAT: {
        const auto r = std::from_chars(begin, end, value.f);
        if (body.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(value.f)) {
            return fail();
        }
        return value;
    }
    case MLPS_OPT_SIZE:
        value.u = parseSize(text);
        return value;
    case MLPS_OPT_DURATION:
        value.u = parseDurationNs(text);
        return value;
    case MLPS_OPT_BANDWIDTH:
        value.u = parseBandwidth(text);
        return value;
    default:
        return fail();
    }
}

int compareOptionScalars(uint32_t type, const OptionScalar &a, const OptionScalar &b) {
    switch (type) {
    case MLPS_OPT_INT:
        return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    case MLPS_OPT_FLOAT:
        return a.f < b.f ? -1 : a.f > b.f ? 1 : 0;
    default:
        return a.u < b.u ? -1 : a.u > b.u ? 1 : 0;
    }
}

bool isChoice(std::string_view choices, std::string_view value) {
    size_t start = 0;
    while (start <= choices.size()) {
        size_t bar = choices.find('|', start);
        if (bar == std::string_view::npos) {
            bar = choices.size();
        }
        if (choices.substr(start, bar - start) == value) {
            return true;
        }
        start = bar + 1;
    }
    return false;
}

} // namespace mlps::core

namespace mlps::core {

mlps_option_spec schemaOption(const mlps_plugin_descriptor &descriptor, uint32_t index) {
    mlps_option_spec option{};
    const auto *base = reinterpret_cast<const char *>(descriptor.options) +
                       size_t(index) * descriptor.option_struct_size;
    std::memcpy(&option, base, std::min<size_t>(descriptor.option_struct_size, sizeof option));
    return option;
}

bool hasOptionFields(const mlps_plugin_descriptor &descriptor) {
    return descriptor.struct_size >= offsetof(mlps_plugin_descriptor, option_struct_size) +
                                         sizeof(descriptor.option_struct_size);
}

uint32_t schemaOptionCount(const mlps_plugin_descriptor &descriptor) {
    if (!hasOptionFields(descriptor) || descriptor.options == nullptr ||
        descriptor.option_struct_size == 0) {
        return 0;
    }
    return descriptor.n_options;
}

} // namespace mlps::core
