#include "runtime/run_beacon.hpp"

#include <new>
#include <sys/mman.h>

namespace mlps::core {

namespace {

RunBeacon gPrivateBeacon;
RunBeacon *gBeacon = &gPrivateBeacon;

} // namespace

RunBeacon &runBeacon() {
    return *gBeacon;
}

RunBeacon *mapSharedBeacon() {
    void *page = ::mmap(
        nullptr, sizeof(RunBeacon), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) {
        gBeacon = new (page) RunBeacon();
    }
    return gBeacon;
}

} // namespace mlps::core
