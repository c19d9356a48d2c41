// `mlpsrun run kvcache --model llama3.1-8b --users 20`: a benchmark's name in place of a spec
// file starts from that benchmark's shipped default spec, and the --flags after it become
// --set overrides of its options (the reference's flag names too, where they differ), so that a
// flag-typed run reads like a spec run and `--print-spec` turns it into one.
#include "cli/run_flags.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <mlps/plugin.h>

#include "cli/default_spec.hpp"
#include "cli/tierbench_spec.hpp"
#include "plugin/plugin_registry.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

struct ShippedSpec {
    const char *benchmark;
    const char *file; // in share/specs/, embedded at build time
    const char *text;
};

const ShippedSpec kShipped[] = {
    {"kvcache", "share/specs/kvcache-quickstart.yaml", kEmbeddedDefaultSpec},
    {"tierbench", "share/specs/tierbench-quick.yaml", kEmbeddedTierbenchSpec},
};

// How a flag of the reference (mlpstorage / kv-cache.py) reaches a spec key of ours, where the
// name alone does not (`--num-users` -> benchmark.options.users). `unit` is appended to a bare
// number: the reference's `--duration 60` is seconds, `--cpu-mem-gb 32` GiB.
struct Alias {
    const char *benchmark; // nullptr: every benchmark
    const char *flag;
    const char *key;
    const char *unit;
};

const Alias kAliases[] = {
    {nullptr, "duration", "run.duration", "s"},
    {nullptr, "warmup", "run.warmup", "s"},
    {nullptr, "seed", "run.seed", ""},
    {nullptr, "num-processes", "launch.ranks", ""},
    {"kvcache", "num-users", "benchmark.options.users", ""},
    {"kvcache", "cpu-mem-gb", "tiers.dram.capacity", "GiB"},
    {"kvcache", "storage-capacity-gb", "tiers.nvme.capacity", "GiB"},
    {"kvcache", "cache-dir", "tiers.nvme.options.path", ""},
};

// The reference's negative switches: `--disable-multi-turn` sets multi_turn to false.
struct Negation {
    const char *flag;
    const char *option;
};
const Negation kNegations[] = {
    {"disable-multi-turn", "multi_turn"},
    {"disable-prefix-caching", "prefix_caching"},
};

bool looksLikeName(const std::string &text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

bool isNumber(const std::string &text) {
    return !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
}

std::string underscores(std::string text) {
    std::replace(text.begin(), text.end(), '-', '_');
    return text;
}

std::string dashes(std::string text) {
    std::replace(text.begin(), text.end(), '_', '-');
    return text;
}

// The benchmark's options by name, with whether each is a bool (a bare flag means true).
std::vector<std::pair<std::string, bool>> benchmarkOptions(const std::string &benchmark,
                                                           const std::vector<std::string> &paths) {
    PluginRegistry registry(pluginSearchPath(paths, {}));
    const LoadedPlugin &plugin = registry.resolve(MLPS_KIND_BENCHMARK, benchmark);
    std::vector<std::pair<std::string, bool>> out;
    for (uint32_t i = 0; i < plugin.descriptor->n_options; ++i) {
        const mlps_option_spec &o = plugin.option(i);
        out.emplace_back(o.name, o.type == MLPS_OPT_BOOL);
    }
    return out;
}

} // namespace

const char *shippedSpecText(const std::string &benchmark) {
    for (const auto &s : kShipped) {
        if (benchmark == s.benchmark) {
            return s.text;
        }
    }
    return nullptr;
}

bool namesBenchmark(const std::string &specArg) {
    return looksLikeName(specArg) && !std::filesystem::exists(specArg);
}

void applyBenchmarkFlags(RunCommandOptions &options) {
    // `--hosts h1 h2 spec.yaml` (hosts separated by spaces) takes the spec as a host too: a
    // last "host" that is a spec file or a benchmark's name is the SPEC.
    auto &hosts = options.launch.hosts;
    if (options.specPath.empty() && !hosts.empty()) {
        const std::string &last = hosts.back();
        const bool yaml = last.ends_with(".yaml") || last.ends_with(".yml");
        if (yaml || shippedSpecText(last) != nullptr) {
            options.specPath = last;
            hosts.pop_back();
        }
    }
    if (options.specPath.empty() || !namesBenchmark(options.specPath)) {
        if (!options.extraArgs.empty()) {
            throw ConfigError("run: unexpected argument '" + options.extraArgs.front() +
                              "' (flags of a benchmark's options follow a benchmark's name, "
                              "e.g. `mlpsrun run kvcache --users 20`; with a spec file use "
                              "--set KEY=VALUE; see `mlpsrun run --help`)");
        }
        return;
    }
    const std::string benchmark = options.specPath;
    const char *text = shippedSpecText(benchmark);
    if (text == nullptr) {
        std::vector<std::string> known;
        for (const auto &s : kShipped) {
            known.emplace_back(s.benchmark);
        }
        const std::string hint = didYouMean(benchmark, known);
        std::string list;
        for (const auto &k : known) {
            list += (list.empty() ? "" : ", ") + k;
        }
        throw ConfigError("run: '" + benchmark +
                          "' is neither a spec file nor a benchmark with a " +
                          "shipped default spec (" + list + ")" +
                          (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    const auto schema = benchmarkOptions(benchmark, options.pluginPaths);

    std::vector<std::string> sets;
    const auto &args = options.extraArgs;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            throw ConfigError("run " + benchmark + ": unexpected argument '" + arg +
                              "' (options are --name value or --name=value)");
        }
        std::string flag = arg.substr(2);
        std::string value;
        bool hasValue = false;
        if (const size_t eq = flag.find('='); eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag.resize(eq);
            hasValue = true;
        }
        const std::string option = underscores(flag);
        auto takeValue = [&](bool boolean) {
            if (hasValue) {
                return;
            }
            if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                value = args[++i];
            } else if (boolean) {
                value = "true";
            } else {
                throw ConfigError("run " + benchmark + ": --" + flag + " needs a value");
            }
        };

        const auto known = std::find_if(
            schema.begin(), schema.end(), [&](const auto &o) { return o.first == option; });
        if (known != schema.end()) {
            takeValue(known->second);
            sets.push_back("benchmark.options." + option + "=" + value);
            continue;
        }
        const Negation *negation = nullptr;
        for (const auto &n : kNegations) {
            if (flag == n.flag) {
                negation = &n;
            }
        }
        if (negation != nullptr) {
            sets.push_back(std::string("benchmark.options.") + negation->option + "=false");
            continue;
        }
        const Alias *alias = nullptr;
        for (const auto &a : kAliases) {
            if ((a.benchmark == nullptr || benchmark == a.benchmark) &&
                (flag == a.flag || option == underscores(a.flag))) {
                alias = &a;
            }
        }
        if (alias != nullptr) {
            takeValue(false);
            sets.push_back(std::string(alias->key) + "=" + value +
                           (isNumber(value) ? alias->unit : ""));
            continue;
        }
        std::vector<std::string> candidates;
        for (const auto &o : schema) {
            candidates.push_back(dashes(o.first));
        }
        for (const auto &a : kAliases) {
            if (a.benchmark == nullptr || benchmark == a.benchmark) {
                candidates.emplace_back(a.flag);
            }
        }
        for (const auto &n : kNegations) {
            candidates.emplace_back(n.flag);
        }
        const std::string hint = didYouMean(flag, candidates);
        throw ConfigError("run " + benchmark + ": --" + flag + ": unknown option of " + benchmark +
                          (hint.empty() ? "" : "; did you mean --" + hint + "?") +
                          " (its options: `mlpsrun describe " + benchmark + "`)");
    }
    // The flags first: an explicit --set has the last word.
    sets.insert(sets.end(), options.overrides.begin(), options.overrides.end());
    options.overrides = std::move(sets);
    options.extraArgs.clear();
    options.specText = text;
    for (const auto &s : kShipped) {
        if (benchmark == s.benchmark) {
            options.specName = std::string(s.file) + " (" + benchmark + "'s default)";
        }
    }
}

} // namespace mlps::core
