#include "runtime/plugin_validate.hpp"

#include "runtime/plugin_call.hpp"
#include "spec/yaml_util.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

// The node of a dotted option name ("emulate.bandwidth") under the plugin's options, if the
// spec wrote it.
YAML::Node optionNode(const YAML::Node &options, const std::string &dotted) {
    // reset(), not `=`: assigning a yaml-cpp node writes into the node it refers to. The nodes
    // keep their marks (a clone would not), so the message can point at the spec's line.
    YAML::Node node;
    node.reset(options);
    size_t start = 0;
    while (node && node.IsMap()) {
        const size_t dot = dotted.find('.', start);
        const std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
        const YAML::Node &constNode = node;
        const YAML::Node child = constNode[part]; // a missing key: an invalid node, not a throw
        if (!child.IsDefined()) {
            return YAML::Node(YAML::NodeType::Undefined);
        }
        node.reset(child);
        if (dot == std::string::npos) {
            return node;
        }
        start = dot + 1;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

} // namespace

void runPluginValidate(const LoadedPlugin &plugin,
                       const mlps_host_api *host,
                       ResolvedOptions &options,
                       const PluginUse &use,
                       const std::string &label) {
    const mlps_plugin_descriptor *d = plugin.descriptor;
    if (!MLPS_HAS_FIELD(d, mlps_plugin_descriptor, validate) || d->validate == nullptr) {
        return;
    }
    mlps_error err{};
    mlps_status st = MLPS_OK;
    {
        PluginCallScope scope(label.c_str(), "validate");
        st = d->validate(host, options.config(), &err);
    }
    if (st >= 0) {
        return;
    }
    std::string message = err.message[0] != '\0' ? err.message : "refused its options";
    // "option: why" points at that option in the spec, when the spec wrote it.
    SourceLocation at = use.optionsAt.line != 0 ? use.optionsAt : use.pluginAt;
    std::string keyPath = childPath(use.keyPath, "options");
    // The option a message is about: "NAME: why" (the documented form) or "option 'NAME' ...".
    std::string option;
    const size_t colon = message.find(": ");
    const size_t quoted = message.find("option '");
    const auto isOptionName = [](const std::string &text) {
        return !text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") ==
                                    std::string::npos;
    };
    if (colon < 64 && isOptionName(message.substr(0, colon))) {
        option = message.substr(0, colon);
        message = message.substr(colon + 2);
    } else if (quoted != std::string::npos) {
        const size_t end = message.find('\'', quoted + 8);
        option = end == std::string::npos ? "" : message.substr(quoted + 8, end - quoted - 8);
    }
    if (!option.empty()) {
        keyPath = childPath(keyPath, option);
        try {
            if (use.options && use.options.IsMap()) {
                const YAML::Node node = optionNode(use.options, option);
                if (node.IsDefined()) {
                    at = locationOf(node, use.sourceName);
                }
            }
        } catch (const YAML::Exception &) { // the plugin's block is where it is, then
        }
    }
    throw ConfigError(messageAt(at, keyPath, label + ": " + message));
}

} // namespace mlps::core
