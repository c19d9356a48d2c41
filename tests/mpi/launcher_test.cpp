// The mpiexec command line mlpsrun builds for --hosts / -n.
#include <algorithm>
#include <cstdlib>

#include <doctest/doctest.h>

#include "runtime/launcher.hpp"
#include "util/errors.hpp"

using namespace mlps::core;

namespace {

bool contains(const std::vector<std::string> &argv, const std::vector<std::string> &run) {
    return std::search(argv.begin(), argv.end(), run.begin(), run.end()) != argv.end();
}

} // namespace

TEST_CASE("Open MPI command line") {
    setenv("MLPS_PLUGIN_PATH", "/p", 1);
    unsetenv("OMPI_MCA_odls_base_sigkill_timeout");
    LaunchOptions o;
    o.hosts = {"n1:4", "n2"};
    o.ranks = 6;
    o.oversubscribe = true;
    o.allowRunAsRoot = true;
    o.mpiParams = {"btl=self,tcp", "--bind-to core"};
    const auto argv = buildLaunchCommand(o, "/usr/bin/mpiexec", true, {"/bin/mlpsrun", "run"});
    CHECK(argv.front() == "/usr/bin/mpiexec");
    CHECK(contains(argv, {"-n", "6"}));
    CHECK(contains(argv, {"--host", "n1:4,n2"}));
    CHECK(contains(argv, {"--oversubscribe"}));
    CHECK(contains(argv, {"--allow-run-as-root"}));
    CHECK(contains(argv, {"-x", "MLPS_PLUGIN_PATH"}));
    CHECK(contains(argv, {"--mca", "btl", "self,tcp"}));
    CHECK(contains(argv, {"--bind-to", "core"}));
    CHECK(contains(argv, {"--mca", "odls_base_sigkill_timeout", "2"}));
    // The rank's command comes last.
    CHECK(argv[argv.size() - 2] == "/bin/mlpsrun");
    CHECK(argv.back() == "run");
}

TEST_CASE("MPICH spellings, and MCA parameters refused there") {
    LaunchOptions o;
    o.hosts = {"a", "b"};
    o.hostfile = "/h";
    const auto argv = buildLaunchCommand(o, "mpiexec", false, {"x"});
    CHECK(contains(argv, {"-hosts", "a,b"}));
    CHECK(contains(argv, {"-f", "/h"}));
    o.mpiParams = {"btl=tcp"};
    CHECK_THROWS_AS(buildLaunchCommand(o, "mpiexec", false, {"x"}), ConfigError);
    o.mpiParams = {"nonsense"};
    CHECK_THROWS_AS(buildLaunchCommand(o, "mpiexec", true, {"x"}), ConfigError);
}

TEST_CASE("shell quoting of the printed command") {
    CHECK(shellCommand({"mpiexec", "-n", "2", "a b", "it's"}) == "mpiexec -n 2 'a b' 'it'\\''s'");
}

TEST_CASE("a missing launcher is explained") {
    try {
        findMpiexec("no-such-mpiexec-here");
        FAIL("expected an error");
    } catch (const SystemError &e) {
        const std::string text = e.what();
        CHECK((text.find("not found on PATH") != std::string::npos ||
               text.find("built without MPI") != std::string::npos));
    }
}
