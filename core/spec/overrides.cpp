#include "spec/overrides.hpp"

#include <vector>

#include "spec/text_util.hpp"
#include "spec/units.hpp"
#include "spec/yaml_util.hpp"
#include "util/errors.hpp"

namespace mlps::core {

namespace {

struct Step {
    bool isIndex = false;
    std::string key;
    size_t index = 0;
};

class Override {
  public:
    explicit Override(const std::string &text) : text_(text) {}

    [[noreturn]] void fail(const std::string &what) const {
        const std::string shown = text_.size() > 200 ? text_.substr(0, 200) + "..." : text_;
        throw ConfigError("--set " + shown + ": " + what);
    }

    std::vector<Step> parsePath(const std::string &path) const {
        std::vector<Step> steps;
        size_t i = 0;
        while (true) {
            const size_t start = i;
            while (i < path.size() && path[i] != '.' && path[i] != '[' && path[i] != ']') {
                ++i;
            }
            if (i == start) {
                fail("empty key in " + quoteValue(path) +
                     " (expected a dotted path like run.duration or tiers[0].capacity)");
            }
            steps.push_back(Step{false, path.substr(start, i - start), 0});
            while (i < path.size() && path[i] == '[') {
                const size_t close = path.find(']', i);
                const std::string digits =
                    close == std::string::npos ? "" : path.substr(i + 1, close - i - 1);
                if (digits.empty() || digits.size() > 9 ||
                    digits.find_first_not_of("0123456789") != std::string::npos) {
                    fail("expected a list index like [0] in " + quoteValue(path));
                }
                steps.push_back(Step{true, "", std::stoul(digits)});
                i = close + 1;
            }
            if (i == path.size()) {
                return steps;
            }
            if (path[i] != '.') {
                fail("unexpected " + quoteValue(path.substr(i, 1)) + " in " + quoteValue(path));
            }
            ++i;
        }
    }

  private:
    const std::string &text_;
};

// A copy of `node` made of new nodes: they carry no mark, so messages locate them at "--set".
YAML::Node freshCopy(const YAML::Node &node) {
    switch (node.Type()) {
    case YAML::NodeType::Scalar: {
        YAML::Node copy(node.Scalar());
        if (node.Tag() != "?") {
            copy.SetTag(node.Tag()); // keeps "quoted" ("!") and explicit tags
        }
        return copy;
    }
    case YAML::NodeType::Sequence: {
        YAML::Node copy(YAML::NodeType::Sequence);
        for (const YAML::Node &element : node) {
            copy.push_back(freshCopy(element));
        }
        return copy;
    }
    case YAML::NodeType::Map: {
        YAML::Node copy(YAML::NodeType::Map);
        for (const auto &entry : node) {
            copy.force_insert(freshCopy(entry.first), freshCopy(entry.second));
        }
        return copy;
    }
    default:
        return YAML::Node(YAML::NodeType::Null);
    }
}

std::string describeContainer(const YAML::Node &node) {
    return node.IsScalar() ? "the value " + quoteValue(node.Scalar()) : describeFound(node);
}

} // namespace

void applyOverride(YAML::Node &root, const std::string &text) {
    const Override override(text);
    const size_t equals = text.find('=');
    if (equals == std::string::npos) {
        override.fail("expected KEY=VALUE, like run.duration=5s (no '=' found)");
    }
    const std::string path(trim(std::string_view(text).substr(0, equals)));
    if (path.empty()) {
        override.fail("empty key (expected KEY=VALUE, like run.duration=5s)");
    }
    const std::vector<Step> steps = override.parsePath(path);

    YAML::Node value;
    try {
        value = YAML::Load(text.substr(equals + 1));
        checkTree(value, "--set");
    } catch (const YAML::ParserException &e) {
        override.fail("the value is not valid YAML: " + e.msg + " (column " +
                      std::to_string(e.mark.column + 1) + ")");
    } catch (const ConfigError &e) {
        override.fail(std::string("the value: ") + e.what());
    }
    value = freshCopy(value);

    // Node::operator= writes into the node a handle refers to; reset() moves the handle.
    YAML::Node current;
    current.reset(root);
    std::string walked;
    for (size_t i = 0; i < steps.size(); ++i) {
        const Step &step = steps[i];
        const bool last = i + 1 == steps.size();
        YAML::Node child;
        std::string childWalked;
        if (step.isIndex) {
            childWalked = indexPath(walked, step.index);
            if (!current.IsSequence()) {
                override.fail(walked + " is " + describeContainer(current) + ", not a list, so " +
                              childWalked + " does not exist");
            }
            if (step.index >= current.size()) {
                override.fail("index " + std::to_string(step.index) + " is out of range: " +
                              walked + " has " + std::to_string(current.size()) + " element(s)");
            }
            child.reset(current[step.index]);
        } else if (current.IsSequence()) {
            // A list of named maps (tiers): address an element by its name.
            childWalked = childPath(walked, step.key);
            std::vector<std::string> names;
            bool found = false;
            for (const YAML::Node &element : current) {
                // Const access: operator[] on a non-const node would add a "name" key.
                const YAML::Node &constElement = element;
                const YAML::Node name = element.IsMap() ? constElement["name"] : YAML::Node();
                if (name.IsDefined() && name.IsScalar()) {
                    names.push_back(name.Scalar());
                    if (!found && name.Scalar() == step.key) {
                        child.reset(element);
                        found = true;
                    }
                }
            }
            if (!found) {
                const std::string guess = didYouMean(step.key, names);
                std::string known;
                for (const std::string &name : names) {
                    known += (known.empty() ? "" : ", ") + name;
                }
                override.fail(
                    "no element of " + walked + " is named " + quoteValue(step.key) +
                    (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
                    (names.empty() ? " (use " + walked + "[N])" : " (names: " + known + ")"));
            }
        } else {
            childWalked = childPath(walked, step.key);
            if (current.IsScalar()) {
                override.fail("the path goes through " + walked + ", which is " +
                              describeContainer(current) + ", not a map");
            }
            if (!current.IsMap()) {
                current = YAML::Node(YAML::NodeType::Map);
            }
            child.reset(current[step.key]);
        }
        if (last) {
            child = value;
            return;
        }
        if (!child.IsDefined() || child.IsNull()) {
            child = YAML::Node(YAML::NodeType::Map);
        }
        current.reset(child);
        walked = childWalked;
    }
}

} // namespace mlps::core
