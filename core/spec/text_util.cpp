#include "spec/text_util.hpp"

#include <cstdio>

namespace mlps::core {

std::string quoteValue(std::string_view text, size_t maxChars) {
    std::string out = "\"";
    size_t shown = 0;
    for (const char c : text) {
        if (shown == maxChars) {
            out += "...";
            break;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        } else {
            out += c;
        }
        ++shown;
    }
    out += '"';
    return out;
}

std::string_view trim(std::string_view text) {
    const auto isSpace = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!text.empty() && isSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string toLowerAscii(std::string_view text) {
    std::string out(text);
    for (char &c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

size_t findInvalidUtf8(std::string_view text) {
    // Hand-written because it is twenty lines and the alternatives (iconv, ICU) are far heavier
    // than a check that only has to say yes or no. Follows RFC 3629's table of well-formed
    // sequences.
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            lo = c == 0xe0 ? 0xa0 : 0x80; // no overlongs
            hi = c == 0xed ? 0x9f : 0xbf; // no surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            lo = c == 0xf0 ? 0x90 : 0x80; // no overlongs
            hi = c == 0xf4 ? 0x8f : 0xbf; // nothing past U+10FFFF
        } else {
            return i;
        }
        if (i + len > n) {
            return i;
        }
        if (s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (size_t k = 2; k < len; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) {
                return i;
            }
        }
        i += len;
    }
    return std::string_view::npos;
}

} // namespace mlps::core
