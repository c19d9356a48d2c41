#include "results/run_identity.hpp"

#include <filesystem>
#include <map>

#include <mlps/plugin_abi.h>

#include "build_config.hpp"
#include "results/build_vcs.hpp"
#include "results/run_figures.hpp"

namespace mlps::core {

namespace {

using json = nlohmann::json;

std::vector<std::string> &commandLineStore() {
    static std::vector<std::string> argv;
    return argv;
}

// POSIX shell quoting, so that the recorded command can be pasted back.
std::string quoted(const std::string &arg) {
    if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789@%_-+=:,./") == std::string::npos) {
        return arg;
    }
    std::string out = "'";
    for (char c : arg) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// Which ranks ran on which host, in rank order of first appearance.
json layoutOf(const json &summary) {
    std::vector<std::string> order;
    std::map<std::string, json> ranks;
    for (const auto &host : summary.value("hosts", json::array())) {
        const std::string name = host.value("hostname", "?");
        if (!ranks.contains(name)) {
            order.push_back(name);
            ranks[name] = json::array();
        }
        ranks[name].push_back(host.value("rank", 0));
    }
    json hosts = json::array();
    for (const auto &name : order) {
        hosts.push_back({{"hostname", name}, {"ranks", ranks[name]}});
    }
    return {{"ranks", summary.value("ranks", 1)}, {"hosts", hosts}};
}

json pluginsOf(const json &summary) {
    json plugins = json::array();
    if (const auto it = summary.find("plugins"); it != summary.end() && it->contains("benchmark")) {
        const json &b = (*it)["benchmark"];
        plugins.push_back({{"role", "benchmark"},
                           {"name", b.value("name", "?")},
                           {"version", b.value("version", "?")},
                           {"path", b.value("path", "")}});
    }
    for (const auto &tier : summary.value("tiers", json::array())) {
        plugins.push_back({{"role", "tier " + tier.value("name", "?")},
                           {"name", tier.value("plugin", "?")},
                           {"version", tier.value("version", "?")},
                           {"path", tier.value("path", "")}});
    }
    return plugins;
}

} // namespace

void recordCommandLine(int argc, const char *const *argv) {
    auto &store = commandLineStore();
    store.assign(argv, argv + argc);
}

const std::vector<std::string> &recordedCommandLine() {
    return commandLineStore();
}

namespace {
std::string &launchCommandStore() {
    static std::string command;
    return command;
}
} // namespace

void recordLaunchCommand(const std::string &command) {
    launchCommandStore() = command;
}

json buildIdentity() {
    return {{"version", MLPS_VERSION},
            {"git", MLPS_GIT_DESCRIBE},
            {"abi", std::to_string(MLPS_ABI_MAJOR) + "." + std::to_string(MLPS_ABI_MINOR)}};
}

json runIdentity(const json &summary, const std::vector<std::string> &sets) {
    const auto &argv = recordedCommandLine();
    std::string command;
    for (const auto &arg : argv) {
        command += (command.empty() ? "" : " ") + quoted(arg);
    }
    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    const json spec = summary.value("spec", json::object());
    json identity = {
        {"command_line", argv},
        {"command", command},
        {"cwd", cwd},
        {"sets", sets},
        {"spec",
         {{"source", spec.value("source", "")}, {"hash_fnv1a64", spec.value("hash_fnv1a64", "")}}},
        {"mlps", buildIdentity()},
        {"plugins", pluginsOf(summary)},
        {"layout", layoutOf(summary)}};
    if (!launchCommandStore().empty()) {
        identity["launched_as"] = launchCommandStore();
    }
    return identity;
}

json indexExtras(const json &summary) {
    return {{"identity", summary.value("identity", json::object())},
            {"headline", figuresObject(headlineFigures(summary))}};
}

} // namespace mlps::core
