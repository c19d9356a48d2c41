// Text for people: `mlpsrun plugins list`, `plugins inspect FILE.so`, `describe NAME`.
#include "plugin/plugin_report.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "spec/option_value.hpp"

namespace mlps::core {

namespace {

constexpr size_t kWidth = 100;

struct CapName {
    uint64_t bit;
    const char *name;
};

constexpr CapName kCapNames[] = {
    {MLPS_TIER_CAP_ASYNC, "async"},
    {MLPS_TIER_CAP_DIRECT_IO, "direct-io"},
    {MLPS_TIER_CAP_DEVICE_MEMORY, "device-memory"},
    {MLPS_TIER_CAP_PERSISTENT, "persistent"},
    {MLPS_TIER_CAP_ALIGNED_BUFFERS, "aligned-buffers"},
    {MLPS_TIER_CAP_BYTE_RANGE, "byte-range"},
    {MLPS_TIER_CAP_BUFFER_ALLOC, "buffer-alloc"},
};

std::string abiText(const LoadedPlugin &plugin) {
    return std::to_string(plugin.abiMajor) + "." + std::to_string(plugin.abiMinor);
}

std::string padRight(const std::string &text, size_t width) {
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

// Greedy word wrap; every line starts with `indent` spaces. A word longer than the line stays
// whole (a path or a URL is more useful unbroken).
void printWrapped(std::ostream &out, const std::string &text, size_t indent) {
    const size_t room = kWidth > indent + 20 ? kWidth - indent : 20;
    std::istringstream words(text);
    std::string word;
    std::string line;
    while (words >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > room) {
            out << std::string(indent, ' ') << line << '\n';
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) {
        out << std::string(indent, ' ') << line << '\n';
    }
}

std::string defaultText(const mlps_option_spec &o) {
    if (o.default_value != nullptr) {
        return std::string("default ") + (*o.default_value == '\0' ? "\"\"" : o.default_value);
    }
    return (o.flags & MLPS_OPT_F_REQUIRED) != 0 ? "required" : "unset";
}

std::string constraintText(const mlps_option_spec &o) {
    if (o.type == MLPS_OPT_ENUM && o.choices != nullptr) {
        return std::string("one of ") + o.choices;
    }
    if (o.min_value != nullptr && o.max_value != nullptr) {
        return std::string("range ") + o.min_value + " .. " + o.max_value;
    }
    if (o.min_value != nullptr) {
        return std::string(">= ") + o.min_value;
    }
    if (o.max_value != nullptr) {
        return std::string("<= ") + o.max_value;
    }
    return {};
}

// The option table shared by `describe` and `plugins inspect`.
void printOptions(const LoadedPlugin &plugin, std::ostream &out, size_t indent) {
    const mlps_plugin_descriptor &d = *plugin.descriptor;
    const std::string pad(indent, ' ');
    if (d.n_options == 0) {
        out << pad << "(no options)\n";
    }
    size_t nameWidth = 0;
    for (uint32_t i = 0; i < d.n_options; ++i) {
        nameWidth = std::max(nameWidth, std::string(plugin.option(i).name).size());
    }
    nameWidth += 2;
    constexpr size_t kTypeWidth = 11;
    for (uint32_t i = 0; i < d.n_options; ++i) {
        const mlps_option_spec &o = plugin.option(i);
        std::string line =
            padRight(o.name, nameWidth) + padRight(typeName(o.type), kTypeWidth) + defaultText(o);
        if (const std::string c = constraintText(o); !c.empty()) {
            line += "; " + c;
        }
        out << pad << line << '\n';
        if (o.help != nullptr && *o.help != '\0') {
            printWrapped(out, o.help, indent + nameWidth);
        }
    }
    if (d.kind == MLPS_KIND_TIER) {
        out << pad << "(and, as every tier: capacity (size, 0 = the tier decides), keep (bool))\n";
    }
}

void printDescriptor(const LoadedPlugin &plugin, std::ostream &out) {
    const mlps_plugin_descriptor &d = *plugin.descriptor;
    out << kindName(d.kind) << " '" << d.name << "' version " << d.version << '\n';
    out << "  summary: " << d.summary << '\n';
    if (d.kind == MLPS_KIND_TIER) {
        const std::string caps = capsToString(d.caps);
        out << "  caps:    " << (caps.empty() ? "none" : caps) << '\n';
    }
    out << "  options:\n";
    printOptions(plugin, out, 4);
}

bool dirExists(const std::string &path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec);
}

} // namespace

std::string capsToString(uint64_t caps) {
    std::string text;
    for (const CapName &cap : kCapNames) {
        if ((caps & cap.bit) != 0) {
            text += (text.empty() ? "" : ",") + std::string(cap.name);
            caps &= ~cap.bit;
        }
    }
    // Bits of a newer minor: shown, not hidden, so that nobody wonders where they went.
    for (int bit = 0; bit < 64; ++bit) {
        if ((caps & (1ull << bit)) != 0) {
            text += (text.empty() ? "" : ",") + std::string("bit") + std::to_string(bit);
        }
    }
    return text;
}

void printPluginList(const PluginRegistry &registry, std::ostream &out) {
    const auto &entries = registry.entries();
    // Sorted by kind and name; a stable sort keeps search order within a name, so a shadowed
    // plugin is listed right after the one that wins.
    std::vector<const RegistryEntry *> rows;
    for (const RegistryEntry &e : entries) {
        rows.push_back(&e);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const RegistryEntry *a, const RegistryEntry *b) {
        if (a->plugin.descriptor->kind != b->plugin.descriptor->kind) {
            return a->plugin.descriptor->kind < b->plugin.descriptor->kind; // benchmarks first
        }
        return a->plugin.name() < b->plugin.name();
    });

    std::vector<std::vector<std::string>> table = {
        {"NAME", "KIND", "VERSION", "ABI", "CAPS", "PATH"}};
    for (const RegistryEntry *e : rows) {
        const mlps_plugin_descriptor &d = *e->plugin.descriptor;
        std::string path = e->plugin.path;
        if (e->shadowed) {
            for (const RegistryEntry &winner : entries) {
                if (!winner.shadowed && winner.plugin.descriptor->kind == d.kind &&
                    winner.plugin.name() == e->plugin.name()) {
                    path += " (shadowed by " + winner.plugin.path + ")";
                    break;
                }
            }
        }
        const std::string caps = capsToString(d.caps);
        table.push_back({d.name,
                         kindName(d.kind),
                         d.version,
                         abiText(e->plugin),
                         caps.empty() ? "-" : caps,
                         path});
    }
    std::vector<size_t> widths(table.front().size(), 0);
    for (const auto &row : table) {
        for (size_t c = 0; c < row.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    if (rows.empty()) {
        out << "no plugins found\n";
    } else {
        for (const auto &row : table) {
            std::string line;
            for (size_t c = 0; c < row.size(); ++c) {
                line += c + 1 < row.size() ? padRight(row[c], widths[c] + 2) : row[c];
            }
            out << line << '\n';
        }
    }

    if (!registry.problems().empty()) {
        out << "\nproblems:\n";
        for (const LoadProblem &p : registry.problems()) {
            out << "  " << p.message << '\n';
        }
    }

    out << "\nsearch path:\n";
    size_t pathWidth = 0;
    for (const SearchDir &dir : registry.dirs()) {
        pathWidth = std::max(pathWidth, dir.path.size());
    }
    for (const SearchDir &dir : registry.dirs()) {
        out << "  " << padRight(dir.path, pathWidth + 2) << dir.origin
            << (dirExists(dir.path) ? "" : " (does not exist)") << '\n';
    }
}

void printPluginFile(const PluginFile &file, std::ostream &out) {
    out << "file:     " << file.path << '\n';
    if (file.plugins.empty()) {
        out << "(no plugins)\n";
        return;
    }
    const LoadedPlugin &first = file.plugins.front();
    out << "manifest: ABI " << abiText(first) << " (this mlpsrun: ABI " << MLPS_ABI_MAJOR << "."
        << MLPS_ABI_MINOR << "), " << file.plugins.size()
        << (file.plugins.size() == 1 ? " plugin" : " plugins") << '\n';
    for (const LoadedPlugin &plugin : file.plugins) {
        out << '\n';
        printDescriptor(plugin, out);
    }
}

void printDescribe(const LoadedPlugin &plugin, std::ostream &out) {
    const mlps_plugin_descriptor &d = *plugin.descriptor;
    out << d.name << " (" << kindName(d.kind) << " plugin, version " << d.version << ", ABI "
        << abiText(plugin) << ")\n";
    printWrapped(out, d.summary, 2);
    out << "  file: " << plugin.path << '\n';
    if (d.kind == MLPS_KIND_TIER) {
        const std::string caps = capsToString(d.caps);
        out << "  caps: " << (caps.empty() ? "none" : caps) << '\n';
    }
    out << "\noptions:\n";
    printOptions(plugin, out, 2);
}

} // namespace mlps::core
