#include "spec/spec_parser.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <regex>
#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "spec/expand.hpp"
#include "spec/overrides.hpp"
#include "spec/spec_source.hpp"
#include "spec/text_util.hpp"
#include "spec/units.hpp"
#include "spec/yaml_util.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

constexpr uint64_t kMaxCapacityBytes = uint64_t(1) << 60; // 1 EiB
constexpr uint32_t kMaxRepeat = 1000;
constexpr uint64_t kSecondNs = 1000'000'000;
constexpr uint64_t kMaxDurationNs = 30 * 86400 * kSecondNs; // 30 days
constexpr uint64_t kMinOpTimeoutNs = 10'000'000;            // 10 ms
constexpr uint64_t kMinProgressIntervalNs = 100'000'000;    // 100 ms
constexpr size_t kMaxNameLength = 63;

// One `key: value` of a map, with the key kept for its location.
struct Entry {
    YAML::Node key;
    YAML::Node value;
    std::string path; // full key path of the value
};

bool isPluginId(const std::string &text) {
    static const std::regex kId("[a-z0-9][a-z0-9_-]*");
    return !text.empty() && text.size() <= kMaxNameLength && std::regex_match(text, kId);
}

class SpecReader {
  public:
    SpecReader(const std::string &file, const ExpandContext &expand)
        : file_(file), expand_(expand) {}

    void read(const YAML::Node &root, RunSpec &spec) {
        checkKeys(root, "", {"benchmark", "tiers", "run", "plugin_path", "launch"});
        const std::optional<Entry> benchmark = find(root, "", "benchmark");
        if (!benchmark) {
            failAt(at(root),
                   "",
                   "missing required key 'benchmark' (the benchmark to run, e.g. "
                   "benchmark: {plugin: tierbench})");
        }
        checkPluginMap(*benchmark, {"plugin", "plugin_file", "options"});
        readPluginUse(*benchmark, spec.benchmark);

        if (const std::optional<Entry> run = find(root, "", "run")) {
            readRun(*run, spec.run);
        }

        const std::optional<Entry> tiers = find(root, "", "tiers");
        if (!tiers) {
            failAt(at(root),
                   "",
                   "missing required key 'tiers' (a list of tiers, e.g. tiers: [{name: fast, "
                   "plugin: dram}])");
        }
        readTiers(*tiers, spec.run.keep, spec.tiers);

        if (const std::optional<Entry> pluginPath = find(root, "", "plugin_path")) {
            readPluginPath(*pluginPath, spec.pluginPath);
        }
        if (const std::optional<Entry> launch = find(root, "", "launch")) {
            readLaunch(*launch, spec.launch);
        }
    }

    // launch: {hosts: [h1, "h2:4"], ranks: 8, hostfile, mpi_bin, oversubscribe,
    //          allow_run_as_root, mpi_params: ["btl=self,tcp"]}
    void readLaunch(const Entry &entry, LaunchSettings &launch) {
        if (entry.value.IsNull()) {
            return;
        }
        requireMap(entry, "a map of launch settings (hosts, ranks, hostfile, ...)");
        checkKeys(entry.value,
                  entry.path,
                  {"hosts",
                   "ranks",
                   "hostfile",
                   "mpi_bin",
                   "oversubscribe",
                   "allow_run_as_root",
                   "mpi_params"});
        const YAML::Node &map = entry.value;
        const auto strings = [&](const Entry &e, const std::string &what) {
            std::vector<std::string> out;
            if (e.value.IsSequence()) {
                for (size_t i = 0; i < e.value.size(); ++i) {
                    const YAML::Node element = e.value[i];
                    out.push_back(
                        expanded(e, scalar(Entry{element, element, indexPath(e.path, i)}, what)));
                }
            } else {
                out.push_back(expanded(e, scalar(e, what + " or a list of them")));
            }
            return out;
        };
        if (const auto e = find(map, entry.path, "hosts")) {
            for (const auto &item : strings(*e, "a host (name[:slots])")) {
                // "h1,h2:4" is accepted too, as on the command line.
                size_t at = 0;
                while (at <= item.size()) {
                    const size_t comma = std::min(item.find(',', at), item.size());
                    if (comma > at) {
                        launch.hosts.push_back(item.substr(at, comma - at));
                    }
                    at = comma + 1;
                }
            }
        }
        if (const auto e = find(map, entry.path, "ranks")) {
            const std::string text(trim(scalar(*e, "a number of ranks")));
            const char *end = text.data() + text.size();
            const auto result = std::from_chars(text.data(), end, launch.ranks);
            if (text.empty() || result.ec != std::errc() || result.ptr != end ||
                launch.ranks == 0) {
                expected(*e, "a number of ranks (1 or more)");
            }
        }
        if (const auto e = find(map, entry.path, "hostfile")) {
            launch.hostfile = expanded(*e, scalar(*e, "a file"));
        }
        if (const auto e = find(map, entry.path, "mpi_bin")) {
            launch.mpiBin = expanded(*e, scalar(*e, "a program (mpiexec)"));
        }
        if (const auto e = find(map, entry.path, "oversubscribe")) {
            launch.oversubscribe = boolean(*e);
        }
        if (const auto e = find(map, entry.path, "allow_run_as_root")) {
            launch.allowRunAsRoot = boolean(*e);
        }
        if (const auto e = find(map, entry.path, "mpi_params")) {
            launch.mpiParams = strings(*e, "an MCA parameter key=value");
        }
    }

  private:
    SourceLocation at(const YAML::Node &node) const { return locationOf(node, file_); }
    SourceLocation at(const Entry &entry) const {
        return valueLocation(entry.key, entry.value, file_);
    }

    [[noreturn]] void expected(const Entry &entry, const std::string &what) const {
        failAt(at(entry), entry.path, "expected " + what + ", found " + describeFound(entry.value));
    }

    std::optional<Entry>
    find(const YAML::Node &map, const std::string &path, const char *key) const {
        for (const auto &item : map) {
            if (item.first.Scalar() == key) {
                return Entry{item.first, item.second, childPath(path, key)};
            }
        }
        return std::nullopt;
    }

    void checkKeys(const YAML::Node &map,
                   const std::string &path,
                   const std::vector<std::string> &allowed) const {
        for (const auto &item : map) {
            const std::string &key = item.first.Scalar();
            bool known = false;
            for (const std::string &candidate : allowed) {
                known = known || key == candidate;
            }
            if (known) {
                continue;
            }
            std::string list;
            for (const std::string &candidate : allowed) {
                list += (list.empty() ? "" : ", ") + candidate;
            }
            const std::string guess = didYouMean(key, allowed);
            failAt(at(item.first),
                   childPath(path, key),
                   "unknown key " + quotedKey(key) +
                       (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
                       " (allowed: " + list + ")");
        }
    }

    static std::string quotedKey(const std::string &key) {
        const std::string q = quoteValue(key);
        return q == "\"" + key + "\"" ? "'" + key + "'" : q;
    }

    void requireMap(const Entry &entry, const std::string &what) const {
        if (!entry.value.IsMap()) {
            expected(entry, what);
        }
    }

    const std::string &scalar(const Entry &entry, const std::string &what) const {
        if (!entry.value.IsScalar()) {
            expected(entry, what);
        }
        return entry.value.Scalar();
    }

    std::string expanded(const Entry &entry, const std::string &text) const {
        try {
            return expandPlaceholders(text, expand_);
        } catch (const PlaceholderError &e) {
            failAt(at(entry), entry.path, e.what());
        }
    }

    uint64_t size(const Entry &entry) const {
        try {
            return parseSize(scalar(entry, "a size like 512MiB, 1.5GB or 4096"));
        } catch (const UnitError &e) {
            failAt(at(entry), entry.path, e.what());
        }
    }

    uint64_t duration(const Entry &entry, uint64_t minNs, uint64_t maxNs) const {
        uint64_t ns = 0;
        try {
            ns = parseDurationNs(scalar(entry, "a duration like 30s, 500ms, 2m or 10us"));
        } catch (const UnitError &e) {
            failAt(at(entry), entry.path, e.what());
        }
        if (ns < minNs) {
            expected(entry, "a duration of at least " + formatDurationNs(double(minNs)));
        }
        if (ns > maxNs) {
            expected(entry, "a duration of at most 30 days");
        }
        return ns;
    }

    bool boolean(const Entry &entry) const {
        bool value = false;
        if (!entry.value.IsScalar() || !parseBoolText(entry.value.Scalar(), value)) {
            expected(entry, "true or false");
        }
        return value;
    }

    void checkPluginMap(const Entry &entry, const std::vector<std::string> &allowed) const {
        requireMap(entry, "a map like {plugin: NAME, options: {...}}");
        checkKeys(entry.value, entry.path, allowed);
    }

    // `plugin:` and `options:` of a map that checkPluginMap accepted.
    void readPluginUse(const Entry &entry, PluginUse &use) {
        use.keyPath = entry.path;
        use.sourceName = file_;

        // `plugin:` is a name, searched on the plugin path; loading a file is the separate,
        // explicit `plugin_file:` — a name never becomes a path (no traversal from a name).
        const std::optional<Entry> plugin = find(entry.value, entry.path, "plugin");
        const std::optional<Entry> pluginFile = find(entry.value, entry.path, "plugin_file");
        if (plugin && pluginFile) {
            failAt(at(*pluginFile),
                   entry.path,
                   "give either 'plugin' (a name) or 'plugin_file' (a .so file), not both");
        }
        if (!plugin && !pluginFile) {
            failAt(locationOf(entry.key, file_),
                   entry.path,
                   "missing required key 'plugin' (a plugin name like dram; or plugin_file: a "
                   "path to a .so)");
        }
        const Entry &given = plugin ? *plugin : *pluginFile;
        if (plugin) {
            const std::string &name = scalar(*plugin, "a plugin name like \"dram\"");
            if (!isPluginId(name)) {
                expected(*plugin,
                         std::string("a plugin name ([a-z0-9][a-z0-9_-]*, like \"dram\")") +
                             (name.find('/') != std::string::npos || name.ends_with(".so")
                                  ? "; to load a file give plugin_file: " + name
                                  : ""));
            }
            use.plugin = name;
        } else {
            const std::string &path = scalar(*pluginFile, "a path to a plugin file (.so)");
            if (path.empty()) {
                expected(*pluginFile, "a path to a plugin file (.so)");
            }
            use.plugin = expanded(*pluginFile, path);
            use.fromFile = true;
        }
        const Entry &pluginEntry = given;
        use.pluginAt = at(pluginEntry);

        use.optionsAt = use.pluginAt;
        use.options = YAML::Node(YAML::NodeType::Null);
        if (const std::optional<Entry> options = find(entry.value, entry.path, "options")) {
            if (!options->value.IsNull()) {
                requireMap(*options, "a map of options");
                use.options = options->value;
            }
            use.optionsAt = at(*options);
        }
    }

    void readRun(const Entry &entry, RunSettings &run) {
        if (entry.value.IsNull()) {
            return; // `run:` with nothing under it: all defaults
        }
        requireMap(entry, "a map of run settings");
        checkKeys(entry.value,
                  entry.path,
                  {"duration",
                   "warmup",
                   "seed",
                   "results_dir",
                   "keep",
                   "progress_interval",
                   "stonewall",
                   "op_timeout",
                   "repeat"});
        const YAML::Node &map = entry.value;
        if (const auto e = find(map, entry.path, "duration")) {
            run.durationNs = duration(*e, 0, kMaxDurationNs);
        }
        if (const auto e = find(map, entry.path, "warmup")) {
            run.warmupNs = duration(*e, 0, kMaxDurationNs);
        }
        if (const auto e = find(map, entry.path, "progress_interval")) {
            run.progressIntervalNs = duration(*e, kMinProgressIntervalNs, kMaxDurationNs);
        }
        if (const auto e = find(map, entry.path, "seed")) {
            const std::string text(trim(scalar(*e, "an unsigned 64-bit integer")));
            const char *end = text.data() + text.size();
            const auto result = std::from_chars(text.data(), end, run.seed);
            if (text.empty() || result.ec != std::errc() || result.ptr != end) {
                expected(*e, "an unsigned 64-bit integer");
            }
        }
        if (const auto e = find(map, entry.path, "results_dir")) {
            const std::string &dir = scalar(*e, "a directory");
            if (dir.empty()) {
                expected(*e, "a directory");
            }
            run.resultsDir = expanded(*e, dir);
        }
        if (const auto e = find(map, entry.path, "keep")) {
            run.keep = boolean(*e);
        }
        if (const auto e = find(map, entry.path, "stonewall")) {
            run.stonewall = boolean(*e);
        }
        if (const auto e = find(map, entry.path, "op_timeout")) {
            run.opTimeoutNs = duration(*e, kMinOpTimeoutNs, kMaxDurationNs);
        }
        if (const auto e = find(map, entry.path, "repeat")) {
            const std::string text(trim(scalar(*e, "a number of runs from 1 to 1000")));
            const char *end = text.data() + text.size();
            const auto result = std::from_chars(text.data(), end, run.repeat);
            if (text.empty() || result.ec != std::errc() || result.ptr != end || run.repeat < 1 ||
                run.repeat > kMaxRepeat) {
                expected(*e, "a number of runs from 1 to 1000");
            }
        }
    }

    void readTiers(const Entry &entry, bool keepByDefault, std::vector<TierSpec> &tiers) {
        if (!entry.value.IsSequence() || entry.value.size() == 0) {
            expected(entry, "a non-empty list of tiers, like [{name: fast, plugin: dram}]");
        }
        for (size_t i = 0; i < entry.value.size(); ++i) {
            const YAML::Node element = entry.value[i];
            TierSpec tier;
            // A list element has no key of its own: locate it by itself.
            const Entry item{element, element, indexPath(entry.path, i)};
            checkPluginMap(item, {"name", "plugin", "plugin_file", "capacity", "keep", "options"});

            const std::optional<Entry> name = find(element, item.path, "name");
            if (!name) {
                failAt(at(element), item.path, "missing required key 'name' (like name: fast)");
            }
            tier.name = scalar(*name, "a tier name like \"fast\"");
            if (!isPluginId(tier.name)) {
                expected(*name,
                         "a tier name of lowercase letters, digits, '_' and '-', starting with a "
                         "letter or digit (at most 63 characters)");
            }
            for (size_t j = 0; j < tiers.size(); ++j) {
                if (tiers[j].name == tier.name) {
                    failAt(at(*name),
                           name->path,
                           "duplicate tier name '" + tier.name + "' (already used by " +
                               indexPath(entry.path, j) + ")");
                }
            }
            readPluginUse(item, tier);
            if (const auto capacity = find(element, item.path, "capacity")) {
                if (!capacity->value.IsNull()) {
                    tier.capacityBytes = size(*capacity);
                }
                if (tier.capacityBytes > kMaxCapacityBytes) {
                    expected(*capacity, "a capacity of at most 1 EiB (0 = the tier decides)");
                }
            }
            tier.keep = keepByDefault;
            if (const auto keep = find(element, item.path, "keep")) {
                tier.keep = boolean(*keep);
            }
            tiers.push_back(std::move(tier));
        }
    }

    void readPluginPath(const Entry &entry, std::vector<std::string> &dirs) {
        const auto add = [&](const Entry &dir) {
            const std::string &text = scalar(dir, "a directory");
            if (text.empty()) {
                expected(dir, "a directory");
            }
            dirs.push_back(expanded(dir, text));
        };
        if (entry.value.IsSequence()) {
            for (size_t i = 0; i < entry.value.size(); ++i) {
                const YAML::Node element = entry.value[i];
                add(Entry{element, element, indexPath(entry.path, i)});
            }
        } else if (entry.value.IsScalar()) {
            add(entry);
        } else {
            expected(entry, "a directory or a list of directories");
        }
    }

    const std::string &file_;
    const ExpandContext &expand_;
};

// Where each document of a YAML text starts and where its root node is, from the parser's
// events (nothing is built). yaml-cpp 0.7 never consumes a token that cannot start a node at the
// top of a document (",", "--- ,", "&a ,"): it reports an empty document and, asked for the
// next one, the same again, forever. YAML::LoadAll then grows without bound (found by
// tests/fuzz). A document that starts where the previous one did is that case.
class DocumentCounter : public YAML::EventHandler {
  public:
    std::vector<YAML::Mark> starts;
    std::vector<YAML::Mark> roots;

    bool stalled() const {
        return starts.size() > 1 && starts.back().pos == starts[starts.size() - 2].pos;
    }

    void OnDocumentStart(const YAML::Mark &mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark &mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark &mark,
                  const std::string &,
                  YAML::anchor_t,
                  const std::string &) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark &mark,
                         const std::string &,
                         YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark &mark,
                    const std::string &,
                    YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

  private:
    void node(const YAML::Mark &mark) {
        if (roots.size() < starts.size()) {
            roots.push_back(mark);
        }
    }
};

SourceLocation locationOfMark(const YAML::Mark &mark, const std::string &sourceName) {
    return mark.is_null() ? SourceLocation{sourceName, 0, 0}
                          : SourceLocation{sourceName, mark.line + 1, mark.column + 1};
}

YAML::Node parseYaml(const std::string &text, const std::string &sourceName) {
    DocumentCounter counter;
    YAML::Node root;
    try {
        std::istringstream in(text);
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(counter)) {
            if (counter.stalled()) {
                const YAML::Mark &at = counter.starts.back();
                const std::string token = at.pos >= 0 && static_cast<size_t>(at.pos) < text.size()
                                              ? std::string(1, text[static_cast<size_t>(at.pos)])
                                              : std::string("end of file");
                failAt(locationOfMark(at, sourceName),
                       "",
                       "invalid YAML: unexpected '" + token + "' where a value should start");
            }
        }
        if (counter.starts.size() == 1) {
            root = YAML::Load(text);
        }
    } catch (const YAML::DeepRecursion &e) {
        // yaml-cpp 0.7 guards its recursion (so the stack is safe) but says "bad file".
        failAt(locationOfMark(e.mark, sourceName),
               "",
               "nested too deeply (past yaml-cpp's recursion limit; a spec needs a few levels)");
    } catch (const YAML::Exception &e) {
        failAt(locationOfMark(e.mark, sourceName), "", "invalid YAML: " + e.msg);
    }
    if (counter.starts.empty()) {
        throw ConfigError(sourceName + ": the spec is empty (only comments)");
    }
    if (counter.starts.size() > 1) {
        const YAML::Mark &second = counter.roots.size() > 1 ? counter.roots[1] : counter.starts[1];
        failAt(locationOfMark(second, sourceName),
               "",
               "expected one YAML document, found " + std::to_string(counter.starts.size()) +
                   " (remove the '---' separators)");
    }
    return root;
}

} // namespace

RunSpec loadSpecText(const std::string &text,
                     const std::string &sourceName,
                     const std::vector<std::string> &overrides,
                     const ExpandContext &expand) {
    checkSpecText(text, sourceName);
    RunSpec spec;
    spec.sourceName = sourceName;
    spec.text = text;
    spec.root = parseYaml(text, sourceName);
    if (spec.root.IsNull()) {
        throw ConfigError(sourceName + ": the spec is empty (no settings)");
    }
    checkTree(spec.root, sourceName);
    if (!spec.root.IsMap()) {
        failAt(locationOf(spec.root, sourceName),
               "",
               "expected the top level to be a map with benchmark:, tiers: and run:, found " +
                   describeFound(spec.root));
    }
    for (const std::string &override : overrides) {
        applyOverride(spec.root, override);
    }
    if (!overrides.empty()) {
        checkTree(spec.root, sourceName);
    }
    SpecReader(sourceName, expand).read(spec.root, spec);
    spec.overrides = overrides;
    return spec;
}

RunSpec loadSpecFile(const std::string &path,
                     const std::vector<std::string> &overrides,
                     const ExpandContext &expand) {
    return loadSpecText(readSpecFile(path), path, overrides, expand);
}

} // namespace mlps::core
