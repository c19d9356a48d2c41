#include "spec/yaml_util.hpp"

#include <charconv>
#include <cmath>
#include <unordered_map>

#include "spec/text_util.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

SourceLocation fromMark(const YAML::Mark &mark, const std::string &file) {
    if (mark.is_null() || mark.line < 0) {
        return SourceLocation{"--set", 0, 0};
    }
    return SourceLocation{file, mark.line + 1, mark.column + 1};
}

class TreeChecker {
  public:
    explicit TreeChecker(const std::string &file) : file_(file) {}

    void visit(const YAML::Node &node, int depth) {
        count(node, depth);
        if (node.IsSequence()) {
            for (const YAML::Node &element : node) {
                visit(element, depth + 1);
            }
        } else if (node.IsMap()) {
            std::unordered_map<std::string, YAML::Mark> seen;
            for (const auto &entry : node) {
                count(entry.first, depth + 1);
                if (!entry.first.IsScalar()) {
                    failAt(locationOf(entry.first, file_),
                           "",
                           "expected a plain text key, found " + describeFound(entry.first));
                }
                const auto [it, inserted] = seen.emplace(entry.first.Scalar(), entry.first.Mark());
                if (!inserted) {
                    const SourceLocation first = fromMark(it->second, file_);
                    failAt(locationOf(entry.first, file_),
                           "",
                           "key " + quoteValue(entry.first.Scalar()) + " given twice (first at " +
                               first.str() + ")");
                }
                visit(entry.second, depth + 1);
            }
        }
    }

  private:
    void count(const YAML::Node &node, int depth) {
        if (++visited_ > kMaxSpecNodes) {
            failAt(locationOf(node, file_),
                   "",
                   "too many nodes after alias expansion (alias bomb?): a spec may have at most " +
                       std::to_string(kMaxSpecNodes));
        }
        if (depth > kMaxSpecDepth) {
            failAt(locationOf(node, file_),
                   "",
                   "nested more than " + std::to_string(kMaxSpecDepth) + " levels deep");
        }
    }

    const std::string &file_;
    size_t visited_ = 0;
};

bool isPlainNull(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

nlohmann::json scalarToJson(const YAML::Node &node) {
    const std::string &text = node.Scalar();
    // "!" is yaml-cpp's tag for a quoted scalar; an explicit tag (!!str ...) also means "as is".
    if (node.Tag() != "?" && !node.Tag().empty()) {
        return text;
    }
    if (isPlainNull(text)) {
        return nullptr;
    }
    bool flag = false;
    if (text != "yes" && text != "no" && text != "on" && text != "off" &&
        parseBoolText(text, flag)) {
        return flag;
    }
    const char *begin = text.data();
    const char *end = begin + text.size();
    const char *digits = begin + (text[0] == '+' ? 1 : 0);
    int64_t i = 0;
    if (auto r = std::from_chars(digits, end, i); r.ec == std::errc() && r.ptr == end) {
        return i;
    }
    uint64_t u = 0;
    if (auto r = std::from_chars(digits, end, u); r.ec == std::errc() && r.ptr == end) {
        return u;
    }
    double d = 0;
    if (auto r = std::from_chars(digits, end, d);
        r.ec == std::errc() && r.ptr == end && std::isfinite(d)) {
        return d;
    }
    return text;
}

nlohmann::json toJson(const YAML::Node &node, size_t &visited, int depth) {
    if (++visited > kMaxSpecNodes || depth > kMaxSpecDepth) {
        throw ConfigError(
            "too many or too deeply nested nodes after alias expansion (alias bomb?)");
    }
    switch (node.Type()) {
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        for (const YAML::Node &element : node) {
            array.push_back(toJson(element, visited, depth + 1));
        }
        return array;
    }
    case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (const auto &entry : node) {
            object[entry.first.Scalar()] = toJson(entry.second, visited, depth + 1);
        }
        return object;
    }
    default:
        return nullptr;
    }
}

} // namespace

SourceLocation locationOf(const YAML::Node &node, const std::string &file) {
    return fromMark(node.Mark(), file);
}

SourceLocation
valueLocation(const YAML::Node &key, const YAML::Node &value, const std::string &file) {
    if (!value.IsDefined() || value.IsNull()) {
        return locationOf(key, file);
    }
    return locationOf(value, file);
}

std::string describeFound(const YAML::Node &node) {
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return "a map";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return quoteValue(node.Scalar());
    default:
        return "nothing (null)";
    }
}

std::string
messageAt(const SourceLocation &at, const std::string &keyPath, const std::string &what) {
    std::string message = at.str();
    if (!keyPath.empty()) {
        message += (message.empty() ? "" : ": ") + keyPath;
    }
    return message + (message.empty() ? "" : ": ") + what;
}

void failAt(const SourceLocation &at, const std::string &keyPath, const std::string &what) {
    throw ConfigError(messageAt(at, keyPath, what));
}

std::string childPath(const std::string &parent, const std::string &key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string indexPath(const std::string &parent, size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

void checkTree(const YAML::Node &root, const std::string &file) {
    TreeChecker(file).visit(root, 0);
}

bool parseBoolText(std::string_view text, bool &value) {
    const std::string lower = toLowerAscii(text);
    if (lower == "true" || lower == "yes" || lower == "on") {
        value = true;
        return true;
    }
    if (lower == "false" || lower == "no" || lower == "off") {
        value = false;
        return true;
    }
    return false;
}

nlohmann::json yamlToJson(const YAML::Node &node) {
    size_t visited = 0;
    return toJson(node, visited, 0);
}

} // namespace mlps::core
