// What `plugins list`, `plugins inspect` and `describe` print.
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "plugin/plugin_report.hpp"

using namespace mlps::core;
using loader_test::fixture;
using loader_test::fixtureDir;

namespace {

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string &text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        out.push_back(line);
    }
    return out;
}

} // namespace

TEST_CASE("capsToString") {
    CHECK(capsToString(0).empty());
    CHECK(capsToString(MLPS_TIER_CAP_ASYNC | MLPS_TIER_CAP_BYTE_RANGE) == "async,byte-range");
    CHECK(capsToString((1ull << 7) - 1) == "async,direct-io,device-memory,persistent,"
                                           "aligned-buffers,byte-range,buffer-alloc");
    CHECK(capsToString(MLPS_TIER_CAP_PERSISTENT | (1ull << 40)) == "persistent,bit40");
}

TEST_CASE("plugins list: an aligned table, shadowed rows, problems, the search path") {
    const std::string a = fixtureDir("duplicate_name/a");
    const std::string b = fixtureDir("duplicate_name/b");
    PluginRegistry registry({{a, "--plugin-path"},
                             {fixtureDir("good"), "--plugin-path"},
                             {b, "$MLPS_PLUGIN_PATH"},
                             {fixtureDir("abi_major_mismatch"), "build tree"},
                             {"/does/not/exist", "installed"}});
    registry.scan();
    std::ostringstream out;
    printPluginList(registry, out);
    const std::string text = out.str();
    const auto rows = lines(text);
    REQUIRE(rows.size() >= 4);

    // Header and rows: every column starts at the same offset.
    const std::string &header = rows[0];
    CHECK(header.rfind("NAME", 0) == 0);
    for (const char *column : {"KIND", "VERSION", "ABI", "CAPS", "PATH"}) {
        CHECK(contains(header, column));
    }
    const size_t kindAt = header.find("KIND");
    const size_t pathAt = header.find("PATH");
    // Sorted by name; the shadowed 'dup' follows the one that wins.
    CHECK(rows[1].rfind("dup", 0) == 0);
    CHECK(rows[1].substr(kindAt, 4) == "tier");
    CHECK(rows[1].substr(pathAt) == a + "/dup.so");
    CHECK(rows[2].rfind("dup", 0) == 0);
    CHECK(rows[2].substr(pathAt) == b + "/dup.so (shadowed by " + a + "/dup.so)");
    CHECK(rows[3].rfind("good", 0) == 0);
    CHECK(rows[3].substr(kindAt, 4) == "tier");
    CHECK(contains(rows[3], "1.0.0"));
    CHECK(contains(rows[3], "byte-range"));

    CHECK(contains(text,
                   "\nproblems:\n  " + fixture("abi_major_mismatch") +
                       ": plugin ABI 2.0 is not supported"));
    CHECK(contains(text, "\nsearch path:\n"));
    CHECK(contains(text, "$MLPS_PLUGIN_PATH"));
    CHECK(contains(text, "build tree"));
    CHECK(contains(text, "installed (does not exist)"));
}

TEST_CASE("plugins list with nothing found says so") {
    PluginRegistry registry(std::vector<SearchDir>{{"/does/not/exist", "--plugin-path"}});
    registry.scan();
    std::ostringstream out;
    printPluginList(registry, out);
    CHECK(out.str().rfind("no plugins found\n", 0) == 0);
}

TEST_CASE("plugins inspect: the manifest and every descriptor of one file") {
    const PluginFile file = loadPluginFile(fixture("good"));
    std::ostringstream out;
    printPluginFile(file, out);
    const std::string text = out.str();
    CHECK(contains(text, "file:     " + fixture("good") + "\n"));
    CHECK(contains(text, "manifest: ABI 1.1 (this mlpsrun: ABI 1.1), 1 plugin\n"));
    CHECK(contains(text, "tier 'good' version 1.0.0\n"));
    CHECK(contains(text, "summary: A minimal in-memory tier written in C (loader fixture).\n"));
    CHECK(contains(text, "caps:    byte-range\n"));
    CHECK(contains(text, "max_objects"));
    CHECK(contains(text, "default 64; range 1 .. 1048576"));
}

TEST_CASE("describe: types, defaults, required/unset, ranges, choices, wrapped help") {
    const std::string longHelp =
        "A long help text that goes on and on, explaining the option in more words than fit on "
        "one line of a terminal, so that the printer has to wrap it at one hundred columns "
        "without breaking any word in the middle or losing one.";
    const mlps_option_spec options[] = {
        {"mode", MLPS_OPT_ENUM, 0, "read", nullptr, nullptr, "read|write|mixed", "What to do."},
        {"path",
         MLPS_OPT_PATH,
         MLPS_OPT_F_REQUIRED,
         nullptr,
         nullptr,
         nullptr,
         nullptr,
         longHelp.c_str()},
        {"limit", MLPS_OPT_SIZE, 0, nullptr, "4KiB", nullptr, nullptr, "At least a page."},
        {"rate", MLPS_OPT_BANDWIDTH, 0, "1GB/s", nullptr, "100GB/s", nullptr, nullptr},
    };
    mlps_benchmark_ops ops{};
    const mlps_plugin_descriptor descriptor = {sizeof(mlps_plugin_descriptor),
                                               MLPS_KIND_BENCHMARK,
                                               "demo",
                                               "2.1",
                                               "A benchmark made up by the test.",
                                               options,
                                               4,
                                               sizeof(mlps_option_spec),
                                               0,
                                               nullptr,
                                               nullptr,
                                               &ops,
                                               nullptr};
    LoadedPlugin plugin;
    plugin.path = "/x/demo.so";
    plugin.descriptor = &descriptor;
    plugin.abiMajor = 1;
    plugin.abiMinor = 0;

    std::ostringstream out;
    printDescribe(plugin, out);
    const std::string text = out.str();
    CHECK(text.rfind("demo (benchmark plugin, version 2.1, ABI 1.0)\n", 0) == 0);
    CHECK(contains(text, "A benchmark made up by the test."));
    CHECK(contains(text, "/x/demo.so"));
    CHECK(contains(text, "mode   enum       default read; one of read|write|mixed\n"));
    CHECK(contains(text, "path   path       required\n"));
    CHECK(contains(text, "limit  size       unset; >= 4KiB\n"));
    CHECK(contains(text, "rate   bandwidth  default 1GB/s; <= 100GB/s\n"));

    // The help is wrapped: no line over 100 columns, every word kept, in order.
    std::string helpWords;
    for (const std::string &line : lines(text)) {
        CHECK(line.size() <= 100);
        if (line.rfind("         ", 0) == 0 && !contains(line, "What to do") &&
            !contains(line, "At least")) {
            helpWords += (helpWords.empty() ? "" : " ") + line.substr(line.find_first_not_of(' '));
        }
    }
    CHECK(helpWords == longHelp);
}
