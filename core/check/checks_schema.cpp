// Checks of what a tier declares, before any instance exists: the descriptor, the option
// schema and the file's exported symbols.
#include <algorithm>
#include <set>

#include "check/check_context.hpp"
#include "check/checks.hpp"
#include "check/elf_symbols.hpp"
#include "plugin/tier_caps.hpp"
#include "spec/option_resolver.hpp"

namespace mlps::core::check {

namespace {

void checkDescriptor(CheckContext &ctx) {
    const mlps_plugin_descriptor &d = ctx.descriptor();
    ctx.expect(
        d.version != nullptr && d.version[0] != '\0', "a version (\"1.0.0\")", "version is empty");
    ctx.expect(d.summary != nullptr && d.summary[0] != '\0',
               "a one-line summary for `plugins list`",
               "summary is empty");
    ctx.expect((d.caps & ~kKnownTierCaps) == 0,
               "capability bits among MLPS_TIER_CAP_* (0x7f)",
               "caps has unknown bits: 0x" + [&] {
                   char hex[32];
                   std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(d.caps));
                   return std::string(hex);
               }());
    // Caps that promise an operation the table lacks (tierCapsProblem) never get here: the
    // loader refuses the file, and plugins check reports the loader's message with exit 3.
}

void checkOptionSchema(CheckContext &ctx) {
    const LoadedPlugin &plugin = *ctx.setup().plugin;
    const std::string problem = checkSchema(*plugin.descriptor);
    ctx.expect(problem.empty(), "a schema the loader accepts", problem);
    std::set<std::string> seen;
    for (uint32_t i = 0; i < plugin.descriptor->n_options; ++i) {
        const mlps_option_spec &o = plugin.option(i);
        const std::string name = o.name != nullptr ? o.name : "";
        ctx.expect(seen.insert(name).second,
                   "each option declared once",
                   "option '" + name + "' is declared twice");
        for (const char *common : {"capacity", "keep", "tier_name"}) {
            ctx.expect(name != common,
                       "no option named like a common tier key (capacity, keep, tier_name): the "
                       "core passes those itself",
                       "option '" + name + "' is declared");
        }
        ctx.expect(o.help != nullptr && o.help[0] != '\0',
                   "help text for every option (`mlpsrun describe` prints it)",
                   "option '" + name + "' has none");
        const bool numeric = o.type == MLPS_OPT_INT || o.type == MLPS_OPT_FLOAT ||
                             o.type == MLPS_OPT_SIZE || o.type == MLPS_OPT_DURATION ||
                             o.type == MLPS_OPT_BANDWIDTH;
        ctx.expect(numeric || (o.min_value == nullptr && o.max_value == nullptr),
                   "bounds only on numeric options",
                   "option '" + name + "' is not numeric but has a min or max");
        ctx.expect((o.type == MLPS_OPT_ENUM) == (o.choices != nullptr),
                   "choices on enum options, and only there",
                   "option '" + name + "': " +
                       (o.type == MLPS_OPT_ENUM ? "an enum without choices"
                                                : "choices on a non-enum option"));
    }
    ctx.note(std::to_string(seen.size()) + " option(s)");
}

void checkExportedSymbols(CheckContext &ctx) {
    std::vector<std::string> symbols;
    try {
        symbols = exportedSymbols(ctx.setup().plugin->path);
    } catch (const std::exception &e) {
        ctx.skip(std::string("cannot read the file's symbol table: ") + e.what());
    }
    std::vector<std::string> extra;
    for (const std::string &s : symbols) {
        if (s != MLPS_PLUGIN_ENTRY_NAME) {
            extra.push_back(s);
        }
    }
    if (!extra.empty()) {
        std::string list;
        for (size_t i = 0; i < extra.size() && i < 5; ++i) {
            list += (i == 0 ? "" : ", ") + extra[i];
        }
        if (extra.size() > 5) {
            list += ", ...";
        }
        ctx.fail("only mlps_plugin_entry exported: link with the SDK's version script "
                 "(-Wl,--version-script=$(pkg-config --variable=version_script mlps-plugin-1))",
                 std::to_string(extra.size()) + " more symbol(s) exported: " + list);
    }
}

} // namespace

void addSchemaChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"descriptor",
                      "declaration",
                      "version, summary and capability bits are well-formed",
                      checkDescriptor});
    checks.push_back({"option-schema",
                      "declaration",
                      "every option has a unique name, help text, sane bounds and choices",
                      checkOptionSchema});
    checks.push_back({"exported-symbols",
                      "declaration",
                      "the file exports mlps_plugin_entry and nothing else",
                      checkExportedSymbols});
}

} // namespace mlps::core::check
