#include "common/plan/cgroup_v2_devices.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace gpuhooks::plan {
namespace {

// The six bpf(2) commands this file needs, called directly: a loader library would cost every prestart run its load
// and relocation (libbpf with libelf and zlib: 0.24 ms an exec, measured here) for what each of these does, one
// system call with its attribute block.
int bpf(int cmd, bpf_attr& attr) { return static_cast<int>(::syscall(SYS_bpf, cmd, &attr, sizeof attr)); }

int prog_query(int cgroup_fd, uint32_t* attach_flags, uint32_t* ids, uint32_t* count) {
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  attr.query.prog_cnt = *count;
  int r = bpf(BPF_PROG_QUERY, attr);
  *attach_flags = attr.query.attach_flags;
  *count = attr.query.prog_cnt;
  return r;
}

int prog_fd_by_id(uint32_t id) {
  bpf_attr attr{};
  attr.prog_id = id;
  return bpf(BPF_PROG_GET_FD_BY_ID, attr);
}

int prog_info(int prog_fd, bpf_prog_info* info) {
  bpf_attr attr{};
  attr.info.bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.info.info_len = sizeof *info;
  attr.info.info = reinterpret_cast<uint64_t>(info);
  return bpf(BPF_OBJ_GET_INFO_BY_FD, attr);
}

// Before Linux 5.11 a program's memory counts against RLIMIT_MEMLOCK, which the runtime's and systemd's device
// programs share: raised to unlimited, as libbpf does, or where the hook lacks CAP_SYS_RESOURCE (root on a VM or in
// a node container with a reduced capability set; seen here) as far as its hard limit, which needs no capability.
// False when the limit could not go any higher.
bool raise_memlock() {
  const struct rlimit unlimited { RLIM_INFINITY, RLIM_INFINITY };
  if (::setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) return true;
  struct rlimit now {};
  if (::getrlimit(RLIMIT_MEMLOCK, &now) != 0 || now.rlim_cur >= now.rlim_max) return false;
  now.rlim_cur = now.rlim_max;
  return ::setrlimit(RLIMIT_MEMLOCK, &now) == 0;
}

int prog_load(const std::vector<bpf_insn>& insns, std::string* log) {
  static const char license[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns.data());
  attr.insn_cnt = static_cast<uint32_t>(insns.size());
  attr.license = reinterpret_cast<uint64_t>(license);
  std::memcpy(attr.prog_name, "gpuhooks_dev", sizeof "gpuhooks_dev");
  if (log != nullptr) {
    attr.log_level = 1;
    attr.log_buf = reinterpret_cast<uint64_t>(log->data());
    attr.log_size = static_cast<uint32_t>(log->size());
  }
  int fd = -1;
  bool raised = false;
  for (int attempt = 0; attempt < 5; ++attempt) {  // the verifier can ask to be asked again
    fd = bpf(BPF_PROG_LOAD, attr);
    if (fd >= 0) break;
    if (errno == EPERM && !raised) {  // perhaps the memlock limit of a kernel before 5.11: raised once
      raised = true;
      if (raise_memlock()) continue;
      errno = EPERM;
    }
    if (errno != EAGAIN) break;
  }
  return fd;
}

int prog_attach(int prog_fd, int cgroup_fd, uint32_t flags, bool attach) {
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  return bpf(attach ? BPF_PROG_ATTACH : BPF_PROG_DETACH, attr);
}

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(uint8_t dst, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0); }
bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
bpf_insn jne_reg(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

struct Attached {
  uint32_t id;
  UniqueFd fd;
  std::vector<bpf_insn> insns;
};

std::vector<bpf_insn> instructions_of(int prog_fd, uint32_t id) {
  bpf_prog_info info{};
  if (prog_info(prog_fd, &info) != 0) throw sys_error("cannot read device program " + std::to_string(id));
  std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
  if (insns.empty()) throw Error("device program " + std::to_string(id) + " shows no instructions");
  bpf_prog_info with{};
  with.xlated_prog_len = static_cast<uint32_t>(insns.size() * sizeof(bpf_insn));
  with.xlated_prog_insns = reinterpret_cast<uint64_t>(insns.data());
  if (prog_info(prog_fd, &with) != 0)
    throw sys_error("cannot read the instructions of device program " + std::to_string(id));
  return insns;
}

std::vector<Attached> attached_programs(int cgroup_fd, uint32_t& attach_flags) {
  std::vector<uint32_t> ids(64);
  uint32_t count = static_cast<uint32_t>(ids.size());
  for (int attempt = 0;; ++attempt) {
    count = static_cast<uint32_t>(ids.size());
    if (prog_query(cgroup_fd, &attach_flags, ids.data(), &count) == 0) break;
    if (errno != ENOSPC || attempt == 4) throw sys_error("cannot list the cgroup's device programs");
    ids.resize(ids.size() * 4);
  }
  std::vector<Attached> out;
  for (uint32_t i = 0; i < count; ++i) {
    UniqueFd fd(prog_fd_by_id(ids[i]));
    if (!fd.valid()) {
      if (errno == EPERM || errno == EACCES) continue;  // e.g. an LSM's own program: not ours to replace
      throw sys_error("cannot open device program " + std::to_string(ids[i]));
    }
    auto insns = instructions_of(fd.get(), ids[i]);
    out.push_back({ids[i], std::move(fd), std::move(insns)});
  }
  return out;
}

// The verifier's last lines for a program that did not load (loaded again with its log on: rare, so not paid
// on every start).
std::string verifier_says(const std::vector<bpf_insn>& insns) {
  int err = errno;
  std::string log(1 << 16, '\0');
  UniqueFd again(prog_load(insns, &log));
  log.resize(log.find('\0'));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  auto last = log.rfind('\n');
  std::string tail = last == std::string::npos ? log : log.substr(last + 1);
  return std::string(std::strerror(err)) + (tail.empty() ? "" : " (" + tail.substr(0, 200) + ")");
}

}  // namespace

std::vector<bpf_insn> device_filter(const std::vector<CgroupRule>& rules, const std::vector<bpf_insn>& tail) {
  // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type = (access << 16) | type.
  std::vector<bpf_insn> p = {load_u32(BPF_REG_2, 0), alu_imm(BPF_AND, BPF_REG_2, 0xffff),
                             load_u32(BPF_REG_3, 0), alu_imm(BPF_RSH, BPF_REG_3, 16),
                             load_u32(BPF_REG_4, 4), load_u32(BPF_REG_5, 8)};
  for (const auto& r : rules) {
    const int32_t type = r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    // Eight instructions; each jump goes to the next rule (or to the tail).
    p.push_back(jne_imm(BPF_REG_2, type, 7));
    p.push_back(mov_reg(BPF_REG_6, BPF_REG_3));
    p.push_back(alu_imm(BPF_AND, BPF_REG_6, access_bits(r.access)));
    p.push_back(jne_reg(BPF_REG_6, BPF_REG_3, 4));  // an access the rule does not grant
    p.push_back(jne_imm(BPF_REG_4, static_cast<int32_t>(r.major), 3));
    p.push_back(jne_imm(BPF_REG_5, static_cast<int32_t>(r.minor), 2));
    p.push_back(alu_imm(BPF_MOV, BPF_REG_0, 1));
    p.push_back(exit_insn());
  }
  p.insert(p.end(), tail.begin(), tail.end());
  return p;
}

void allow_devices_v2(int cgroup_fd, const std::vector<CgroupRule>& rules) {
  uint32_t attach_flags = 0;
  auto programs = attached_programs(cgroup_fd, attach_flags);
  if (programs.empty()) {
    spdlog::debug("the container's cgroup has no device program: every device is allowed already");
    return;
  }
  for (const auto& old : programs) {
    auto insns = device_filter(rules, old.insns);
    UniqueFd prog(prog_load(insns, nullptr));
    if (!prog.valid()) throw Error("cannot load the device program with the GPU rules: " + verifier_says(insns));
    // Attach the new program before the old one goes, so the cgroup is never without a filter.
    // The flags the runtime attached with: the kernel refuses a different mode on the same cgroup.
    uint32_t flags = attach_flags & (BPF_F_ALLOW_MULTI | BPF_F_ALLOW_OVERRIDE);
    if (prog_attach(prog.get(), cgroup_fd, flags, true) != 0)
      throw sys_error("cannot attach the device program with the GPU rules");
    if (flags & BPF_F_ALLOW_MULTI) {
      if (prog_attach(old.fd.get(), cgroup_fd, 0, false) != 0)
        throw sys_error("cannot detach the runtime's device program " + std::to_string(old.id));
    }
  }
}

}  // namespace gpuhooks::plan
