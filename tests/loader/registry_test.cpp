// The search path (order, origins, build tree, relocated install) and the registry (scan,
// shadowing, problems, find with "did you mean", explicit files).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "build_config.hpp"
#include "fixtures.hpp"
#include "plugin/install_dirs.hpp"
#include "plugin/plugin_registry.hpp"
#include "util/errors.hpp"

using namespace mlps::core;
using loader_test::fixture;
using loader_test::fixtureDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> paths(const std::vector<SearchDir> &dirs) {
    std::vector<std::string> out;
    for (const auto &d : dirs) {
        out.push_back(d.path);
    }
    return out;
}

std::vector<std::string> origins(const std::vector<SearchDir> &dirs) {
    std::vector<std::string> out;
    for (const auto &d : dirs) {
        out.push_back(d.origin);
    }
    return out;
}

std::string findError(PluginRegistry &registry, uint32_t kind, const std::string &name) {
    try {
        registry.find(kind, name);
    } catch (const PluginError &e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

SearchDir cli(const std::string &path) {
    return {path, "--plugin-path"};
}

// A fresh empty directory under the build folder, removed at the end of the test.
struct TempDir {
    fs::path path;
    explicit TempDir(const std::string &name)
        : path(fs::path(MLPS_LOADER_FIXTURES) / ("tmp-" + name + "-" + std::to_string(getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

} // namespace

TEST_CASE("search path order: --plugin-path, spec, $MLPS_PLUGIN_PATH, installed") {
    SearchEnvironment env;
    env.pluginPathVar = "/env/one::/env/two:";
    env.exePath = "/nowhere/bin/mlpsrun";
    const auto dirs = pluginSearchPath({"/cli/a", "/cli/b"}, {"/spec/c"}, env);
    CHECK(paths(dirs) ==
          std::vector<std::string>{
              "/cli/a", "/cli/b", "/spec/c", "/env/one", "/env/two", MLPS_INSTALL_PLUGINDIR});
    CHECK(origins(dirs) == std::vector<std::string>{"--plugin-path",
                                                    "--plugin-path",
                                                    "spec plugin_path",
                                                    "$MLPS_PLUGIN_PATH",
                                                    "$MLPS_PLUGIN_PATH",
                                                    "installed"});
}

TEST_CASE("the build tree is searched only when the executable runs from it") {
    SearchEnvironment env;
    env.exePath = std::string(MLPS_BUILD_CORE_DIR) + "/mlpsrun";
    const auto dirs = pluginSearchPath({"/cli"}, {}, env);
    std::vector<std::string> expected = {"/cli"};
    std::vector<std::string> expectedOrigins = {"--plugin-path"};
    const std::string buildDirs = MLPS_BUILD_PLUGIN_DIRS;
    size_t start = 0;
    while (start < buildDirs.size()) {
        size_t end = buildDirs.find(':', start);
        if (end == std::string::npos) {
            end = buildDirs.size();
        }
        if (end > start) {
            expected.push_back(buildDirs.substr(start, end - start));
            expectedOrigins.push_back("build tree");
        }
        start = end + 1;
    }
    expected.push_back(MLPS_INSTALL_PLUGINDIR);
    expectedOrigins.push_back("installed");
    CHECK(paths(dirs) == expected);
    CHECK(origins(dirs) == expectedOrigins);
}

TEST_CASE("a relocated install finds its plugindir next to the executable, when asked") {
    const fs::path rel = fs::path(MLPS_INSTALL_PLUGINDIR).lexically_relative(MLPS_INSTALL_BINDIR);
    REQUIRE(!rel.empty());
    TempDir root("relocated");
    fs::create_directories(root.path / "bin");
    const fs::path plugindir = (root.path / "bin" / rel).lexically_normal();
    SearchEnvironment env;
    env.exePath = (root.path / "bin" / "mlpsrun").string();

    // Not there yet: not listed (it is only a guess).
    CHECK(pluginSearchPath({}, {}, env).size() == 1);

    fs::create_directories(plugindir);
    // A copied binary does not pick up .so files next to it unless that is configured.
    CHECK(pluginSearchPath({}, {}, env).size() == 1);
    ::setenv("MLPS_PLUGIN_RELOCATED", "1", 1);
    const auto dirs = pluginSearchPath({}, {}, env);
    ::unsetenv("MLPS_PLUGIN_RELOCATED");
    REQUIRE(dirs.size() == 2);
    CHECK(dirs[0].path == MLPS_INSTALL_PLUGINDIR);
    CHECK(dirs[1].path == plugindir.string());
    CHECK(dirs[1].origin == "installed");
}

TEST_CASE("the process search path reads $MLPS_PLUGIN_PATH") {
    const char *old = std::getenv("MLPS_PLUGIN_PATH");
    const std::string saved = old != nullptr ? old : "";
    setenv("MLPS_PLUGIN_PATH", "/from/env", 1);
    const auto dirs = pluginSearchPath({"/cli"}, {"/spec"});
    if (old != nullptr) {
        setenv("MLPS_PLUGIN_PATH", saved.c_str(), 1);
    } else {
        unsetenv("MLPS_PLUGIN_PATH");
    }
    REQUIRE(dirs.size() >= 4);
    CHECK(dirs[0].path == "/cli");
    CHECK(dirs[1].path == "/spec");
    CHECK(dirs[2].path == "/from/env");
    CHECK(dirs[2].origin == "$MLPS_PLUGIN_PATH");
}

TEST_CASE("the first of two plugins with the same name wins; the other is shadowed") {
    const std::string a = fixtureDir("duplicate_name/a");
    const std::string b = fixtureDir("duplicate_name/b");
    {
        PluginRegistry registry({cli(a), {b, "$MLPS_PLUGIN_PATH"}});
        registry.scan();
        REQUIRE(registry.entries().size() == 2);
        CHECK_FALSE(registry.entries()[0].shadowed);
        CHECK(registry.entries()[0].origin == "--plugin-path");
        CHECK(registry.entries()[1].shadowed);
        CHECK(registry.entries()[1].plugin.path == b + "/dup.so");
        CHECK(std::string(registry.find(MLPS_KIND_TIER, "dup").descriptor->version) == "a");
        CHECK(registry.problems().empty());
    }
    {
        PluginRegistry registry({cli(b), cli(a)});
        CHECK(std::string(registry.find(MLPS_KIND_TIER, "dup").descriptor->version) == "b");
    }
}

TEST_CASE("missing and repeated directories are skipped silently") {
    const std::string a = fixtureDir("duplicate_name/a");
    PluginRegistry registry({cli(a), cli("/does/not/exist"), cli(a + "/."), cli(fixture("good"))});
    registry.scan();
    CHECK(registry.entries().size() == 1); // a scanned once; a file is not a directory
    CHECK(registry.problems().empty());
    CHECK(registry.dirs().size() == 4);
}

TEST_CASE("files that fail to load become problems; the others still load") {
    PluginRegistry registry({cli(fixtureDir("not_elf")),
                             cli(fixtureDir("abi_major_mismatch")),
                             cli(fixtureDir("good"))});
    registry.scan();
    REQUIRE(registry.entries().size() == 1);
    CHECK(registry.entries()[0].plugin.name() == "good");
    REQUIRE(registry.problems().size() == 2);
    CHECK(registry.problems()[0].path == fixtureDir("not_elf") + "/not_elf.so");
    CHECK(registry.problems()[0].message ==
          fixtureDir("not_elf") + "/not_elf.so: not a shared object (no ELF header)");
    CHECK(registry.problems()[1].path == fixture("abi_major_mismatch"));
    CHECK(&registry.find(MLPS_KIND_TIER, "good") == &registry.entries()[0].plugin);
}

TEST_CASE("a name not found: did you mean, where it looked, what failed to load") {
    PluginRegistry registry(
        {cli(fixtureDir("good")), {fixtureDir("abi_major_mismatch"), "$MLPS_PLUGIN_PATH"}});
    const std::string message = findError(registry, MLPS_KIND_TIER, "goood");
    // Only <dir>/goood.so would be loaded: nothing else is, so nothing else fails to load.
    CHECK(message.rfind("no tier plugin named 'goood' (did you mean 'good'?); looked in: " +
                            fixtureDir("good") + " (--plugin-path), " +
                            fixtureDir("abi_major_mismatch") + " ($MLPS_PLUGIN_PATH); ",
                        0) == 0);
    CHECK(contains(message, "plugin files there: abi_major_mismatch, good"));
    CHECK(registry.problems().empty());
}

TEST_CASE("a name of the other kind says so") {
    PluginRegistry registry({cli(fixtureDir("good"))});
    const std::string message = findError(registry, MLPS_KIND_BENCHMARK, "good");
    CHECK(message.rfind("no benchmark plugin named 'good' ('good' is a tier plugin, in " +
                            fixture("good") + ")",
                        0) == 0);
}

TEST_CASE("nothing found at all: the message says how to fix it") {
    PluginRegistry registry({cli("/does/not/exist")});
    const std::string message = findError(registry, MLPS_KIND_TIER, "dram");
    CHECK(contains(message,
                   "no tier plugin named 'dram'; looked in: /does/not/exist "
                   "(--plugin-path, does not exist)"));
    CHECK(contains(message, "MLPS_PLUGIN_PATH"));
    CHECK(contains(message, "--plugin-path"));
}

TEST_CASE("an explicit file: relative to the current directory, kind checked") {
    PluginRegistry registry({});
    const fs::path old = fs::current_path();
    fs::current_path(MLPS_LOADER_FIXTURES);
    const LoadedPlugin &p = registry.loadExplicit(MLPS_KIND_TIER, "good/good.so");
    fs::current_path(old);
    CHECK(p.name() == "good");
    CHECK(p.path == fixture("good"));

    try {
        registry.loadExplicit(MLPS_KIND_BENCHMARK, fixture("good"));
        FAIL("expected a PluginError");
    } catch (const PluginError &e) {
        CHECK(std::string(e.what()) ==
              fixture("good") + ": holds no benchmark plugin (it has tier 'good')");
    }
}

TEST_CASE("resolve: a name is looked up, a path or *.so is loaded") {
    PluginRegistry registry({cli(fixtureDir("duplicate_name/a"))});
    CHECK(std::string(registry.resolve(MLPS_KIND_TIER, "dup").descriptor->version) == "a");
    CHECK(std::string(registry.resolve(MLPS_KIND_TIER, fixtureDir("duplicate_name/b") + "/dup.so")
                          .descriptor->version) == "b");
    try {
        registry.resolve(MLPS_KIND_TIER, "nothere.so");
        FAIL("expected a PluginError");
    } catch (const PluginError &e) {
        CHECK(contains(e.what(), "nothere.so: no such file"));
    }
    // The explicit file did not join the search results.
    CHECK(registry.entries().size() == 1);
}
