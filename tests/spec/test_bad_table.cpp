// tests/spec/bad/*.yaml against bad/EXPECTED.txt (file<TAB>fragment), the table the CLI tests
// reuse: each file must be refused with a message that contains its fragment.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "spec/spec_parser.hpp"
#include "spec_test_util.hpp"

using namespace mlps::core;

TEST_SUITE("bad-table") {

    TEST_CASE("every bad spec fails with its expected message") {
        const char *root = std::getenv("MLPS_SOURCE_ROOT");
        REQUIRE_MESSAGE(root != nullptr, "MLPS_SOURCE_ROOT is not set (run through meson test)");
        const std::filesystem::path dir = std::filesystem::path(root) / "tests" / "spec" / "bad";
        std::ifstream table(dir / "EXPECTED.txt");
        REQUIRE(table.good());

        std::set<std::string> listed;
        std::string line;
        while (std::getline(table, line)) {
            if (line.empty()) {
                continue;
            }
            const size_t tab = line.find('\t');
            REQUIRE_MESSAGE(tab != std::string::npos, "no tab in: " << line);
            const std::string file = line.substr(0, tab);
            const std::string fragment = line.substr(tab + 1);
            CAPTURE(file);
            listed.insert(file);
            const std::string message = mlps::test::configErrorOf(
                [&] { loadSpecFile((dir / file).string(), {}, mlps::test::testContext()); });
            CHECK_MESSAGE(message.find(fragment) != std::string::npos,
                          "message: " << message << "\nexpected fragment: " << fragment);
        }
        // Every fixture is in the table, and the table names no missing file.
        std::set<std::string> present;
        for (const auto &entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() == ".yaml") {
                present.insert(entry.path().filename().string());
            }
        }
        CHECK(listed == present);
    }

} // TEST_SUITE
