// Many GPU containers started at once with the createContainer hooks of a generated CDI spec (issue 9 §5): every
// start succeeds, each container sees the one GPU it asked for, and once they are gone nothing of theirs or of the
// hooks' is left on the host: no mount, no namespace, no process, no open descriptor.
//
// Ours is what names the test's own directories (bundles, spec dir, simulated host) or the namespaces the
// containers reported from inside. Other users of the machine (another test binary, docker) may add or remove their
// own mounts, namespaces and processes meanwhile, so the host is compared on what is ours, not as a whole.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/harness/bundle.h"
#include "e2e/harness/cdi_cli.h"
#include "e2e/harness/generated_spec.h"
#include "e2e/harness/runc.h"
#include "e2e/harness/simulated_host.h"

namespace fs = std::filesystem;

namespace gpuhooks::e2e {
namespace {

constexpr int kContainers = 50;
constexpr int kGpus = 4;
// Bound of one `runc run` while all the others run too: 50 starts share two cores here.
constexpr int kRuncTimeoutS = 300;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool names_any(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& n : needles)
    if (text.find(n) != std::string::npos) return true;
  return false;
}

// The entries of a /proc directory; one whose process has gone meanwhile is simply empty.
std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    out.push_back(it->path());
  return out;
}

std::vector<int> all_pids() {
  std::vector<int> pids;
  for (const auto& e : entries("/proc")) {
    const std::string name = e.filename();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) pids.push_back(std::stoi(name));
  }
  return pids;
}

std::string link_or_empty(const fs::path& p) {
  std::error_code ec;
  auto t = fs::read_symlink(p, ec);
  return ec ? "" : t.string();
}

std::string comm_of(int pid) {
  std::string comm = test::read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

// What of ours the host holds now. `dirs`: the test's directories; `namespaces`: "mnt:[4026...]" as
// /proc/PID/ns/* names them.
struct HostPicture {
  std::set<std::string> mounts;     // mountinfo lines naming our dirs or namespaces
  std::set<std::string> processes;  // "pid comm: why" of processes in our namespaces or dirs
  std::set<std::string> fds;        // "pid/fd -> target" into our dirs
  std::set<std::string> children;   // "pid comm": our own children (orphans of runc or a hook land here)
};

// Clock ticks since boot, as /proc/PID/stat counts a process's start time.
unsigned long long ticks_since_boot() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  const long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<unsigned long long>(ts.tv_sec) * hz +
         static_cast<unsigned long long>(ts.tv_nsec) * hz / 1000000000;
}

// A namespace's number is reused once it is freed, and someone else's process may get it: only a process that
// started before `started_before` (ticks since boot) can be in a namespace of ours.
HostPicture picture(const std::vector<std::string>& dirs, const std::set<std::string>& namespaces,
                    unsigned long long started_before = ~0ULL) {
  HostPicture p;
  std::vector<std::string> needles = dirs;
  needles.insert(needles.end(), namespaces.begin(), namespaces.end());
  for (const auto& line : split_lines(test::read_file("/proc/self/mountinfo")))
    if (names_any(line, needles)) p.mounts.insert(line);
  const std::string self = std::to_string(::getpid());
  for (int pid : all_pids()) {
    if (pid == ::getpid()) continue;
    const fs::path proc = "/proc/" + std::to_string(pid);
    const std::string id = std::to_string(pid) + " " + comm_of(pid);
    const std::string stat = test::read_file(proc / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;  // gone meanwhile
    std::istringstream rest(stat.substr(close + 2));
    std::string state, ppid, field;
    rest >> state >> ppid;
    for (int f = 5; f <= 22 && rest >> field; ++f) {  // field 22: starttime
    }
    if (ppid == self) p.children.insert(id + " state " + state);
    if (!field.empty() && std::stoull(field) <= started_before) {
      for (const auto& ns : entries(proc / "ns")) {
        const std::string target = link_or_empty(ns);
        if (namespaces.count(target)) p.processes.insert(id + ": in " + target);
      }
    }
    for (const char* where : {"root", "cwd", "exe"}) {
      const std::string target = link_or_empty(proc / where);
      if (names_any(target, dirs)) p.processes.insert(id + ": " + where + " " + target);
    }
    for (const auto& fd : entries(proc / "fd")) {
      const std::string target = link_or_empty(fd);
      if (names_any(target, dirs) || namespaces.count(target))
        p.fds.insert(std::to_string(pid) + "/" + fd.filename().string() + " -> " + target);
    }
  }
  return p;
}

std::string show(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "  " + i + "\n";
  return out.empty() ? "  (none)\n" : out;
}

// The container's own namespaces, as the host names them: the lines after the marker in its output.
constexpr const char* kNamespaceMarker = "--- namespaces";
std::string container_script(const GeneratedSpec& g) {
  return "ls /dev | grep -E '^nvidia[0-9]+$'; " + g.script() + "; echo " + kNamespaceMarker +
         "; for n in mnt pid net ipc uts cgroup; do readlink /proc/self/ns/$n; done";
}

TEST(ManyGpuContainersAtOnce, AllStartEachSeesItsOwnGpuAndNothingIsLeftBehind) {
  const auto test_start = std::chrono::steady_clock::now();
  // Orphans of runc or of a hook come to this process instead of init: a process of ours left running shows here.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const auto& host = shared_simulated_host(kGpus);
  GeneratedSpec g(host);
  std::vector<std::unique_ptr<Bundle>> bundles;
  std::vector<std::string> dirs = {host.root().string(), g.dir.path().string()};
  for (int i = 0; i < kContainers; ++i) {
    auto b = std::make_unique<Bundle>();
    b->shell(container_script(g));
    auto inject = inject_cdi_devices(*b, g.dir.path(), {g.kind + "=" + std::to_string(i % kGpus)});
    ASSERT_EQ(inject.exit_code, 0) << inject.err;
    dirs.push_back(b->dir().parent_path().string());
    bundles.push_back(std::move(b));
  }
  const HostPicture before = picture(dirs, {});
  ASSERT_EQ(before.mounts, std::set<std::string>{}) << show(before.mounts);

  std::vector<test::RunResult> results(kContainers);
  std::latch go(kContainers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kContainers; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      results[i] = run_runc(*bundles[i], kRuncTimeoutS);
    });
  }
  const auto runs_start = std::chrono::steady_clock::now();
  go.arrive_and_wait();
  for (auto& t : threads) t.join();
  const auto runs_took = std::chrono::steady_clock::now() - runs_start;
  const unsigned long long runs_end = ticks_since_boot();

  std::set<std::string> namespaces;
  for (int i = 0; i < kContainers; ++i) {
    const auto& r = results[i];
    const auto& gpu = host.gpus()[i % kGpus];
    ASSERT_EQ(r.exit_code, 0) << "container " << i << ": " << r.err;
    const auto marker = r.out.find(std::string(kNamespaceMarker) + "\n");
    ASSERT_NE(marker, std::string::npos) << "container " << i << ": " << r.out;
    EXPECT_EQ(r.out.substr(0, marker),
              "nvidia" + std::to_string(i % kGpus) + "\n" + g.expected_cache_line() + nvidia_smi_list({gpu}))
        << "container " << i;
    for (const auto& ns : split_lines(r.out.substr(marker + std::string(kNamespaceMarker).size() + 1))) {
      EXPECT_TRUE(std::regex_match(ns, std::regex("[a-z]+:\\[[0-9]+\\]"))) << "container " << i << ": " << ns;
      namespaces.insert(ns);
    }
  }
  // Each container had namespaces of its own, not the host's (its cgroup namespace is the host's: runc's default
  // config asks for none).
  const std::string host_cgroup_ns = link_or_empty("/proc/self/ns/cgroup");
  for (const char* kind : {"mnt", "pid", "net", "ipc", "uts"})
    EXPECT_EQ(namespaces.count(link_or_empty(std::string("/proc/self/ns/") + kind)), 0u) << kind;
  namespaces.erase(host_cgroup_ns);

  // runc has reaped its containers when `runc run` returns; a process that outlived it is reaped here, so the
  // picture may need a moment to settle. Bounded: a process that is still there after it is left behind.
  HostPicture after;
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    after = picture(dirs, namespaces, runs_end);
    if ((after.processes.empty() && after.children.empty() && after.mounts.empty() && after.fds.empty()) ||
        std::chrono::steady_clock::now() > settle)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(after.mounts, before.mounts) << "host mounts of ours:\n" << show(after.mounts);
  EXPECT_EQ(after.processes, before.processes) << "processes of ours:\n" << show(after.processes);
  EXPECT_EQ(after.fds, before.fds) << "descriptors of ours:\n" << show(after.fds);
  EXPECT_EQ(after.children, before.children) << "orphans left to the test:\n" << show(after.children);

  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto total = std::chrono::steady_clock::now() - test_start;
  std::printf("%d containers at once: %lld ms for the runs, %lld ms in all (bundles and specs included)\n", kContainers,
              static_cast<long long>(duration_cast<milliseconds>(runs_took).count()),
              static_cast<long long>(duration_cast<milliseconds>(total).count()));
}

}  // namespace
}  // namespace gpuhooks::e2e
