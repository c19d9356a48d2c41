/* Everything a plugin author needs from C: include this one header. */
#ifndef MLPS_PLUGIN_H
#define MLPS_PLUGIN_H

#include <mlps/benchmark_abi.h>
#include <mlps/host_api.h>
#include <mlps/plugin_abi.h>
#include <mlps/tier_abi.h>

#endif /* MLPS_PLUGIN_H */
