// Checks of an instance's life: validate creates nothing, create/destroy leaves nothing behind,
// instances are independent, info() tells the truth, buffer_alloc works when offered.
#include <filesystem>
#include <set>

#include "check/check_context.hpp"
#include "check/check_ops.hpp"
#include "check/checks.hpp"

namespace fs = std::filesystem;

namespace mlps::core::check {

namespace {

// Every path under `dir`, to compare before and after.
std::set<std::string> listing(const std::string &dir) {
    std::set<std::string> paths;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        paths.insert(it->path().string());
    }
    return paths;
}

std::string firstNew(const std::set<std::string> &before, const std::set<std::string> &after) {
    for (const auto &p : after) {
        if (before.count(p) == 0) {
            return p;
        }
    }
    return "";
}

void checkValidate(CheckContext &ctx) {
    const mlps_plugin_descriptor &d = ctx.descriptor();
    if (!MLPS_HAS_FIELD(&d, mlps_plugin_descriptor, validate) || d.validate == nullptr) {
        ctx.skip("no validate hook: the schema check is all `mlpsrun validate` does");
    }
    const auto before = listing(ctx.scratch());
    ResolvedOptions options = resolveTierOptions(ctx.setup(), ctx.scratch(), ctx.setup().capacity);
    mlps_error err{};
    ctx.step("validate");
    const mlps_status st = d.validate(ctx.host(), options.config(), &err);
    ctx.expect(st == MLPS_OK,
               "validate accepts the options create() accepts: " + options.json().dump(),
               "it returned " + statusName(st) + ": " + err.message);
    const std::string made = firstNew(before, listing(ctx.scratch()));
    ctx.expect(made.empty(), "validate creates nothing", "it created " + made);
}

void checkCreateDestroy(CheckContext &ctx) {
    const auto before = listing(ctx.scratch());
    {
        auto a = ctx.create();
        auto b = ctx.create(); // a plugin may be instantiated twice in one run
        auto qa = a->openQueue(1);
        if (a->takesHostMemory()) {
            Buffer buf = a->buffer(4096);
            fillPattern(buf.data(), 1, 0, 4096);
            expectStatus(ctx, *qa, writeOp("shared-name", buf.data(), 0, 4096), MLPS_OK);
            auto qb = b->openQueue(1);
            expectStatus(ctx,
                         *qb,
                         readOp("shared-name", buf.data(), 0, 4096),
                         MLPS_E_NOT_FOUND,
                         "two instances do not share objects: state lives in the instance");
            ctx.expect(b->info().objects == 0,
                       "a second instance holds no object of the first",
                       "its info says objects = " + std::to_string(b->info().objects));
        }
    }
    const std::string left = firstNew(before, listing(ctx.scratch()));
    ctx.expect(left.empty(),
               "destroy removes everything the instance created (keep is false)",
               "left behind: " + left);
}

bool isPowerOfTwo(uint64_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

void checkInfo(CheckContext &ctx) {
    const uint64_t asked = ctx.setup().capacity;
    auto tier = ctx.create(asked);
    const mlps_tier_info info = tier->info();
    const uint32_t v10 = offsetof(mlps_tier_info, location) + sizeof info.location;
    ctx.expect(info.struct_size >= v10 && info.struct_size <= sizeof info,
               "struct_size between ABI 1.0's " + std::to_string(v10) + " and the " +
                   std::to_string(sizeof info) + " bytes given",
               "struct_size = " + std::to_string(info.struct_size));
    ctx.expect(isPowerOfTwo(info.alignment),
               "alignment a power of two (1 = none)",
               "alignment = " + std::to_string(info.alignment));
    const uint64_t declared = ctx.descriptor().caps;
    ctx.expect((info.caps & ~declared) == 0,
               "info.caps within the descriptor's caps (what the plugin can do)",
               "info.caps has bits the descriptor does not declare");
    if ((info.caps & MLPS_TIER_CAP_ALIGNED_BUFFERS) != 0) {
        ctx.expect(info.alignment > 1,
                   "an alignment above 1 with aligned-buffers",
                   "alignment = " + std::to_string(info.alignment));
    }
    ctx.expect(info.capacity_bytes != 0 && info.capacity_bytes <= asked,
               "capacity_bytes = the capacity asked for (" + std::to_string(asked) +
                   ", or a little less when the tier rounds it)",
               "capacity_bytes = " + std::to_string(info.capacity_bytes));
    if (info.capacity_bytes != asked) {
        ctx.note("capacity " + std::to_string(asked) + " became " +
                 std::to_string(info.capacity_bytes));
    }
    ctx.expect(info.used_bytes == 0 && info.objects == 0,
               "a new instance holds nothing: used_bytes 0, objects 0",
               "used_bytes " + std::to_string(info.used_bytes) + ", objects " +
                   std::to_string(info.objects));
    const size_t len = strnlen(info.location, sizeof info.location);
    ctx.expect(len > 0 && len < sizeof info.location,
               "location: a NUL-terminated text for people (\"host memory\", a folder)",
               len == 0 ? "it is empty" : "it is not NUL-terminated");
    if (info.location[0] == '/') {
        std::error_code ec;
        ctx.expect(fs::exists(info.location, ec),
                   "a location that starts with '/' is a path that exists (the core reports its "
                   "file system from it)",
                   std::string(info.location) + " does not exist");
    }
    ctx.expect(info.buffer_memory <= MLPS_MEMORY_DEVICE,
               "buffer_memory 0 or an enum mlps_memory_kind",
               "buffer_memory = " + std::to_string(info.buffer_memory));
    const uint32_t kinds = MLPS_MEMORY_HOST_KINDS | MLPS_MEMORY_BIT(MLPS_MEMORY_DEVICE);
    ctx.expect((info.io_memory & ~kinds) == 0,
               "io_memory a mask of MLPS_MEMORY_BIT(kind)",
               "io_memory = " + std::to_string(info.io_memory));
    if ((info.caps & MLPS_TIER_CAP_DEVICE_MEMORY) == 0) {
        ctx.expect(info.buffer_memory != MLPS_MEMORY_DEVICE,
                   "device buffers only from a tier with device-memory",
                   "buffer_memory is DEVICE but caps lack device-memory");
    }
    ctx.note("location \"" + std::string(info.location) + "\", alignment " +
             std::to_string(info.alignment) + ", max_queue_depth " +
             std::to_string(info.max_queue_depth));
}

void checkBufferAlloc(CheckContext &ctx) {
    auto tier = ctx.create();
    const mlps_tier_info info = tier->info();
    const mlps_tier_ops &ops = ctx.ops();
    if ((ctx.descriptor().caps & MLPS_TIER_CAP_BUFFER_ALLOC) == 0 ||
        !MLPS_HAS_FIELD(&ops, mlps_tier_ops, buffer_free) || ops.buffer_alloc == nullptr ||
        ops.buffer_free == nullptr) {
        ctx.skip("the tier offers no buffer_alloc (the host allocates aligned host memory)");
    }
    const uint32_t unit = tier->unit();
    const bool hostKind = info.buffer_memory == 0 || info.buffer_memory == MLPS_MEMORY_HOST ||
                          info.buffer_memory == MLPS_MEMORY_HOST_PINNED;
    for (const uint64_t size : {uint64_t{unit}, uint64_t{1} << 20, (uint64_t{1} << 20) + unit}) {
        void *a = nullptr;
        void *b = nullptr;
        mlps_error err{};
        ctx.step("buffer_alloc(" + std::to_string(size) + ")");
        mlps_status st = ops.buffer_alloc(tier->self(), size, &a, &err);
        ctx.expect(st == MLPS_OK && a != nullptr,
                   "buffer_alloc(" + std::to_string(size) + ") gives a buffer",
                   "it returned " + statusName(st) + ": " + err.message);
        st = ops.buffer_alloc(tier->self(), size, &b, &err);
        ctx.expect(st == MLPS_OK && b != nullptr,
                   "a second buffer_alloc(" + std::to_string(size) + ") gives a buffer",
                   "it returned " + statusName(st) + ": " + err.message);
        const auto address = reinterpret_cast<uintptr_t>(a);
        ctx.expect(info.alignment <= 1 || address % info.alignment == 0,
                   "buffers aligned to info.alignment (" + std::to_string(info.alignment) + ")",
                   "buffer at an address " + std::to_string(address % info.alignment) +
                       " bytes past a multiple");
        if (hostKind && tier->takesHostMemory()) {
            // The buffers carry an op: write from one, read into the other.
            auto *wa = static_cast<unsigned char *>(a);
            fillPattern(wa, 7, 0, size);
            auto q = tier->openQueue(2);
            const std::string key = "alloc/" + std::to_string(size);
            expectStatus(ctx, *q, writeOp(key, a, 0, size, size), MLPS_OK);
            expectStatus(ctx, *q, readOp(key, b, 0, size), MLPS_OK);
            expectPattern(ctx,
                          static_cast<unsigned char *>(b),
                          7,
                          0,
                          size,
                          "a read into a buffer_alloc buffer");
            expectStatus(ctx, *q, deleteOp(key), MLPS_OK);
        }
        ctx.step("buffer_free");
        ops.buffer_free(tier->self(), a, size);
        ops.buffer_free(tier->self(), b, size);
    }
    if (!hostKind) {
        ctx.note("device buffers: allocated and freed, not touched by the CPU");
    }
}

} // namespace

void addLifecycleChecks(std::vector<CheckDef> &checks) {
    checks.push_back({"validate",
                      "lifecycle",
                      "the validate hook accepts good options and creates nothing",
                      checkValidate});
    checks.push_back({"create-destroy",
                      "lifecycle",
                      "instances are independent; destroy leaves nothing behind",
                      checkCreateDestroy});
    checks.push_back({"info",
                      "lifecycle",
                      "info fields are consistent (sizes, alignment, caps, capacity, location)",
                      checkInfo});
    checks.push_back({"buffer-alloc",
                      "lifecycle",
                      "buffer_alloc gives aligned buffers that carry ops; buffer_free takes them",
                      checkBufferAlloc});
}

} // namespace mlps::core::check
