#include "common/discovery/proc_gpus.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace gpuhooks::discovery {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<unsigned> to_unsigned(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw sys_error(p.string() + ": cannot read");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool is_hex_group(std::string_view s, size_t len) {
  return s.size() == len &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

bool is_device_uuid(std::string_view text) {
  if (text.substr(0, 4) != "GPU-" && text.substr(0, 4) != "MIG-") return false;
  std::string_view rest = text.substr(4);
  const size_t groups[] = {8, 4, 4, 4, 12};
  for (size_t i = 0; i < 5; ++i) {
    size_t dash = i < 4 ? rest.find('-') : rest.size();
    if (dash == std::string_view::npos || !is_hex_group(rest.substr(0, dash), groups[i])) return false;
    rest = i < 4 ? rest.substr(dash + 1) : std::string_view{};
  }
  return true;
}

Gpu parse_gpu_information(std::string_view text, const std::string& origin) {
  std::map<std::string, std::string, std::less<>> fields;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    fields[std::string(trim(std::string_view(line).substr(0, colon)))] =
        std::string(trim(std::string_view(line).substr(colon + 1)));
  }
  auto field = [&](const char* key) -> const std::string& {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.empty()) throw Error(origin + ": no \"" + key + "\" field");
    return it->second;
  };
  Gpu gpu;
  gpu.model = field("Model");
  gpu.uuid = field("GPU UUID");
  if (!is_device_uuid(gpu.uuid) || gpu.uuid.substr(0, 4) != "GPU-") {
    throw Error(origin + ": \"GPU UUID\" is not a GPU UUID: " + gpu.uuid);
  }
  gpu.pci_bus_id = field("Bus Location");
  for (auto& c : gpu.pci_bus_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto minor = to_unsigned(field("Device Minor"));
  if (!minor) throw Error(origin + ": \"Device Minor\" is not a number: " + field("Device Minor"));
  gpu.minor = *minor;
  return gpu;
}

std::vector<Gpu> read_proc_gpus(const std::filesystem::path& proc_driver_nvidia) {
  std::filesystem::path dir = proc_driver_nvidia / "gpus";
  std::error_code ec;
  std::vector<std::filesystem::path> buses;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) buses.push_back(entry.path());
  if (ec) throw Error(dir.string() + ": cannot list GPUs: " + ec.message());
  std::sort(buses.begin(), buses.end());
  std::vector<Gpu> gpus;
  for (const auto& bus : buses) {
    auto file = bus / "information";
    Gpu gpu = parse_gpu_information(slurp(file), file.string());
    gpu.index = static_cast<unsigned>(gpus.size());
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

std::map<std::string, int> parse_mig_minors(std::string_view text, const std::string& origin) {
  std::map<std::string, int> minors;
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (line.empty()) continue;
    size_t space = line.find(' ');
    auto minor = space == std::string_view::npos ? std::nullopt : to_unsigned(trim(line.substr(space + 1)));
    if (!minor) throw Error(origin + ":" + std::to_string(number) + ": not \"<name> <minor>\": " + std::string(line));
    minors[std::string(line.substr(0, space))] = static_cast<int>(*minor);
  }
  return minors;
}

}  // namespace gpuhooks::discovery
