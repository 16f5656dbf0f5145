// Replacing a cgroup v2 device program (common/plan/cgroup_v2_devices.h) on a real cgroup2 hierarchy, and on a
// kernel before 5.11, where a program's memory counts against RLIMIT_MEMLOCK: that kernel is played by a seccomp
// supervisor that answers the hook's program loads with EPERM while the limit is below what the host's programs
// already hold. Each test runs in a forked child in a private mount namespace with cgroup2 mounted there; the
// cgroup it makes is removed at the end, since cgroups outlive the namespace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <thread>

#include "common/error.h"
#include "common/plan/cgroup_v2_devices.h"
#include "common/unique_fd.h"
#include "support/test_support.h"

namespace gpuhooks::plan {
namespace {

using test::in_private_mount_namespace;
using test::TempDir;

constexpr rlim_t kLowMemlock = 64 << 10;  // the soft limit the hook inherits
constexpr rlim_t kHardMemlock = 4 << 20;  // and its hard limit
constexpr rlim_t kNothingIsEnough = RLIM_INFINITY;
const std::vector<CgroupRule> kGpu0 = {{'c', 195, 0, "rw"}};

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

// A fresh cgroup, by default with a deny-all device program attached the way runc attaches its own
// (BPF_F_ALLOW_MULTI).
class RuntimeCgroup {
 public:
  explicit RuntimeCgroup(const std::filesystem::path& mountpoint, bool with_program = true)
      : dir_(mountpoint / ("gpuhooks-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(mountpoint);
    if (::mount("none", mountpoint.c_str(), "cgroup2", 0, nullptr) != 0) throw sys_error("skip: mount cgroup2");
    if (::mkdir(dir_.c_str(), 0755) != 0) throw sys_error("skip: mkdir " + dir_.string());
    made_ = true;
    fd_ = UniqueFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_.valid()) throw sys_error("open " + dir_.string());
    if (!with_program) return;
    const bpf_insn deny[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(deny);
    load.insn_cnt = 2;
    load.license = reinterpret_cast<uint64_t>("Apache");
    std::memcpy(load.prog_name, "runtime_dev", sizeof "runtime_dev");
    UniqueFd prog(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
    if (!prog.valid()) throw sys_error("skip: load a device program");
    bpf_attr attach{};
    attach.target_fd = static_cast<uint32_t>(fd_.get());
    attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attach) != 0) throw sys_error("skip: attach a device program");
  }
  ~RuntimeCgroup() {
    if (made_) ::rmdir(dir_.c_str());
  }
  int fd() const { return fd_.get(); }

  // The names of the device programs attached now, comma-separated.
  std::string attached() const {
    uint32_t ids[16];
    bpf_attr query{};
    query.query.target_fd = static_cast<uint32_t>(fd_.get());
    query.query.attach_type = BPF_CGROUP_DEVICE;
    query.query.prog_ids = reinterpret_cast<uint64_t>(ids);
    query.query.prog_cnt = 16;
    if (bpf(BPF_PROG_QUERY, query) != 0) return "(query failed)";
    std::string names;
    for (uint32_t i = 0; i < query.query.prog_cnt; ++i) {
      bpf_attr by_id{};
      by_id.prog_id = ids[i];
      UniqueFd prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, by_id)));
      bpf_prog_info info{};
      bpf_attr get{};
      get.info.bpf_fd = static_cast<uint32_t>(prog.get());
      get.info.info_len = sizeof info;
      get.info.info = reinterpret_cast<uint64_t>(&info);
      names += (names.empty() ? "" : ",") + std::string(bpf(BPF_OBJ_GET_INFO_BY_FD, get) == 0 ? info.name : "?");
    }
    return names;
  }

 private:
  std::filesystem::path dir_;
  bool made_ = false;
  UniqueFd fd_;
};

// On the calling thread only: every bpf(2) call waits for the supervisor behind the returned listener.
int supervise_bpf_calls() {
  return test::filter_system_call(SYS_bpf, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

// The calling thread's effective capabilities (capget and capset act on one thread).
bool has_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  return ::syscall(SYS_capget, &header, data) == 0 && (data[cap / 32].effective & (1u << (cap % 32)));
}
bool drop_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[cap / 32].effective &= ~(1u << (cap % 32));
  return ::syscall(SYS_capset, &header, data) == 0;
}

struct OldKernel {
  rlim_t held = 2 << 20;         // a load passes once RLIMIT_MEMLOCK is at least what the host's programs hold
  bool cap_sys_resource = true;  // false: the hook's thread runs without it
};

struct OldKernelRun {
  int loads = 0;
  int refused = 0;
  std::string error = "(none)";
};

// allow_devices_v2 on a thread whose program loads fail with EPERM while RLIMIT_MEMLOCK is below what the host's
// programs hold; every other bpf(2) call goes to the real kernel. Bounded: a hook that kept asking fails its test,
// never the suite.
OldKernelRun allow_on_an_old_kernel(int cgroup_fd, OldKernel kernel) {
  OldKernelRun run;
  std::promise<int> listener;
  std::atomic<bool> done{false};
  std::thread hook([&] {
    int fd = kernel.cap_sys_resource || drop_capability(CAP_SYS_RESOURCE) ? supervise_bpf_calls() : -1;
    listener.set_value(fd >= 0 ? fd : -errno);  // errno is this thread's own
    if (fd >= 0) {
      try {
        allow_devices_v2(cgroup_fd, kGpu0);
      } catch (const Error& e) {
        run.error = e.what();
      }
    }
    done = true;
  });
  const int got = listener.get_future().get();
  if (got < 0) {
    hook.join();
    throw sys_error("skip: CAP_SYS_RESOURCE dropped and a seccomp listener on the hook's thread", -got);
  }
  UniqueFd fd(got);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN)) continue;
    seccomp_notif call{};
    if (::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_RECV, &call) != 0) continue;
    seccomp_notif_resp answer{};
    answer.id = call.id;
    answer.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (call.data.args[0] == BPF_PROG_LOAD) {
      ++run.loads;
      struct rlimit limit {};
      ::getrlimit(RLIMIT_MEMLOCK, &limit);  // the process's limit, which the hook's thread sets
      if (kernel.held == kNothingIsEnough || limit.rlim_cur < kernel.held) {
        ++run.refused;
        answer.flags = 0;
        answer.error = -EPERM;
      }
    }
    ::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &answer);
  }
  if (!done) {
    hook.detach();  // the child exits with it still waiting
    run.error = "(still loading after 10 s)";
    return run;
  }
  hook.join();
  return run;
}

void set_memlock(rlim_t soft, rlim_t hard) {
  const struct rlimit limit { soft, hard };
  if (::setrlimit(RLIMIT_MEMLOCK, &limit) != 0) throw sys_error("skip: setrlimit RLIMIT_MEMLOCK");
}

std::string memlock() {
  struct rlimit limit {};
  ::getrlimit(RLIMIT_MEMLOCK, &limit);
  return limit.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_cur);
}

bool kernel_at_least(int major, int minor) {
  utsname u{};
  int ma = 0, mi = 0;
  return ::uname(&u) == 0 && std::sscanf(u.release, "%d.%d", &ma, &mi) == 2 &&
         (ma > major || (ma == major && mi >= minor));
}

#define SKIP_UNLESS_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "cgroup2 mounts and device programs need root"
#define SKIP_IF_UNAVAILABLE(seen) \
  if ((seen).rfind("error: skip: ", 0) == 0) GTEST_SKIP() << (seen).substr(13)

// fn(cgroup) in a forked child in a private mount namespace, on a fresh cgroup (with the runtime's device program
// unless `with_program` is false), the hook's memlock limit low; what fn returns, or "error: ...".
std::string in_a_runtime_cgroup(const std::function<std::string(RuntimeCgroup&)>& fn, bool with_program = true) {
  TempDir tmp;
  return in_private_mount_namespace([&] {
    RuntimeCgroup cg(tmp / "cgroup2", with_program);
    set_memlock(kLowMemlock, kHardMemlock);
    return fn(cg);
  });
}

std::string summary(const OldKernelRun& run, const RuntimeCgroup& cg) {
  return "loads=" + std::to_string(run.loads) + " refused=" + std::to_string(run.refused) + " memlock=" + memlock() +
         " attached=" + cg.attached() + " error=" + run.error;
}

TEST(CgroupV2Devices, OnAnOldKernelTheMemlockLimitGoesUnlimitedOnceAndTheProgramLoads) {
  SKIP_UNLESS_ROOT();
  if (!has_capability(CAP_SYS_RESOURCE)) GTEST_SKIP() << "no CAP_SYS_RESOURCE: no limit can go unlimited here";
  auto seen = in_a_runtime_cgroup([](RuntimeCgroup& cg) {
    return summary(allow_on_an_old_kernel(cg.fd(), {.held = 64 << 20}), cg);  // more than the hard limit
  });
  SKIP_IF_UNAVAILABLE(seen);
  EXPECT_EQ(seen, "loads=2 refused=1 memlock=unlimited attached=gpuhooks_dev error=(none)");
}

TEST(CgroupV2Devices, WithoutCapSysResourceTheSoftLimitGoesUpToTheHardOneAndTheProgramLoads) {
  SKIP_UNLESS_ROOT();
  auto seen = in_a_runtime_cgroup(
      [](RuntimeCgroup& cg) { return summary(allow_on_an_old_kernel(cg.fd(), {.cap_sys_resource = false}), cg); });
  SKIP_IF_UNAVAILABLE(seen);
  EXPECT_EQ(seen, "loads=2 refused=1 memlock=" + std::to_string(kHardMemlock) + " attached=gpuhooks_dev error=(none)");
}

TEST(CgroupV2Devices, WhereRaisingTheLimitDoesNotHelpTheErrorIsOneLineAndTheRuntimesProgramStays) {
  SKIP_UNLESS_ROOT();
  auto seen = in_a_runtime_cgroup([](RuntimeCgroup& cg) {
    auto run = allow_on_an_old_kernel(cg.fd(), {.held = kNothingIsEnough});
    // Each of the two loads (the program, then again for the verifier's log) raises at most once.
    return "bounded=" + std::string(run.loads <= 4 && run.loads == run.refused ? "yes" : std::to_string(run.loads)) +
           " attached=" + cg.attached() + " error=" + run.error;
  });
  SKIP_IF_UNAVAILABLE(seen);
  EXPECT_EQ(seen,
            "bounded=yes attached=runtime_dev "
            "error=cannot load the device program with the GPU rules: Operation not permitted");
}

TEST(CgroupV2Devices, OnAKernelThatChargesTheMemoryCgroupTheLimitIsLeftAlone) {
  SKIP_UNLESS_ROOT();
  if (!kernel_at_least(5, 11)) GTEST_SKIP() << "this kernel charges RLIMIT_MEMLOCK for device programs itself";
  auto seen = in_a_runtime_cgroup([](RuntimeCgroup& cg) {
    allow_devices_v2(cg.fd(), kGpu0);
    return "memlock=" + memlock() + " attached=" + cg.attached();
  });
  SKIP_IF_UNAVAILABLE(seen);
  EXPECT_EQ(seen, "memlock=" + std::to_string(kLowMemlock) + " attached=gpuhooks_dev");
}

TEST(CgroupV2Devices, ACgroupWithNoDeviceProgramIsLeftWithNone) {
  SKIP_UNLESS_ROOT();
  auto seen = in_a_runtime_cgroup(
      [](RuntimeCgroup& cg) {
        allow_devices_v2(cg.fd(), kGpu0);
        return "attached=" + cg.attached();
      },
      false);
  SKIP_IF_UNAVAILABLE(seen);
  EXPECT_EQ(seen, "attached=");
}

}  // namespace
}  // namespace gpuhooks::plan
