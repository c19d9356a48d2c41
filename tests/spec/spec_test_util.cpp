#include "spec_test_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "spec/spec_parser.hpp"
#include "util/errors.hpp"

namespace mlps::test {

const char *const kMinimalSpec = "benchmark:\n"
                                 "  plugin: tierbench\n"
                                 "tiers:\n"
                                 "  - name: fast\n"
                                 "    plugin: dram\n";

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mlps-spec-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string &name, const std::string &content) const {
    const std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out << content;
    return file;
}

std::string configErrorOf(const std::function<void()> &body) {
    try {
        body();
    } catch (const core::ConfigError &e) {
        CHECK(e.exitCode() == 2);
        return e.what();
    } catch (const std::exception &e) {
        FAIL("expected a ConfigError, got another exception: " << e.what());
        return "";
    }
    FAIL("expected a ConfigError, nothing was thrown");
    return "";
}

core::ExpandContext testContext() {
    core::ExpandContext context;
    context.rank = 3;
    context.localRank = 1;
    context.host = "node7";
    context.runId = "r42";
    context.tmpdir = "/scratch";
    return context;
}

core::RunSpec loadText(const std::string &text, const std::vector<std::string> &overrides) {
    return core::loadSpecText(text, "spec.yaml", overrides, testContext());
}

std::string loadError(const std::string &text, const std::vector<std::string> &overrides) {
    return configErrorOf([&] { loadText(text, overrides); });
}

} // namespace mlps::test
