// checkSchema: the plugin's option schema checked on its own, at load time, so that a broken
// schema is reported as a plugin error instead of surfacing later as a confusing spec error.
#include <regex>
#include <set>

#include "spec/expand.hpp"
#include "spec/option_resolver.hpp"
#include "spec/option_value.hpp"
#include "spec/text_util.hpp"
#include "spec/units.hpp"

namespace mlps::core {

namespace {

constexpr size_t kMaxOptionNameLength = 127;

std::string problemOf(const mlps_option_spec &option, const std::string &name) {
    const std::string label = "option '" + name + "'";
    const uint32_t type = option.type;
    if (type < MLPS_OPT_BOOL || type > MLPS_OPT_JSON) {
        return label + ": unknown type " + std::to_string(type);
    }
    const bool required = (option.flags & MLPS_OPT_F_REQUIRED) != 0;
    if (required && option.default_value != nullptr) {
        return label + ": is required and has a default; drop one of them";
    }
    if (type == MLPS_OPT_ENUM) {
        const std::string choices = option.choices != nullptr ? option.choices : "";
        if (choices.empty() || choices.front() == '|' || choices.back() == '|' ||
            choices.find("||") != std::string::npos) {
            return label + ": an enum needs choices like \"read|write\", found " +
                   quoteValue(choices);
        }
        if (option.default_value != nullptr && !isChoice(choices, option.default_value)) {
            return label + ": the default " + quoteValue(option.default_value) + " is not one of " +
                   quoteValue(choices);
        }
        return {};
    }
    if (type == MLPS_OPT_JSON) {
        if (option.default_value != nullptr &&
            nlohmann::json::parse(option.default_value, nullptr, false).is_discarded()) {
            return label + ": the default " + quoteValue(option.default_value) +
                   " is not valid JSON";
        }
        return {};
    }
    if (type == MLPS_OPT_STRING || type == MLPS_OPT_PATH) {
        if (option.default_value != nullptr) {
            try {
                expandPlaceholders(option.default_value, ExpandContext{});
            } catch (const PlaceholderError &e) {
                return label + ": bad default: " + e.what();
            }
        }
        return {};
    }
    // BOOL and the numeric types: default and bounds parse with the spec's rules.
    OptionScalar defaultValue;
    OptionScalar min;
    OptionScalar max;
    try {
        if (option.default_value != nullptr) {
            defaultValue = parseOptionScalar(type, option.default_value);
        }
    } catch (const UnitError &e) {
        return label + ": bad default: " + e.what();
    }
    if (!isNumericType(type)) {
        return {};
    }
    try {
        if (option.min_value != nullptr) {
            min = parseOptionScalar(type, option.min_value);
        }
    } catch (const UnitError &e) {
        return label + ": bad min_value: " + e.what();
    }
    try {
        if (option.max_value != nullptr) {
            max = parseOptionScalar(type, option.max_value);
        }
    } catch (const UnitError &e) {
        return label + ": bad max_value: " + e.what();
    }
    if (option.min_value != nullptr && option.max_value != nullptr &&
        compareOptionScalars(type, min, max) > 0) {
        return label + ": min_value " + option.min_value + " is greater than max_value " +
               option.max_value;
    }
    if (option.default_value != nullptr) {
        if (option.min_value != nullptr && compareOptionScalars(type, defaultValue, min) < 0) {
            return label + ": the default " + option.default_value + " is below min_value " +
                   option.min_value;
        }
        if (option.max_value != nullptr && compareOptionScalars(type, defaultValue, max) > 0) {
            return label + ": the default " + option.default_value + " is above max_value " +
                   option.max_value;
        }
    }
    return {};
}

} // namespace

std::string checkSchema(const mlps_plugin_descriptor &descriptor) {
    if (!hasOptionFields(descriptor)) {
        return "the descriptor is too short to hold an option schema";
    }
    if (descriptor.n_options == 0) {
        return {};
    }
    if (descriptor.options == nullptr) {
        return "n_options is " + std::to_string(descriptor.n_options) + " but options is NULL";
    }
    if (descriptor.option_struct_size < sizeof(mlps_option_spec)) {
        return "option_struct_size " + std::to_string(descriptor.option_struct_size) +
               " is smaller than ABI 1.0's " + std::to_string(sizeof(mlps_option_spec));
    }
    // Segments of [a-z0-9_-], joined by dots: "queue_depth", "emulate.bandwidth".
    static const std::regex kName("[a-z0-9_-]+(\\.[a-z0-9_-]+)*");
    std::set<std::string> names;
    for (uint32_t i = 0; i < descriptor.n_options; ++i) {
        const mlps_option_spec option = schemaOption(descriptor, i);
        if (option.name == nullptr) {
            return "option #" + std::to_string(i) + " has no name";
        }
        const std::string name = option.name;
        if (name.size() > kMaxOptionNameLength || !std::regex_match(name, kName)) {
            return "option #" + std::to_string(i) + ": the name " + quoteValue(name) +
                   " is not lowercase [a-z0-9_-] words joined by dots";
        }
        if (!names.insert(name).second) {
            return "option '" + name + "' is declared twice";
        }
        if (std::string problem = problemOf(option, name); !problem.empty()) {
            return problem;
        }
    }
    // "emulate" and "emulate.bandwidth" cannot both be options: in YAML `emulate:` would have
    // to be a value and a map at once.
    for (const std::string &name : names) {
        for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
            if (names.count(name.substr(0, dot)) != 0) {
                return "option '" + name.substr(0, dot) + "' is also the parent of '" + name + "'";
            }
        }
    }
    return {};
}

} // namespace mlps::core
