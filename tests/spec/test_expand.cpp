// {rank}-style placeholders.
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "spec/expand.hpp"
#include "spec_test_util.hpp"

using namespace mlps::core;
using mlps::test::testContext;

namespace {

std::string placeholderError(const std::string &text) {
    try {
        expandPlaceholders(text, testContext());
    } catch (const PlaceholderError &e) {
        CHECK(e.exitCode() == 2);
        return e.what();
    }
    FAIL("no PlaceholderError for " << text);
    return "";
}

} // namespace

TEST_SUITE("expand") {

    TEST_CASE("every placeholder expands") {
        const ExpandContext context = testContext();
        CHECK(expandPlaceholders("{rank}", context) == "3");
        CHECK(expandPlaceholders("{local_rank}", context) == "1");
        CHECK(expandPlaceholders("{host}", context) == "node7");
        CHECK(expandPlaceholders("{run_id}", context) == "r42");
        CHECK(expandPlaceholders("{tmpdir}", context) == "/scratch");
        CHECK(expandPlaceholders("{tmpdir}/mlps-{host}-{rank}/{run_id}/{rank}", context) ==
              "/scratch/mlps-node7-3/r42/3");
        CHECK(expandPlaceholders("", context).empty());
        CHECK(expandPlaceholders("plain/path", context) == "plain/path");
    }

    TEST_CASE("doubled braces are literal") {
        const ExpandContext context = testContext();
        CHECK(expandPlaceholders("{{rank}}", context) == "{rank}");
        CHECK(expandPlaceholders("a{{b}}c{rank}", context) == "a{b}c3");
        CHECK(expandPlaceholders("{{{rank}}}", context) == "{3}");
        CHECK(expandPlaceholders("}}{{", context) == "}{");
    }

    TEST_CASE("an empty tmpdir means $TMPDIR, else /tmp") {
        ExpandContext context = testContext();
        context.tmpdir.clear();
        const char *saved = std::getenv("TMPDIR");
        const std::string savedValue = saved != nullptr ? saved : "";
        ::setenv("TMPDIR", "/var/scratch", 1);
        CHECK(expandPlaceholders("{tmpdir}/x", context) == "/var/scratch/x");
        ::unsetenv("TMPDIR");
        CHECK(expandPlaceholders("{tmpdir}/x", context) == "/tmp/x");
        if (saved != nullptr) {
            ::setenv("TMPDIR", savedValue.c_str(), 1);
        }
    }

    TEST_CASE("unknown placeholders and stray braces are errors that name the known ones") {
        const std::string unknown = placeholderError("/data/{foo}/x");
        CHECK(unknown.find("unknown placeholder \"{foo}\"") != std::string::npos);
        CHECK(unknown.find("{rank}, {local_rank}, {host}, {run_id}, {tmpdir}") !=
              std::string::npos);
        CHECK(placeholderError("{rnak}").find("did you mean {rank}?") != std::string::npos);
        CHECK(placeholderError("{RANK}").find("did you mean {rank}?") != std::string::npos);
        CHECK(placeholderError("{}").find("unknown placeholder \"{}\"") != std::string::npos);
        CHECK(placeholderError("a}b").find("a single '}'") != std::string::npos);
        CHECK(placeholderError("a{rank").find("unterminated placeholder") != std::string::npos);
        CHECK(placeholderError("{ rank }").find("unknown placeholder") != std::string::npos);
    }

} // TEST_SUITE
