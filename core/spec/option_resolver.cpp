#include "spec/option_resolver.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "spec/expand.hpp"
#include "spec/option_value.hpp"
#include "spec/text_util.hpp"
#include "spec/units.hpp"
#include "spec/yaml_util.hpp"
#include "util/errors.hpp"

namespace mlps::core {

// ---- ResolvedOptions --------------------------------------------------------------------------

const char *ResolvedOptions::keep(const std::string &s) {
    strings_.push_back(s);
    return strings_.back().c_str();
}

void ResolvedOptions::add(mlps_option_value value, const nlohmann::json &asJson) {
    const std::string name = value.name != nullptr ? value.name : "";
    value.name = keep(name);
    if (isStringType(value.type) && value.v.s != nullptr) {
        value.v.s = keep(value.v.s);
    }
    bool replaced = false;
    for (mlps_option_value &existing : values_) {
        if (name == existing.name) {
            existing = value;
            replaced = true;
        }
    }
    if (!replaced) {
        values_.push_back(value);
    }
    // Dotted names nest: "emulate.bandwidth" -> {"emulate": {"bandwidth": ...}}.
    nlohmann::json *node = &json_;
    size_t start = 0;
    while (true) {
        const size_t dot = name.find('.', start);
        const std::string part = name.substr(start, dot == std::string::npos ? dot : dot - start);
        if (dot == std::string::npos) {
            (*node)[part] = asJson;
            break;
        }
        nlohmann::json &child = (*node)[part];
        if (!child.is_object()) {
            child = nlohmann::json::object();
        }
        node = &child;
        start = dot + 1;
    }
}

void ResolvedOptions::addSize(const std::string &name, uint64_t bytes) {
    mlps_option_value value{};
    value.name = name.c_str();
    value.type = MLPS_OPT_SIZE;
    value.is_set = 1;
    value.v.u = bytes;
    add(value, bytes);
}

void ResolvedOptions::addBool(const std::string &name, bool flag) {
    mlps_option_value value{};
    value.name = name.c_str();
    value.type = MLPS_OPT_BOOL;
    value.is_set = 1;
    value.v.b = flag ? 1 : 0;
    add(value, flag);
}

void ResolvedOptions::addString(const std::string &name, const std::string &text) {
    mlps_option_value value{};
    value.name = name.c_str();
    value.type = MLPS_OPT_STRING;
    value.is_set = 1;
    value.v.s = text.c_str();
    add(value, text);
}

const mlps_config *ResolvedOptions::config() {
    jsonText_ = json_.dump();
    config_.struct_size = sizeof(mlps_config);
    config_.n_values = static_cast<uint32_t>(values_.size());
    config_.values = values_.data();
    config_.json = jsonText_.c_str();
    return &config_;
}

// ---- resolveOptions ---------------------------------------------------------------------------

namespace {

struct Given {
    YAML::Node key;
    YAML::Node value;
};

std::string joinNames(const std::vector<std::string> &names, size_t max = 20) {
    std::string list;
    for (size_t i = 0; i < names.size() && i < max; ++i) {
        list += (i == 0 ? "" : ", ") + names[i];
    }
    if (names.size() > max) {
        list += ", ...";
    }
    return list;
}

std::string choicesOf(const char *choices) {
    std::string list;
    for (const char c : std::string(choices != nullptr ? choices : "")) {
        list += c == '|' ? std::string(", ") : std::string(1, c);
    }
    return list;
}

// "an integer" -> "an integer in [1, 4096]" / "of at least 1" / "of at most 4096".
std::string rangeText(const mlps_option_spec &option) {
    static const std::map<uint32_t, std::string> kNouns = {
        {MLPS_OPT_INT, "an integer"},
        {MLPS_OPT_FLOAT, "a number"},
        {MLPS_OPT_SIZE, "a size"},
        {MLPS_OPT_DURATION, "a duration"},
        {MLPS_OPT_BANDWIDTH, "a bandwidth"},
    };
    const std::string &noun = kNouns.at(option.type);
    if (option.min_value != nullptr && option.max_value != nullptr) {
        return noun + " in [" + option.min_value + ", " + option.max_value + "]";
    }
    if (option.min_value != nullptr) {
        return noun + " of at least " + option.min_value;
    }
    return noun + " of at most " + option.max_value;
}

class Resolver {
  public:
    Resolver(const mlps_plugin_descriptor &descriptor,
             const PluginUse &use,
             const ExpandContext &expand)
        : descriptor_(descriptor), use_(use), expand_(expand),
          file_(use.sourceName.empty() ? use.optionsAt.file : use.sourceName),
          optionsPath_(childPath(use.keyPath, "options")),
          plugin_(descriptor.name != nullptr ? descriptor.name : "?") {}

    ResolvedOptions run() {
        const uint32_t n = schemaOptionCount(descriptor_);
        if (descriptor_.n_options > 0 &&
            (n == 0 || descriptor_.option_struct_size < sizeof(mlps_option_spec))) {
            throw PluginError(plugin_ + ": the option schema is unreadable (options NULL or "
                                        "option_struct_size too small)");
        }
        for (uint32_t i = 0; i < n; ++i) {
            schema_.push_back(schemaOption(descriptor_, i));
            const char *name = schema_.back().name;
            names_.push_back(name != nullptr ? name : "");
            for (size_t dot = names_.back().find('.'); dot != std::string::npos;
                 dot = names_.back().find('.', dot + 1)) {
                prefixes_.insert(names_.back().substr(0, dot));
            }
        }

        const YAML::Node &options = use_.options;
        if (options.IsDefined() && !options.IsNull()) {
            if (!options.IsMap()) {
                failAt(use_.optionsAt,
                       optionsPath_,
                       "expected a map of options, found " + describeFound(options));
            }
            collect(options, "");
        }

        ResolvedOptions resolved;
        for (size_t i = 0; i < schema_.size(); ++i) {
            resolveOne(schema_[i], names_[i], resolved);
        }
        return resolved;
    }

  private:
    std::string pathOf(const std::string &name) const { return optionsPath_ + "." + name; }

    void collect(const YAML::Node &map, const std::string &prefix) {
        for (const auto &item : map) {
            if (!item.first.IsScalar()) {
                failAt(locationOf(item.first, file_),
                       optionsPath_,
                       "expected an option name, found " + describeFound(item.first));
            }
            const std::string name =
                prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
            const bool isOption = std::find(names_.begin(), names_.end(), name) != names_.end();
            if (isOption) {
                if (given_.count(name) != 0) {
                    failAt(locationOf(item.first, file_),
                           pathOf(name),
                           "option '" + name + "' is given twice (first at " +
                               locationOf(given_[name].key, file_).str() + ")");
                }
                given_[name] = Given{item.first, item.second};
            } else if (prefixes_.count(name) != 0) {
                if (item.second.IsMap()) {
                    collect(item.second, name);
                } else if (!item.second.IsNull()) {
                    std::vector<std::string> under;
                    for (const std::string &candidate : names_) {
                        if (candidate.compare(0, name.size() + 1, name + ".") == 0) {
                            under.push_back(candidate.substr(name.size() + 1));
                        }
                    }
                    failAt(valueLocation(item.first, item.second, file_),
                           pathOf(name),
                           "expected a map of " + joinNames(under) + ", found " +
                               describeFound(item.second));
                }
            } else {
                const std::string guess = didYouMean(name, names_);
                failAt(locationOf(item.first, file_),
                       pathOf(name),
                       "unknown option" + (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
                           " (options of " + plugin_ + ": " +
                           (names_.empty() ? "none" : joinNames(names_)) + ")");
            }
        }
    }

    [[noreturn]] void schemaFail(const std::string &name, const std::string &what) const {
        throw PluginError(plugin_ + ": option '" + name + "': " + what);
    }

    OptionScalar bound(const mlps_option_spec &option, const std::string &name, const char *text) {
        try {
            return parseOptionScalar(option.type, text);
        } catch (const UnitError &e) {
            schemaFail(name, std::string("bad bound: ") + e.what());
        }
    }

    // Checks bounds; `fail` reports "expected <range>, found <text>".
    template <class Fail>
    void checkRange(const mlps_option_spec &option,
                    const std::string &name,
                    const OptionScalar &value,
                    Fail &&fail) {
        if (!isNumericType(option.type)) {
            return;
        }
        if (option.min_value != nullptr &&
            compareOptionScalars(option.type, value, bound(option, name, option.min_value)) < 0) {
            fail(rangeText(option));
        }
        if (option.max_value != nullptr &&
            compareOptionScalars(option.type, value, bound(option, name, option.max_value)) > 0) {
            fail(rangeText(option));
        }
    }

    void resolveOne(const mlps_option_spec &option, const std::string &name, ResolvedOptions &out) {
        mlps_option_value value{};
        value.name = name.c_str();
        value.type = option.type;
        const auto it = given_.find(name);
        if (it != given_.end()) {
            fromSpec(option, name, it->second, value, out);
            return;
        }
        if (option.default_value != nullptr) {
            fromDefault(option, name, value, out);
            return;
        }
        if ((option.flags & MLPS_OPT_F_REQUIRED) != 0) {
            const std::string help = option.help != nullptr && *option.help != '\0'
                                         ? std::string(": ") + option.help
                                         : "";
            failAt(use_.optionsAt,
                   optionsPath_,
                   "missing required option '" + name + "' (" + typeName(option.type) + help + ")");
        }
        value.is_set = 0;
        if (isStringType(option.type)) {
            value.v.s = "";
        }
        out.add(value, nullptr);
    }

    void fromSpec(const mlps_option_spec &option,
                  const std::string &name,
                  const Given &given,
                  mlps_option_value &value,
                  ResolvedOptions &out) {
        const SourceLocation at = valueLocation(given.key, given.value, file_);
        const std::string path = pathOf(name);
        value.is_set = 1;
        if (option.type == MLPS_OPT_JSON) {
            nlohmann::json json;
            try {
                json = yamlToJson(given.value);
            } catch (const ConfigError &e) {
                failAt(at, path, e.what());
            }
            const std::string text = json.dump();
            value.v.s = text.c_str();
            out.add(value, json);
            return;
        }
        if (!given.value.IsScalar()) {
            const std::string expected = option.type == MLPS_OPT_ENUM
                                             ? "one of " + choicesOf(option.choices)
                                             : expectedOf(option.type);
            failAt(at, path, "expected " + expected + ", found " + describeFound(given.value));
        }
        const std::string &text = given.value.Scalar();
        if (isStringType(option.type)) {
            std::string result = text;
            if (option.type == MLPS_OPT_ENUM) {
                if (!isChoice(option.choices != nullptr ? option.choices : "", text)) {
                    std::vector<std::string> choices;
                    std::string choice;
                    for (const char c :
                         std::string(option.choices != nullptr ? option.choices : "")) {
                        if (c == '|') {
                            choices.push_back(choice);
                            choice.clear();
                        } else {
                            choice += c;
                        }
                    }
                    choices.push_back(choice);
                    const std::string guess = didYouMean(text, choices);
                    failAt(at,
                           path,
                           "expected one of " + choicesOf(option.choices) + ", found " +
                               quoteValue(text) +
                               (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
                }
            } else {
                try {
                    result = expandPlaceholders(text, expand_);
                } catch (const PlaceholderError &e) {
                    failAt(at, path, e.what());
                }
            }
            value.v.s = result.c_str();
            out.add(value, result);
            return;
        }
        OptionScalar scalar;
        try {
            scalar = parseOptionScalar(option.type, text);
        } catch (const UnitError &e) {
            failAt(at, path, e.what());
        }
        checkRange(option, name, scalar, [&](const std::string &range) {
            failAt(at, path, "expected " + range + ", found " + std::string(trim(text)));
        });
        store(option.type, scalar, value, out);
    }

    void fromDefault(const mlps_option_spec &option,
                     const std::string &name,
                     mlps_option_value &value,
                     ResolvedOptions &out) {
        const std::string text = option.default_value;
        value.is_set = 1;
        if (option.type == MLPS_OPT_JSON) {
            const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
            if (json.is_discarded()) {
                schemaFail(name, "the default is not valid JSON");
            }
            value.v.s = text.c_str();
            out.add(value, json);
            return;
        }
        if (isStringType(option.type)) {
            std::string result = text;
            if (option.type != MLPS_OPT_ENUM) {
                try {
                    result = expandPlaceholders(text, expand_);
                } catch (const PlaceholderError &e) {
                    schemaFail(name, std::string("bad default: ") + e.what());
                }
            }
            value.v.s = result.c_str();
            out.add(value, result);
            return;
        }
        OptionScalar scalar;
        try {
            scalar = parseOptionScalar(option.type, text);
        } catch (const UnitError &e) {
            schemaFail(name, std::string("bad default: ") + e.what());
        }
        checkRange(option, name, scalar, [&](const std::string &range) {
            schemaFail(name, "the default " + text + " is not " + range);
        });
        store(option.type, scalar, value, out);
    }

    static void store(uint32_t type,
                      const OptionScalar &scalar,
                      mlps_option_value &value,
                      ResolvedOptions &out) {
        switch (type) {
        case MLPS_OPT_BOOL:
            value.v.b = scalar.b ? 1 : 0;
            out.add(value, scalar.b);
            break;
        case MLPS_OPT_INT:
            value.v.i = scalar.i;
            out.add(value, scalar.i);
            break;
        case MLPS_OPT_FLOAT:
            value.v.f = scalar.f;
            out.add(value, scalar.f);
            break;
        default:
            value.v.u = scalar.u;
            out.add(value, scalar.u);
            break;
        }
    }

    const mlps_plugin_descriptor &descriptor_;
    const PluginUse &use_;
    const ExpandContext &expand_;
    const std::string file_;
    const std::string optionsPath_;
    const std::string plugin_;
    std::vector<mlps_option_spec> schema_;
    std::vector<std::string> names_;
    std::set<std::string> prefixes_;
    std::map<std::string, Given> given_;
};

} // namespace

ResolvedOptions resolveOptions(const mlps_plugin_descriptor &descriptor,
                               const PluginUse &use,
                               const ExpandContext &expand) {
    return Resolver(descriptor, use, expand).run();
}

} // namespace mlps::core
