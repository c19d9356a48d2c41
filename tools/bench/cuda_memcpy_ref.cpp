// The reference of tools/bench/cuda-check: host<->device bandwidth of plain cudaMemcpyAsync from
// pinned memory, with the shape the cuda tier uses (chunks of CHUNK bytes spread over STREAMS
// streams, up to DEPTH in flight, events to know when each is done), so that the ratio
// tier / reference measures the tier's overhead, not a different copy pattern.
// Usage: cuda_memcpy_ref DEVICE BYTES CHUNK STREAMS DEPTH ROUNDS
// Prints one JSON object: the device's name and the best h2d and d2h bytes/s over ROUNDS.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include <cuda_runtime_api.h>

namespace {

void check(cudaError_t err, const char *what) {
    if (err != cudaSuccess) {
        std::fprintf(stderr, "cuda_memcpy_ref: %s: %s\n", what, cudaGetErrorString(err));
        std::exit(err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver ? 77 : 1);
    }
}

double copy(bool h2d,
            unsigned char *host,
            unsigned char *device,
            size_t bytes,
            size_t chunk,
            std::vector<cudaStream_t> &streams,
            std::vector<cudaEvent_t> &events) {
    std::deque<size_t> inFlight; // event indices, oldest first
    size_t nextEvent = 0;
    size_t s = 0;
    const auto start = std::chrono::steady_clock::now();
    for (size_t off = 0; off < bytes; off += chunk) {
        if (inFlight.size() == events.size()) {
            check(cudaEventSynchronize(events[inFlight.front()]), "cudaEventSynchronize");
            inFlight.pop_front();
        }
        const size_t n = std::min(chunk, bytes - off);
        cudaStream_t stream = streams[s++ % streams.size()];
        check(h2d ? cudaMemcpyAsync(device + off, host + off, n, cudaMemcpyHostToDevice, stream)
                  : cudaMemcpyAsync(host + off, device + off, n, cudaMemcpyDeviceToHost, stream),
              "cudaMemcpyAsync");
        check(cudaEventRecord(events[nextEvent], stream), "cudaEventRecord");
        inFlight.push_back(nextEvent);
        nextEvent = (nextEvent + 1) % events.size();
    }
    for (cudaStream_t stream : streams) {
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(bytes) / seconds;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s DEVICE BYTES CHUNK STREAMS DEPTH ROUNDS\n", argv[0]);
        return 2;
    }
    const int device = std::atoi(argv[1]);
    const size_t bytes = std::strtoull(argv[2], nullptr, 10);
    const size_t chunk = std::strtoull(argv[3], nullptr, 10);
    const int nStreams = std::atoi(argv[4]);
    const int depth = std::atoi(argv[5]);
    const int rounds = std::atoi(argv[6]);
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    unsigned char *host = nullptr;
    unsigned char *dev = nullptr;
    check(cudaHostAlloc(reinterpret_cast<void **>(&host), bytes, cudaHostAllocPortable),
          "cudaHostAlloc");
    std::memset(host, 0x5a, bytes);
    check(cudaMalloc(reinterpret_cast<void **>(&dev), bytes), "cudaMalloc");
    std::vector<cudaStream_t> streams(nStreams);
    for (auto &s : streams) {
        check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
    }
    std::vector<cudaEvent_t> events(depth);
    for (auto &e : events) {
        check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
    }
    copy(true, host, dev, std::min(bytes, chunk * 4), chunk, streams, events); // warm up
    double h2d = 0, d2h = 0;
    for (int r = 0; r < rounds; ++r) {
        h2d = std::max(h2d, copy(true, host, dev, bytes, chunk, streams, events));
        d2h = std::max(d2h, copy(false, host, dev, bytes, chunk, streams, events));
    }
    std::printf("{\"gpu\": \"%s\", \"h2d_bytes_per_s\": %.0f, \"d2h_bytes_per_s\": %.0f}\n",
                prop.name,
                h2d,
                d2h);
    return 0;
}
