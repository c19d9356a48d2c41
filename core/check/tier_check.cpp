#include "check/tier_check.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>

#include "check/check_context.hpp"
#include "check/checks.hpp"
#include "check/child_process.hpp"
#include "spec/units.hpp"
#include "util/errors.hpp"
#include "util/sys_info.hpp"

namespace fs = std::filesystem;

namespace mlps::core::check {

namespace {

const char *outcomeWord(Outcome outcome) {
    switch (outcome) {
    case Outcome::Pass:
        return "pass";
    case Outcome::Fail:
        return "FAIL";
    case Outcome::Skip:
        return "skip";
    }
    return "?";
}

// The scratch folder of one run: created here, removed with everything in it at the end, even
// when a check was killed halfway.
class ScratchFolder {
  public:
    explicit ScratchFolder(const std::string &root) {
        std::string pattern = (root.empty() ? tempDir() : root) + "/mlps-check-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) == nullptr) {
            throw SystemError("plugins check: cannot create a scratch folder " + pattern + ": " +
                              std::strerror(errno));
        }
        path_ = buf.data();
    }
    ~ScratchFolder() { removeAll(path_); }
    const std::string &path() const { return path_; }

    static void removeAll(const std::string &path) {
        std::error_code ec;
        // A tier may leave read-only folders behind; make them removable first.
        for (auto it = fs::recursive_directory_iterator(path, ec);
             !ec && it != fs::recursive_directory_iterator();
             it.increment(ec)) {
            if (it->is_directory(ec)) {
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
            }
        }
        fs::remove_all(path, ec);
    }

  private:
    std::string path_;
};

// Splits the --set values into the plugin's options (a spec options map) and `capacity`.
YAML::Node optionsFromSets(const std::vector<std::string> &sets, uint64_t &capacity) {
    YAML::Node options(YAML::NodeType::Map);
    for (const std::string &set : sets) {
        const size_t eq = set.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw ConfigError("--set " + set + ": expected option=value (e.g. direct=false)");
        }
        const std::string key = set.substr(0, eq);
        const std::string value = set.substr(eq + 1);
        if (key == "capacity") {
            try {
                capacity = parseSize(value);
            } catch (const std::exception &e) {
                throw ConfigError("--set capacity: " + std::string(e.what()));
            }
            continue;
        }
        if (key == "keep" || key == "tier_name") {
            throw ConfigError("--set " + key + ": the checker sets it itself");
        }
        YAML::Node parsed;
        try {
            parsed = YAML::Load(value);
        } catch (const YAML::Exception &) {
            parsed = YAML::Node(value);
        }
        options[key] = parsed.IsNull() ? YAML::Node(value) : parsed;
    }
    return options;
}

// PATH options the user left alone that a tier cannot go without (required ones, and one
// called `path`): they point at the check's scratch folder.
std::vector<std::string> scratchOptionsOf(const LoadedPlugin &plugin, const YAML::Node &given) {
    std::vector<std::string> names;
    for (uint32_t i = 0; i < plugin.descriptor->n_options; ++i) {
        const mlps_option_spec &o = plugin.option(i);
        if (o.name == nullptr || o.type != MLPS_OPT_PATH || given[o.name]) {
            continue;
        }
        if ((o.flags & MLPS_OPT_F_REQUIRED) != 0 || std::string(o.name) == "path") {
            names.push_back(o.name);
        }
    }
    return names;
}

CheckResult runOne(const CheckDef &def, const CheckSetup &setup, const std::string &scratch) {
    CheckResult result;
    result.name = def.name;
    result.group = def.group;
    result.title = def.title;
    std::error_code ec;
    fs::create_directories(scratch, ec);
    const ChildResult child = runInChild(
        [&]() -> std::string {
            CheckContext ctx(setup, scratch);
            nlohmann::json out;
            try {
                def.run(ctx);
                out["outcome"] = "pass";
            } catch (const CheckFailure &f) {
                out["outcome"] = "fail";
                out["expected"] = f.expected;
                out["happened"] = f.happened;
            } catch (const CheckSkipped &s) {
                out["outcome"] = "skip";
                out["happened"] = s.why;
            } catch (const std::exception &e) {
                out["outcome"] = "fail";
                out["expected"] = "the check runs to its end";
                out["happened"] = e.what();
            }
            out["notes"] = ctx.notes();
            out["logs"] = ctx.logs();
            return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        },
        setup.deadlineNs);
    result.elapsedNs = child.elapsedNs;
    const std::string where = child.step.empty() ? "" : " in " + child.step;
    if (child.kind == ChildResult::Kind::TimedOut) {
        result.outcome = Outcome::Fail;
        result.expected = child.stepDeadline ? "the call returns at once (within " +
                                                   formatDurationNs(double(setup.promptNs)) + ")"
                                             : "the check ends within its deadline of " +
                                                   formatDurationNs(double(setup.deadlineNs));
        result.happened = "the plugin hung" + where + "; the check was killed after " +
                          formatDurationNs(double(child.elapsedNs));
    } else if (child.kind == ChildResult::Kind::Signaled) {
        result.outcome = Outcome::Fail;
        result.expected = "no crash";
        result.happened = std::string("the check's process died of signal ") +
                          std::to_string(child.code) + " (" + strsignal(child.code) + ")" + where;
    } else {
        const nlohmann::json out = nlohmann::json::parse(child.output, nullptr, false);
        if (out.is_discarded() || !out.is_object()) {
            result.outcome = Outcome::Fail;
            result.expected = "the check reports a result";
            result.happened = "its process exited (code " + std::to_string(child.code) +
                              ") without one" + where + " (did the plugin call exit()?)";
        } else {
            const std::string outcome = out.value("outcome", "fail");
            result.outcome = outcome == "pass"   ? Outcome::Pass
                             : outcome == "skip" ? Outcome::Skip
                                                 : Outcome::Fail;
            result.expected = out.value("expected", "");
            result.happened = out.value("happened", "");
            result.notes = out.value("notes", std::vector<std::string>{});
            result.logs = out.value("logs", std::vector<std::string>{});
        }
    }
    ScratchFolder::removeAll(scratch);
    return result;
}

} // namespace

const std::vector<CheckDef> &tierChecks() {
    static const std::vector<CheckDef> checks = [] {
        std::vector<CheckDef> all;
        addSchemaChecks(all);
        addLifecycleChecks(all);
        addQueueChecks(all);
        addDataChecks(all);
        addCapacityChecks(all);
        addConcurrencyChecks(all);
        return all;
    }();
    return checks;
}

size_t TierCheckReport::count(Outcome outcome) const {
    return static_cast<size_t>(
        std::count_if(results.begin(), results.end(), [&](const CheckResult &r) {
            return r.outcome == outcome;
        }));
}

TierCheckReport runTierChecks(const LoadedPlugin &plugin,
                              const TierCheckSettings &settings,
                              const std::function<void(const CheckResult &)> &onResult) {
    if (!plugin.isTier()) {
        throw PluginError(plugin.path + ": '" + plugin.name() +
                          "' is a benchmark plugin; plugins check certifies tier plugins");
    }
    std::vector<const CheckDef *> selected;
    for (const std::string &name : settings.only) {
        const auto &all = tierChecks();
        auto it =
            std::find_if(all.begin(), all.end(), [&](const CheckDef &d) { return name == d.name; });
        if (it == all.end()) {
            std::vector<std::string> names;
            for (const auto &d : all) {
                names.push_back(d.name);
            }
            const std::string guess = didYouMean(name, names);
            throw ConfigError("--check " + name + ": no such check" +
                              (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
        }
    }
    for (const auto &def : tierChecks()) {
        if (settings.only.empty() ||
            std::find(settings.only.begin(), settings.only.end(), def.name) !=
                settings.only.end()) {
            selected.push_back(&def);
        }
    }

    CheckSetup setup;
    setup.plugin = &plugin;
    setup.capacity = settings.capacity;
    setup.options = optionsFromSets(settings.sets, setup.capacity);
    setup.scratchOptions = scratchOptionsOf(plugin, setup.options);
    setup.deadlineNs = settings.deadlineNs;
    setup.promptNs = std::min(settings.promptNs, settings.deadlineNs);

    TierCheckReport report;
    report.plugin = plugin.name();
    report.version = plugin.descriptor->version != nullptr ? plugin.descriptor->version : "";
    report.path = plugin.path;
    // Resolve once here: a bad --set is a usage error before anything runs.
    report.options = resolveTierOptions(setup, "<scratch>", setup.capacity).json();
    report.options["capacity"] = setup.capacity;

    ScratchFolder scratch(settings.scratchRoot);
    size_t index = 0;
    for (const CheckDef *def : selected) {
        char prefix[8];
        std::snprintf(prefix, sizeof prefix, "%02zu-", ++index);
        report.results.push_back(runOne(*def, setup, scratch.path() + "/" + prefix + def->name));
        if (onResult) {
            onResult(report.results.back());
        }
    }
    return report;
}

void printCheckResult(const CheckResult &r, std::ostream &out) {
    out << "  " << outcomeWord(r.outcome) << "  " << std::left << std::setw(26) << r.name << r.title
        << "\n";
    if (r.outcome == Outcome::Fail) {
        out << "        expected: " << r.expected << "\n";
        out << "        happened: " << r.happened << "\n";
        for (const std::string &line : r.logs) {
            out << "        tier log: " << line << "\n";
        }
    } else if (r.outcome == Outcome::Skip) {
        out << "        (" << r.happened << ")\n";
    }
    for (const std::string &note : r.notes) {
        out << "        note: " << note << "\n";
    }
}

void printCheckVerdict(const TierCheckReport &report, std::ostream &out) {
    const size_t failed = report.count(Outcome::Fail);
    const size_t passed = report.count(Outcome::Pass);
    const size_t skipped = report.count(Outcome::Skip);
    out << "verdict: " << (failed == 0 ? "PASS" : "FAIL") << " - " << passed << " passed, "
        << failed << " failed, " << skipped << " skipped (not applicable)";
    if (failed != 0) {
        out << "; failed:";
        for (const auto &r : report.results) {
            if (r.outcome == Outcome::Fail) {
                out << " " << r.name;
            }
        }
    }
    out << "\n";
}

nlohmann::json checkReportJson(const TierCheckReport &report) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto &r : report.results) {
        nlohmann::json c = {
            {"name", r.name},
            {"group", r.group},
            {"title", r.title},
            {"outcome",
             outcomeWord(r.outcome) == std::string("FAIL") ? "fail" : outcomeWord(r.outcome)},
            {"elapsed_ns", r.elapsedNs}};
        if (r.outcome == Outcome::Fail) {
            c["expected"] = r.expected;
            c["happened"] = r.happened;
            c["tier_log"] = r.logs;
        } else if (r.outcome == Outcome::Skip) {
            c["reason"] = r.happened;
        }
        c["notes"] = r.notes;
        checks.push_back(c);
    }
    return {{"plugin", report.plugin},
            {"version", report.version},
            {"path", report.path},
            {"options", report.options},
            {"verdict", report.passed() ? "pass" : "fail"},
            {"passed", report.count(Outcome::Pass)},
            {"failed", report.count(Outcome::Fail)},
            {"skipped", report.count(Outcome::Skip)},
            {"checks", checks}};
}

} // namespace mlps::core::check
