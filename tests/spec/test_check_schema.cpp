// checkSchema: a plugin's option schema, checked on its own.
#include <string>

#include <doctest/doctest.h>

#include "spec/option_resolver.hpp"

using namespace mlps::core;

namespace {

std::string check(std::vector<mlps_option_spec> options, uint32_t elementSize = 0) {
    static std::vector<mlps_option_spec> storage; // outlives the descriptor for the call
    storage = std::move(options);
    mlps_plugin_descriptor d{};
    d.struct_size = sizeof d;
    d.name = "p";
    d.options = storage.data();
    d.n_options = static_cast<uint32_t>(storage.size());
    d.option_struct_size = elementSize != 0 ? elementSize : sizeof(mlps_option_spec);
    return checkSchema(d);
}

mlps_option_spec opt(const char *name,
                     uint32_t type,
                     const char *defaultValue = nullptr,
                     const char *min = nullptr,
                     const char *max = nullptr,
                     const char *choices = nullptr,
                     uint32_t flags = 0) {
    return mlps_option_spec{name, type, flags, defaultValue, min, max, choices, "help"};
}

} // namespace

TEST_SUITE("schema") {

    TEST_CASE("a good schema") {
        CHECK(check({}) == "");
        CHECK(check({
                  opt("mode", MLPS_OPT_ENUM, "read", nullptr, nullptr, "read|write"),
                  opt("queue_depth", MLPS_OPT_INT, "32", "1", "4096"),
                  opt("ratio", MLPS_OPT_FLOAT, "0.5", "0", "1"),
                  opt("verify", MLPS_OPT_BOOL, "true"),
                  opt("block-size", MLPS_OPT_SIZE, "4KiB", "512", "1GiB"),
                  opt("emulate.latency", MLPS_OPT_DURATION, "10us", "0", "1s"),
                  opt("emulate.bandwidth", MLPS_OPT_BANDWIDTH, nullptr, "1MB/s"),
                  opt("dir", MLPS_OPT_PATH, "{tmpdir}/x-{rank}"),
                  opt("name",
                      MLPS_OPT_STRING,
                      nullptr,
                      nullptr,
                      nullptr,
                      nullptr,
                      MLPS_OPT_F_REQUIRED),
                  opt("extra", MLPS_OPT_JSON, "[1, {\"a\": null}]"),
                  opt("v2", MLPS_OPT_INT),
              }) == "");
    }

    TEST_CASE("each kind of problem") {
        CHECK(check({opt("n", MLPS_OPT_INT, "lots")}) ==
              "option 'n': bad default: expected an integer, found \"lots\"");
        CHECK(check({opt("s", MLPS_OPT_SIZE, "-1")}) ==
              "option 's': bad default: expected a size like 512MiB, 1.5GB or 4096, found \"-1\"");
        CHECK(check({opt("b", MLPS_OPT_BOOL, "maybe")}) ==
              "option 'b': bad default: expected true or false, found \"maybe\"");
        CHECK(check({opt("n", MLPS_OPT_INT, nullptr, "x")}) ==
              "option 'n': bad min_value: expected an integer, found \"x\"");
        CHECK(check({opt("n", MLPS_OPT_INT, nullptr, nullptr, "1.5")}) ==
              "option 'n': bad max_value: expected an integer, found \"1.5\"");
        CHECK(check({opt("n", MLPS_OPT_INT, nullptr, "10", "1")}) ==
              "option 'n': min_value 10 is greater than max_value 1");
        CHECK(check({opt("d", MLPS_OPT_DURATION, nullptr, "2s", "1000ms")}) ==
              "option 'd': min_value 2s is greater than max_value 1000ms");
        CHECK(check({opt("n", MLPS_OPT_INT, "0", "1", "10")}) ==
              "option 'n': the default 0 is below min_value 1");
        CHECK(check({opt("n", MLPS_OPT_INT, "11", "1", "10")}) ==
              "option 'n': the default 11 is above max_value 10");
        CHECK(check({opt("e", MLPS_OPT_ENUM, "a")}) ==
              "option 'e': an enum needs choices like \"read|write\", found \"\"");
        CHECK(check({opt("e", MLPS_OPT_ENUM, nullptr, nullptr, nullptr, "a||b")}) ==
              "option 'e': an enum needs choices like \"read|write\", found \"a||b\"");
        CHECK(check({opt("e", MLPS_OPT_ENUM, "c", nullptr, nullptr, "a|b")}) ==
              "option 'e': the default \"c\" is not one of \"a|b\"");
        CHECK(check({opt("j", MLPS_OPT_JSON, "{oops")}) ==
              "option 'j': the default \"{oops\" is not valid JSON");
        CHECK(check({opt("p", MLPS_OPT_PATH, "/x/{nope}")})
                  .rfind("option 'p': bad default: unknown "
                         "placeholder",
                         0) == 0);
        CHECK(
            check({opt("r", MLPS_OPT_INT, "1", nullptr, nullptr, nullptr, MLPS_OPT_F_REQUIRED)}) ==
            "option 'r': is required and has a default; drop one of them");
        CHECK(check({opt("t", 99)}) == "option 't': unknown type 99");
        CHECK(check({opt("t", 0)}) == "option 't': unknown type 0");
    }

    TEST_CASE("names") {
        CHECK(check({opt(nullptr, MLPS_OPT_INT)}) == "option #0 has no name");
        for (const char *bad : {"", "Mode", "a b", ".a", "a.", "a..b", "a/b", "é"}) {
            CAPTURE(bad);
            CHECK(check({opt("ok", MLPS_OPT_INT), opt(bad, MLPS_OPT_INT)})
                      .rfind("option #1: the name", 0) == 0);
        }
        CHECK(check({opt("a", MLPS_OPT_INT), opt("a", MLPS_OPT_BOOL)}) ==
              "option 'a' is declared twice");
        CHECK(
            check({opt("emulate", MLPS_OPT_BOOL), opt("emulate.bandwidth", MLPS_OPT_BANDWIDTH)}) ==
            "option 'emulate' is also the parent of 'emulate.bandwidth'");
    }

    TEST_CASE("the array itself") {
        mlps_plugin_descriptor d{};
        d.struct_size = sizeof d;
        d.n_options = 2;
        CHECK(checkSchema(d) == "n_options is 2 but options is NULL");
        CHECK(check({opt("a", MLPS_OPT_INT)}, 8) ==
              "option_struct_size 8 is smaller than ABI 1.0's " +
                  std::to_string(sizeof(mlps_option_spec)));
        d.struct_size = 8; // an impossibly old descriptor
        CHECK(checkSchema(d) == "the descriptor is too short to hold an option schema");
    }

} // TEST_SUITE
