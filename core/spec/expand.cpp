#include "spec/expand.hpp"

#include <cstdlib>
#include <vector>

#include "spec/text_util.hpp"
#include "spec/units.hpp"

namespace mlps::core {

namespace {

const std::vector<std::string> &placeholderNames() {
    static const std::vector<std::string> kNames = {
        "rank", "local_rank", "host", "run_id", "tmpdir"};
    return kNames;
}

std::string knownList() {
    std::string list;
    for (const std::string &name : placeholderNames()) {
        list += (list.empty() ? "{" : ", {") + name + "}";
    }
    return list;
}

std::string tmpdirOf(const ExpandContext &context) {
    if (!context.tmpdir.empty()) {
        return context.tmpdir;
    }
    const char *env = std::getenv("TMPDIR");
    return env != nullptr && *env != '\0' ? env : "/tmp";
}

std::string valueOf(const std::string &name, const ExpandContext &context) {
    if (name == "rank") {
        return std::to_string(context.rank);
    }
    if (name == "local_rank") {
        return std::to_string(context.localRank);
    }
    if (name == "host") {
        // A host name lands in paths: never let it climb out of them or split them.
        std::string safe = context.host;
        for (char &c : safe) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            c = ok ? c : '_';
        }
        if (safe.empty() || safe.find("..") != std::string::npos || safe == ".") {
            for (char &c : safe) {
                c = c == '.' ? '_' : c;
            }
        }
        return safe.empty() ? std::string("host") : safe;
    }
    if (name == "run_id") {
        return context.runId;
    }
    return tmpdirOf(context);
}

} // namespace

std::string expandPlaceholders(const std::string &text, const ExpandContext &context) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') {
                out += '}';
                ++i;
                continue;
            }
            throw PlaceholderError("a single '}' in " + quoteValue(text) +
                                   " (write }} for a literal brace)");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        const size_t close = text.find('}', i + 1);
        if (close == std::string::npos) {
            throw PlaceholderError("unterminated placeholder in " + quoteValue(text) +
                                   " (write {{ for a literal brace; placeholders: " + knownList() +
                                   ")");
        }
        const std::string name = text.substr(i + 1, close - i - 1);
        bool known = false;
        for (const std::string &candidate : placeholderNames()) {
            known = known || candidate == name;
        }
        if (!known) {
            const std::string guess = didYouMean(name, placeholderNames());
            throw PlaceholderError(
                "unknown placeholder " + quoteValue("{" + name + "}") + " in " + quoteValue(text) +
                (guess.empty() ? "" : "; did you mean {" + guess + "}?") +
                " (known: " + knownList() + "; write {{ and }} for literal braces)");
        }
        out += valueOf(name, context);
        i = close;
    }
    return out;
}

} // namespace mlps::core
