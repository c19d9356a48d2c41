// timeseries.h5 through the HDF5 C API (the core is the only place that links HDF5). Layout:
//   /                      attribute schema = "mlps-timeseries-1"
//   /metrics/<name>        attributes unit, kind ("histogram" | "counter" | "gauge")
//       start_s, length_s  double[points]  interval start (since the timed start) and length
//       delta              uint64[points]  counter increase or histogram sample count
//       value              uint64[points]  gauges only (instead of delta): the level at the
//                                          interval's end
//       p50, p99, max      double[points]  histograms only, in the metric's unit
// Other root attributes: run metadata as strings (run_id, benchmark, ...; share/doc/results.md).
#include "build_config.hpp"
#include "results/time_series.hpp"
#include "util/errors.hpp"

#if MLPS_HAVE_HDF5
#include <hdf5.h>
#endif

namespace mlps::core {

bool TimeSeries::hdf5Available() {
    return MLPS_HAVE_HDF5 != 0;
}

#if !MLPS_HAVE_HDF5

void TimeSeries::writeHdf5(const std::string &path,
                           const std::map<std::string, std::string> &) const {
    throw SystemError("cannot write time series '" + path + "': mlps was built without HDF5");
}

TimeSeriesFile readTimeSeriesHdf5(const std::string &path) {
    throw SystemError("cannot read time series '" + path + "': mlps was built without HDF5");
}

#else

namespace {

// The innermost (most specific) message on HDF5's error stack, e.g. "unable to open file".
std::string hdf5Reason() {
    std::string reason;
    H5Ewalk2(
        H5E_DEFAULT,
        H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t *err, void *data) -> herr_t {
            auto *out = static_cast<std::string *>(data);
            if (n == 0 && err->desc != nullptr) {
                *out = err->desc;
            }
            return 0;
        },
        &reason);
    return reason.empty() ? "unknown HDF5 error" : reason;
}

[[noreturn]] void fail(const std::string &what) {
    throw SystemError("HDF5: " + what + ": " + hdf5Reason());
}

// One HDF5 identifier, closed with its own close function on every path.
class Handle {
  public:
    using Closer = herr_t (*)(hid_t);
    Handle(hid_t id, Closer closer, const std::string &what) : id_(id), closer_(closer) {
        if (id_ < 0) {
            fail(what);
        }
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() {
        if (id_ >= 0) {
            closer_(id_);
        }
    }
    hid_t get() const { return id_; }
    // Closing a file flushes it: that failure must be reported, not swallowed by a destructor.
    void close(const std::string &what) {
        const hid_t id = id_;
        id_ = -1;
        if (closer_(id) < 0) {
            fail(what);
        }
    }

  private:
    hid_t id_;
    Closer closer_;
};

// Keeps HDF5 from printing its error stack to stderr (we report the reason ourselves); the
// previous setting comes back afterwards.
class QuietErrors {
  public:
    QuietErrors() {
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    QuietErrors(const QuietErrors &) = delete;
    QuietErrors &operator=(const QuietErrors &) = delete;
    ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

  private:
    H5E_auto2_t func_ = nullptr;
    void *data_ = nullptr;
};

void writeStringAttribute(hid_t loc,
                          const char *name,
                          const std::string &value,
                          const std::string &where) {
    const std::string what = "attribute '" + std::string(name) + "' of " + where;
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy the string type for " + what);
    if (H5Tset_size(type.get(), value.size() + 1) < 0 ||
        H5Tset_strpad(type.get(), H5T_STR_NULLTERM) < 0) {
        fail("cannot size the string type for " + what);
    }
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "cannot create the dataspace for " + what);
    Handle attr(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose,
                "cannot create " + what);
    if (H5Awrite(attr.get(), type.get(), value.c_str()) < 0) {
        fail("cannot write " + what);
    }
}

void writeDataset(hid_t loc,
                  const char *name,
                  hid_t fileType,
                  hid_t memType,
                  const void *data,
                  size_t n,
                  const std::string &where) {
    const std::string what = "dataset '" + std::string(name) + "' in " + where;
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    Handle space(
        H5Screate_simple(1, dims, nullptr), H5Sclose, "cannot create the dataspace for " + what);
    Handle ds(H5Dcreate2(loc, name, fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose,
              "cannot create " + what);
    if (n > 0 && H5Dwrite(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        fail("cannot write " + what);
    }
}

void writeDoubles(hid_t loc, const char *name, const std::vector<double> &v, const std::string &w) {
    writeDataset(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v.data(), v.size(), w);
}

} // namespace

void TimeSeries::writeHdf5(const std::string &path,
                           const std::map<std::string, std::string> &attributes) const {
    QuietErrors quiet;
    const std::string file = "'" + path + "'";
    Handle fileId(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                  H5Fclose,
                  "cannot create " + file);
    writeStringAttribute(fileId.get(), "schema", kHdf5Schema, file);
    for (const auto &[name, value] : attributes) {
        if (name != "schema") {
            writeStringAttribute(fileId.get(), name.c_str(), value, file);
        }
    }
    {
        Handle group(H5Gcreate2(fileId.get(), "/metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     H5Gclose,
                     "cannot create group /metrics in " + file);
        const size_t n = points_.size();
        std::vector<double> startS(n), lengthS(n);
        for (size_t p = 0; p < n; ++p) {
            startS[p] = points_[p].startS;
            lengthS[p] = points_[p].lengthS;
        }
        std::vector<uint64_t> delta(n);
        std::vector<double> p50(n), p99(n), max(n);
        for (size_t i = 0; i < metrics_.size(); ++i) {
            const MetricInfo &info = metrics_[i];
            // Registry names are [a-z0-9_.]; anything else could make a path or a bad link.
            if (info.name.empty() || info.name == "." || info.name == ".." ||
                info.name.find('/') != std::string::npos) {
                throw SystemError("HDF5: metric name '" + info.name + "' cannot name a group");
            }
            const std::string where = "/metrics/" + info.name + " of " + file;
            Handle metric(
                H5Gcreate2(group.get(), info.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Gclose,
                "cannot create group " + where);
            const bool histogram = info.kind == MetricKind::Histogram;
            writeStringAttribute(metric.get(), "unit", info.unit, where);
            const bool gauge = info.kind == MetricKind::Gauge;
            writeStringAttribute(metric.get(), "kind", metricKindName(info.kind), where);
            for (size_t p = 0; p < n; ++p) {
                delta[p] = points_[p].delta[i];
                p50[p] = points_[p].p50[i];
                p99[p] = points_[p].p99[i];
                max[p] = points_[p].max[i];
            }
            writeDoubles(metric.get(), "start_s", startS, where);
            writeDoubles(metric.get(), "length_s", lengthS, where);
            writeDataset(metric.get(),
                         gauge ? "value" : "delta",
                         H5T_STD_U64LE,
                         H5T_NATIVE_UINT64,
                         delta.data(),
                         n,
                         where);
            if (histogram) {
                writeDoubles(metric.get(), "p50", p50, where);
                writeDoubles(metric.get(), "p99", p99, where);
                writeDoubles(metric.get(), "max", max, where);
            }
        }
    }
    fileId.close("cannot close (flush) " + file);
}

namespace {

std::string readStringAttribute(hid_t attr, const std::string &what) {
    Handle type(H5Aget_type(attr), H5Tclose, "cannot get the type of " + what);
    if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
        return {}; // only the fixed-length strings this writer makes
    }
    std::string value(H5Tget_size(type.get()), '\0');
    if (!value.empty() && H5Aread(attr, type.get(), value.data()) < 0) {
        fail("cannot read " + what);
    }
    value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
    return value;
}

std::map<std::string, std::string> readStringAttributes(hid_t loc, const std::string &where) {
    std::vector<std::string> names;
    hsize_t index = 0;
    if (H5Aiterate2(
            loc,
            H5_INDEX_NAME,
            H5_ITER_INC,
            &index,
            [](hid_t, const char *name, const H5A_info_t *, void *data) -> herr_t {
                static_cast<std::vector<std::string> *>(data)->emplace_back(name);
                return 0;
            },
            &names) < 0) {
        fail("cannot list the attributes of " + where);
    }
    std::map<std::string, std::string> out;
    for (const auto &name : names) {
        const std::string what = "attribute '" + name + "' of " + where;
        Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose, "cannot open " + what);
        out[name] = readStringAttribute(attr.get(), what);
    }
    return out;
}

template <typename T>
std::vector<T> readDataset(hid_t loc, const char *name, hid_t memType, const std::string &where) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        return {};
    }
    const std::string what = "dataset '" + std::string(name) + "' in " + where;
    Handle ds(H5Dopen2(loc, name, H5P_DEFAULT), H5Dclose, "cannot open " + what);
    Handle space(H5Dget_space(ds.get()), H5Sclose, "cannot get the dataspace of " + what);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0) {
        fail("cannot size " + what);
    }
    std::vector<T> out(static_cast<size_t>(n));
    if (n > 0 && H5Dread(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
        fail("cannot read " + what);
    }
    return out;
}

} // namespace

TimeSeriesFile readTimeSeriesHdf5(const std::string &path) {
    QuietErrors quiet;
    const std::string file = "'" + path + "'";
    Handle fileId(
        H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "cannot open " + file);
    TimeSeriesFile out;
    out.attributes = readStringAttributes(fileId.get(), file);
    if (out.attributes["schema"] != TimeSeries::kHdf5Schema) {
        throw SystemError(file + " is not an mlps time series (schema '" +
                          out.attributes["schema"] + "', expected '" + TimeSeries::kHdf5Schema +
                          "')");
    }
    Handle group(H5Gopen2(fileId.get(), "/metrics", H5P_DEFAULT),
                 H5Gclose,
                 "cannot open group /metrics in " + file);
    // By index, not H5Literate: its callback type changed between HDF5 1.10 and 1.12.
    H5G_info_t info;
    if (H5Gget_info(group.get(), &info) < 0) {
        fail("cannot list /metrics in " + file);
    }
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t n = H5Lget_name_by_idx(
            group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (n < 0) {
            fail("cannot list /metrics in " + file);
        }
        std::string name(static_cast<size_t>(n), '\0');
        if (H5Lget_name_by_idx(group.get(),
                               ".",
                               H5_INDEX_NAME,
                               H5_ITER_INC,
                               i,
                               name.data(),
                               static_cast<size_t>(n) + 1,
                               H5P_DEFAULT) < 0) {
            fail("cannot list /metrics in " + file);
        }
        names.push_back(std::move(name));
    }
    for (const auto &name : names) {
        const std::string where = "/metrics/" + name + " of " + file;
        Handle metric(H5Gopen2(group.get(), name.c_str(), H5P_DEFAULT),
                      H5Gclose,
                      "cannot open group " + where);
        auto attrs = readStringAttributes(metric.get(), where);
        TimeSeriesFileMetric m;
        m.name = name;
        m.unit = attrs["unit"];
        m.kind = attrs["kind"];
        m.startS = readDataset<double>(metric.get(), "start_s", H5T_NATIVE_DOUBLE, where);
        m.lengthS = readDataset<double>(metric.get(), "length_s", H5T_NATIVE_DOUBLE, where);
        const bool gauge = m.kind == "gauge";
        (gauge ? m.value : m.delta) = readDataset<uint64_t>(
            metric.get(), gauge ? "value" : "delta", H5T_NATIVE_UINT64, where);
        m.p50 = readDataset<double>(metric.get(), "p50", H5T_NATIVE_DOUBLE, where);
        m.p99 = readDataset<double>(metric.get(), "p99", H5T_NATIVE_DOUBLE, where);
        m.max = readDataset<double>(metric.get(), "max", H5T_NATIVE_DOUBLE, where);
        if (m.lengthS.size() != m.startS.size() ||
            (gauge ? m.value : m.delta).size() != m.startS.size()) {
            throw SystemError(where + ": datasets of different lengths");
        }
        out.metrics.push_back(std::move(m));
    }
    return out;
}

#endif

} // namespace mlps::core
