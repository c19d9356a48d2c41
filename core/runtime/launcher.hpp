// `mlpsrun run --hosts ... -n N`: builds the mpiexec command line that starts one mlpsrun per
// rank, checks that the hosts can run it (reachable, same mlpsrun and plugins), prints the
// command and runs it. The ranks then find themselves under mpiexec and run as a job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlps::core {

struct LaunchOptions {
    std::vector<std::string> hosts; // "h1", "h2:4" (slots); --hosts h1,h2:4 or the spec's list
    std::string hostfile;
    uint32_t ranks = 0; // -n; 0 = one per slot (mpiexec's default)
    std::string mpiBin; // the launcher: a name on PATH or a path; default mpiexec
    bool oversubscribe = false;
    bool allowRunAsRoot = false;
    // "key=value" becomes `--mca key value`; text starting with '-' is passed as it is,
    // split at spaces ("--bind-to core").
    std::vector<std::string> mpiParams;
    bool preflight = true; // check remote hosts before launching

    bool wanted() const { return !hosts.empty() || !hostfile.empty() || ranks != 0; }
};

// The launcher's path; SystemError when there is none ("MPI is not installed ...").
std::string findMpiexec(const std::string &mpiBin);

// The full command line: mpiexec, its options, then `rankCommand` (the mlpsrun each rank
// runs). `openMpi` selects Open MPI's option names (else MPICH/Hydra's).
std::vector<std::string> buildLaunchCommand(const LaunchOptions &options,
                                            const std::string &mpiexec,
                                            bool openMpi,
                                            const std::vector<std::string> &rankCommand);

// True when `mpiexec --version` says Open MPI.
bool isOpenMpi(const std::string &mpiexec);

// The hosts named by --hosts and the hostfile, without slots, in order, once each.
std::vector<std::string> launchHosts(const LaunchOptions &options);

// For every host that is not this one: reachable through the launcher's remote shell (Open
// MPI's plm_rsh_agent, default ssh), `mlpsrun` there starts, every plugin file is there.
// SystemError naming the host and what is wrong.
void preflightHosts(const LaunchOptions &options,
                    const std::string &mlpsrun,
                    const std::vector<std::string> &pluginFiles);

// Throws ConfigError unless `host` is a plain host name (what ssh and mpiexec may be given).
void checkHostName(const std::string &host);
// One shell word per argument, quoted where needed: what gets printed.
std::string shellCommand(const std::vector<std::string> &argv);

// Runs the launcher as a child in its own process group and waits for it; returns its exit
// status. Ctrl-C (SIGINT/SIGTERM) reaches only this process, which asks the job to stop
// gracefully: SIGUSR1 to mpiexec, which forwards it to every rank (Open MPI forwards SIGUSR1
// by default), so the ranks stop, merge and write `interrupted` results. A second Ctrl-C
// sends SIGINT to mpiexec (its own teardown), a third kills the launcher's process group.
int runLauncher(const std::vector<std::string> &argv);

// In a rank: SIGUSR1 asks the run to stop, as Ctrl-C does (see runLauncher).
void installJobStopSignal();

// This executable's absolute path (/proc/self/exe).
std::string selfExecutable();

} // namespace mlps::core
