// libFuzzer target for the run-spec front end (core/spec): arbitrary bytes are parsed as a spec.
// The parser's contract (spec_parser.hpp) is that bad input of any kind ends in a ConfigError
// naming where it went wrong; anything else escaping (another exception, a crash, a sanitizer
// report, a hang) is a bug. Input layout: the bytes before the first NUL are the spec text; each
// NUL-separated piece after it is one `--set key.path=value` override, so overrides are fuzzed
// against the same tree (the spec text itself may never contain NUL: a NUL is a "binary file"
// ConfigError, which the fuzzer also finds on its own).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec_parser.hpp"
#include "util/errors.hpp"

namespace {

// Fixed, so that a crash found with one input reproduces on any machine.
mlps::core::ExpandContext fuzzContext() {
    mlps::core::ExpandContext context;
    context.rank = 1;
    context.localRank = 0;
    context.host = "fuzzhost";
    context.runId = "fuzz";
    context.tmpdir = "/nonexistent-fuzz-tmp";
    return context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const size_t firstNul = input.find('\0');
    const std::string text(input.substr(0, firstNul));
    std::vector<std::string> overrides;
    if (firstNul != std::string_view::npos) {
        std::string_view rest = input.substr(firstNul + 1);
        while (!rest.empty()) {
            const size_t nul = rest.find('\0');
            overrides.emplace_back(rest.substr(0, nul));
            rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
        }
    }
    try {
        (void)mlps::core::loadSpecText(text, "fuzz.yaml", overrides, fuzzContext());
    } catch (const mlps::core::ConfigError &) {
        // The documented outcome for bad input.
    } catch (const std::exception &e) {
        std::fprintf(stderr, "spec parser: escaped a non-ConfigError exception: %s\n", e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "spec parser: escaped a non-std exception\n");
        std::abort();
    }
    return 0;
}
