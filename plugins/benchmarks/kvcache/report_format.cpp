// Number formatting shared by the report's sections.
#include <cstdarg>
#include <cstdio>

#include "report_parts.hpp"

namespace mlps::kvcache::report {

double ms(double ns) {
    return ns / 1e6;
}

std::string text(const char *format, ...) {
    char buf[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    return buf;
}

std::string duration(double ns) {
    if (ns < 1e6) {
        return text("%.0f us", ns / 1e3);
    }
    if (ns < 1e9) {
        return text("%.1f ms", ns / 1e6);
    }
    return text("%.2f s", ns / 1e9);
}

std::string size(double bytes) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return u == 0 ? text("%.0f B", bytes) : text("%.1f %s", bytes, units[u]);
}

ordered percentilesMs(const mlps_metric_summary &s) {
    ordered o;
    o["mean"] = ms(s.mean);
    o["p50"] = ms(s.p50);
    o["p95"] = ms(s.p95);
    o["p99"] = ms(s.p99);
    o["p999"] = ms(s.p999);
    o["p9999"] = ms(s.p9999);
    o["max"] = ms(static_cast<double>(s.max));
    o["count"] = s.count;
    return o;
}

std::string roleOf(size_t index, size_t count) {
    const size_t fromEnd = count - 1 - index;
    return fromEnd == 0 ? "storage" : fromEnd == 1 ? "cpu" : fromEnd == 2 ? "gpu" : "";
}

int roleIndex(const std::string &role, size_t count) {
    for (size_t t = 0; t < count; ++t) {
        if (roleOf(t, count) == role) {
            return static_cast<int>(t);
        }
    }
    return -1;
}

} // namespace mlps::kvcache::report
