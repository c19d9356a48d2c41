// examplebench: a complete benchmark plugin to copy. Each rank writes `objects` objects of
// `object_size` bytes to a tier and reads them back, `queue_depth` operations in flight, and
// reports the latency of each and the bytes moved. Built on the SDK's helpers only:
// <mlps/benchmark.hpp> (the C++ class -> C tables adapter), <mlps/io_pump.hpp> (a tier queue
// kept full, buffers, per-op latency) and <mlps/json_writer.hpp> (the report).
#include <string>
#include <vector>

#include <mlps/benchmark.hpp>
#include <mlps/io_pump.hpp>
#include <mlps/json_writer.hpp>

namespace {

class ExampleBenchmark final : public mlps::BenchmarkPlugin {
  public:
    // Checks that create nothing (ABI 1.1): `mlpsrun validate` and --dry-run call it too.
    static void validate(const mlps::Host &host, const mlps::Config &config) {
        if (host.tierCount() == 0) {
            throw mlps::Error("tier: the spec has no tiers", MLPS_E_INVALID);
        }
        const mlps_tier_spec tier = host.tierSpec(0);
        const uint64_t bytes =
            config.getSize("object_size") * static_cast<uint64_t>(config.getInt("objects"));
        if (tier.capacity_bytes != 0 && bytes > tier.capacity_bytes) {
            throw mlps::Error("objects: " + std::to_string(bytes) +
                                  " bytes do not fit the tier's capacity",
                              MLPS_E_INVALID);
        }
    }
    // What a run would do, for --dry-run (a JSON object).
    static std::string plan(const mlps::Host &host, const mlps::Config &config) {
        validate(host, config);
        mlps::JsonObject out;
        out.add("objects", static_cast<uint64_t>(config.getInt("objects")))
            .add("object_size_bytes", config.getSize("object_size"));
        return out.str();
    }

    ExampleBenchmark(const mlps::Host &host, const mlps::Config &config)
        : host_(host), objectSize_(config.getSize("object_size")),
          pump_(host,
                0,
                host.tier(0),
                static_cast<uint32_t>(config.getInt("queue_depth")),
                objectSize_) {
        validate(host, config); // a host without the validate hook still refuses bad options
        const uint32_t rank = host.runInfo().rank;
        for (int64_t i = 0; i < config.getInt("objects"); ++i) {
            keys_.push_back("example.r" + std::to_string(rank) + ".o" + std::to_string(i));
        }
        writeLatency_ = host.registerHistogram("write.latency", "ns");
        readLatency_ = host.registerHistogram("read.latency", "ns");
        bytes_ = host.registerCounter("bytes", "bytes");
        errors_ = host.registerCounter("errors", "ops");
    }
    ~ExampleBenchmark() override { // leave nothing behind
        std::vector<mlps_io> deletes;
        for (const std::string &key : keys_) {
            mlps_io io{};
            io.opcode = MLPS_IO_DELETE;
            io.key = key.data();
            io.key_len = static_cast<uint32_t>(key.size());
            deletes.push_back(io);
        }
        try {
            pump_.runAll(deletes, [](const mlps::IoPump::Done &) {});
        } catch (...) { // a destructor must not throw
        }
    }

    void run(mlps_phase phase) override {
        if (phase != MLPS_PHASE_TIMED) {
            return;
        }
        pass(MLPS_IO_WRITE, writeLatency_);
        pass(MLPS_IO_READ, readLatency_);
    }

    std::string report() override {
        // Metrics read here are merged over threads, and on rank 0 over every rank.
        mlps::JsonObject out;
        out.add("bytes", host_.read(bytes_).sum)
            .add("write_p50_ns", host_.read(writeLatency_).p50)
            .add("read_p50_ns", host_.read(readLatency_).p50)
            .add("errors", host_.read(errors_).sum);
        return out.str();
    }

  private:
    void pass(uint32_t opcode, mlps_metric_id latency) {
        size_t next = 0;
        pump_.run(
            [&](uint32_t slot, mlps_io &io) { // the next op, or false when the pass is done
                if (next == keys_.size()) {
                    return false;
                }
                const std::string &key = keys_[next++];
                io = mlps_io{};
                io.opcode = opcode;
                io.key = key.data();
                io.key_len = static_cast<uint32_t>(key.size());
                io.buf = pump_.buffer(slot);
                io.length = objectSize_;
                io.object_size = opcode == MLPS_IO_WRITE ? objectSize_ : 0;
                return true;
            },
            [&](const mlps::IoPump::Done &done) { // each completion: an error is data
                if (!done.ok()) {
                    host_.record(errors_, 1);
                    return;
                }
                host_.record(latency, done.latencyNs);
                host_.record(bytes_, done.completion.bytes);
            },
            [&] { return host_.shouldStop(); }, // Ctrl-C or the phase's time is up
            [] {});
    }

    mlps::Host host_;
    uint64_t objectSize_;
    mlps::IoPump pump_;
    std::vector<std::string> keys_;
    mlps_metric_id writeLatency_ = 0, readLatency_ = 0, bytes_ = 0, errors_ = 0;
};

constexpr mlps_option_spec kOptions[] = {
    {"objects", MLPS_OPT_INT, 0, "8", "1", "1000000", nullptr, "Objects per rank."},
    {"object_size", MLPS_OPT_SIZE, 0, "1MiB", "4KiB", "1GiB", nullptr, "Bytes per object."},
    {"queue_depth", MLPS_OPT_INT, 0, "4", "1", "1024", nullptr, "Operations in flight."},
};

constexpr mlps_plugin_descriptor kDescriptor = mlps::benchmarkDescriptor<ExampleBenchmark>(
    "examplebench", "1.0.0", "writes objects to the first tier and reads them back", kOptions);

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
