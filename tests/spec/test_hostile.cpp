// Hostile input: each is refused as a ConfigError (exit 2) before anything is created, and
// quickly — the meson timeout catches a hang; nothing here measures time.
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "spec/spec_parser.hpp"
#include "spec_test_util.hpp"

using namespace mlps::core;
using mlps::test::configErrorOf;
using mlps::test::kMinimalSpec;
using mlps::test::loadError;
using mlps::test::TempDir;
using mlps::test::testContext;

namespace {

std::string fileError(const std::string &path) {
    return configErrorOf([&] { loadSpecFile(path, {}, testContext()); });
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

// "a0: &a0 [x, x, ...]" then each level lists the previous one ten times: 10^levels nodes.
std::string aliasBomb(int levels) {
    std::string text =
        "benchmark:\n  plugin: tierbench\n  options:\n    a0: &a0 [x, x, x, x, x, x, "
        "x, x, x, x]\n";
    for (int i = 1; i < levels; ++i) {
        text += "    a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            text += (j == 0 ? "*a" : ", *a") + std::to_string(i - 1);
        }
        text += "]\n";
    }
    return text + "tiers: [{name: a, plugin: dram}]\n";
}

} // namespace

TEST_SUITE("hostile") {

    TEST_CASE("a file that is not there, or not a file") {
        const TempDir dir;
        CHECK(fileError(dir.path() + "/missing.yaml") ==
              dir.path() + "/missing.yaml: cannot open the spec: No such file or directory");
        CHECK(fileError(dir.path()) == dir.path() + ": is a directory, expected a YAML spec file");

        const std::string fifo = dir.path() + "/fifo.yaml";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        // Opening a FIFO without a writer must not wait.
        CHECK(contains(fileError(fifo), "is not a regular file"));
        CHECK(contains(fileError("/dev/zero"), "is not a regular file"));

        if (::geteuid() != 0) { // root reads anything
            const std::string secret = dir.write("secret.yaml", kMinimalSpec);
            REQUIRE(::chmod(secret.c_str(), 0) == 0);
            CHECK(fileError(secret) == secret + ": cannot open the spec: Permission denied");
        }
    }

    TEST_CASE("empty, blank and comment-only specs") {
        const TempDir dir;
        CHECK(fileError(dir.write("empty.yaml", "")) ==
              dir.path() + "/empty.yaml: the spec is empty");
        CHECK(fileError(dir.write("blank.yaml", " \n\t\n\r\n")) ==
              dir.path() + "/blank.yaml: the spec is empty");
        CHECK(fileError(dir.write("comments.yaml", "# nothing\n  # here\n")) ==
              dir.path() + "/comments.yaml: the spec is empty (only comments)");
        CHECK(loadError("---\n...\n") == "spec.yaml: the spec is empty (no settings)");
    }

    TEST_CASE("binary files") {
        const TempDir dir;
        CHECK(fileError(dir.write("nul.yaml", std::string("benchmark:\n  plugin: x\0y\n", 24))) ==
              dir.path() +
                  "/nul.yaml:2:12: not a text file (a NUL byte; expected a YAML spec in UTF-8)");
        CHECK(fileError(dir.write("latin1.yaml", "run:\n  results_dir: caf\xe9\n")) ==
              dir.path() + "/latin1.yaml:2:19: not a text file (invalid UTF-8; expected a YAML "
                           "spec in UTF-8)");
        std::string elf = "\x7f"
                          "ELF\x02\x01\x01";
        elf += std::string(64, '\0');
        CHECK(contains(fileError(dir.write("program.yaml", elf)), "not a text file"));
        // UTF-16 (with its BOM) holds NUL bytes.
        CHECK(contains(loadError(std::string("\xff\xfe"
                                             "b\0e\0",
                                             6)),
                       "not a text file"));
        for (const char *bad :
             {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"}) {
            CAPTURE(bad);
            CHECK(contains(loadError(std::string("run: ") + bad + "\n"),
                           "spec.yaml:1:6: not a text "
                           "file (invalid UTF-8"));
        }
        // Valid UTF-8 passes the check.
        const auto spec = mlps::test::loadText(
            std::string(kMinimalSpec) +
            "run: {results_dir: \"r\xc3\xa9sultats/\xe6\x97\xa5\xf0\x9f\x98\x80\"}\n");
        CHECK(spec.run.resultsDir == "r\xc3\xa9sultats/\xe6\x97\xa5\xf0\x9f\x98\x80");
    }

    TEST_CASE("a file over the limit is refused by its size, before reading") {
        const TempDir dir;
        const std::string big = dir.path() + "/big.yaml";
        const int fd = ::open(big.c_str(), O_CREAT | O_WRONLY, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, 10 << 20) == 0); // 10 MiB, sparse: cheap to make
        ::close(fd);
        CHECK(fileError(big) == big + ": the spec is 10.00 MiB (10485760 bytes), larger than the "
                                      "limit of 1.00 MiB (1048576 bytes); a spec is a small "
                                      "hand-written YAML file");
        // Just over the limit, as a file and as text.
        std::string text(kMaxSpecBytes + 1, '#');
        CHECK(contains(fileError(dir.write("over.yaml", text)), "(1048577 bytes), larger than"));
        CHECK(contains(loadError(text), "spec.yaml: the spec is 1.00 MiB (1048577 bytes)"));
        // At the limit the size is fine (it is then just a comment).
        text.pop_back();
        CHECK(loadError(text) == "spec.yaml: the spec is empty (only comments)");
    }

    TEST_CASE("invalid YAML is located") {
        CHECK(loadError("benchmark:\n  plugin: [tierbench\ntiers: []\n") ==
              "spec.yaml:3:6: invalid YAML: end of sequence flow not found");
        CHECK(loadError("a: {b: 1\n") == "spec.yaml:2:1: invalid YAML: end of map flow not found");
        CHECK(loadError("a: b\n c: d\n").rfind("spec.yaml:2:3: invalid YAML: ", 0) == 0);
        CHECK(loadError("a: *nowhere\n").rfind("spec.yaml:1:4: invalid YAML: ", 0) == 0);
        CHECK(loadError("\t- x\n").rfind("spec.yaml:", 0) == 0);
    }

    TEST_CASE("a document that starts with a ',' is an error, not a hang") {
        // yaml-cpp 0.7's LoadAll yields empty documents forever on these, growing without bound
        // (found by tests/fuzz; the parser counts documents from events instead).
        CHECK(loadError(",") ==
              "spec.yaml:1:1: invalid YAML: unexpected ',' where a value should start");
        CHECK(loadError("# a comment\n  , x\n") ==
              "spec.yaml:2:3: invalid YAML: unexpected ',' where a value should start");
        CHECK(loadError("&a ,") ==
              "spec.yaml:1:4: invalid YAML: unexpected ',' where a value should start");
        CHECK(loadError(std::string(kMinimalSpec) + "--- ,\n") ==
              "spec.yaml:6:5: invalid YAML: unexpected ',' where a value should start");
    }

    TEST_CASE("alias bombs") {
        // 10^9 nodes after expansion, 700 bytes of text.
        const std::string bomb = aliasBomb(9);
        CHECK(bomb.size() < 1000);
        const std::string message = loadError(bomb);
        CHECK(message.rfind("spec.yaml:", 0) == 0);
        CHECK(contains(message,
                       "too many nodes after alias expansion (alias bomb?): a spec may "
                       "have at most 100000"));
        // The same in a file, and a small legitimate use of aliases passes.
        const TempDir dir;
        CHECK(contains(fileError(dir.write("bomb.yaml", bomb)), "alias bomb"));
        CHECK_NOTHROW(mlps::test::loadText(aliasBomb(3)));
    }

    TEST_CASE("deep nesting") {
        // yaml-cpp 0.7 stops its own recursion (at about 500 flow levels) but calls it "bad file".
        // (It locates the error at the start of the outermost node.)
        CHECK(
            loadError("a: " + std::string(100000, '[')) ==
            "spec.yaml:1:1: nested too deeply (past yaml-cpp's recursion limit; a spec needs a few "
            "levels)");
        CHECK(contains(loadError("a: " + std::string(5000, '{')), "nested too deeply"));
        std::string dashes;
        for (int i = 0; i < 5000; ++i) {
            dashes += "- ";
        }
        CHECK(contains(loadError(dashes + "x\n"), "nested too deeply"));
        // Depths yaml-cpp accepts but no spec needs are refused by the tree walk.
        const std::string deep = "a: " + std::string(300, '[') + std::string(300, ']') + "\n";
        CHECK(contains(loadError(deep), "spec.yaml:1:"));
        CHECK(contains(loadError(deep), "nested more than 256 levels deep"));
        // Block nesting: each level indents one more column.
        std::string block;
        for (int i = 0; i < 400; ++i) {
            block += std::string(i, ' ') + "k:\n";
        }
        CHECK(contains(loadError(block), "nested"));
    }

    TEST_CASE("absurd values") {
        const std::string head =
            "benchmark: {plugin: x}\ntiers:\n  - name: fast\n    plugin: dram\n";
        CHECK(
            contains(loadError(head + "    capacity: 99999999999999999999999999\n"), "too large"));
        CHECK(contains(loadError(head + "    capacity: 5000PiB\n"), "at most 1 EiB"));
        CHECK(contains(loadError(head + "    capacity: -1\n"), "found \"-1\""));
        CHECK(contains(loadError(std::string(kMinimalSpec) + "run: {duration: 100000d}\n"),
                       "at most 30 days"));
        CHECK(contains(loadError(std::string(kMinimalSpec) + "run: {duration: .nan}\n"),
                       "found \".nan\""));
        CHECK(contains(loadError(std::string(kMinimalSpec) + "run: {duration: .inf}\n"),
                       "found \".inf\""));
    }

    TEST_CASE("many tiers and long lines are fine up to the limits") {
        std::string text = "benchmark: {plugin: tierbench}\ntiers:\n";
        for (int i = 0; i < 1000; ++i) {
            text += "  - {name: t" + std::to_string(i) + ", plugin: dram}\n";
        }
        CHECK(mlps::test::loadText(text).tiers.size() == 1000);
        const std::string longValue(500'000, 'x');
        CHECK(contains(loadError(std::string(kMinimalSpec) + "run: {results_dir: " + longValue +
                                 ", keep: " + longValue + "}\n"),
                       "run.keep: expected true or false, found \"xxxx"));
    }

} // TEST_SUITE
