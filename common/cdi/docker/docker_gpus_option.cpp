// docker/cli opts/gpus.go: the --gpus value is one CSV record (encoding/csv), so `device=0,1` must be quoted as
// '"device=0,1"' to keep its comma.
#include <charconv>

#include "common/cdi/docker/docker_gpus.h"
#include "common/cdi/spec/quote.h"
#include "common/error.h"
#include "common/split_join.h"

namespace gpuhooks::cdi {
namespace {

// encoding/csv Reader.Read for the first record: comma-separated, RFC 4180 quotes ("" inside quotes), no trimming.
std::vector<std::string> read_csv_record(std::string_view line) {
  if (line.empty()) throw Error("EOF");
  if (auto nl = line.find('\n'); nl != std::string_view::npos) line = line.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto parse_error = [](size_t column, const char* what) {
    return Error("parse error on line 1, column " + std::to_string(column) + ": " + what);
  };
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) throw parse_error(i + 1, "extraneous or missing \" in quoted-field");
        if (line[i] != '"') {
          field += line[i++];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
        } else {
          ++i;
          break;
        }
      }
      if (i < line.size() && line[i] != ',') throw parse_error(i + 1, "extraneous or missing \" in quoted-field");
    } else {
      size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      field = std::string(line.substr(i, end - i));
      if (auto q = field.find('"'); q != std::string::npos) throw parse_error(i + q + 1, "bare \" in non-quoted-field");
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
    if (i == line.size()) {
      fields.emplace_back();
      break;
    }
  }
  return fields;
}

int64_t parse_count(const std::string& s) {
  if (s == "all") return -1;
  // strconv.Atoi: optional sign, decimal digits.
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || (digits[0] == '-' && s[0] == '+'))
    throw Error("invalid count (" + s + "): value must be either \"all\" or an integer");
  return v;
}

DeviceRequest parse_fields(const std::vector<std::string>& fields) {
  DeviceRequest req;
  std::map<std::string, bool> seen;
  bool have_ids = false;
  for (const auto& field : fields) {
    auto eq = field.find('=');
    std::string key = field.substr(0, eq);
    if (seen[key]) throw Error("gpu request key '" + key + "' can be specified only once");
    seen[key] = true;
    if (eq == std::string::npos) {  // a bare value is the count
      seen["count"] = true;
      req.count = parse_count(key);
      continue;
    }
    std::string val = field.substr(eq + 1);
    if (key == "driver") {
      req.driver = val;
    } else if (key == "count") {
      req.count = parse_count(val);
    } else if (key == "device") {
      req.device_ids = split(val, ',');
      have_ids = true;
    } else if (key == "capabilities") {
      auto caps = split(val, ',');
      caps.push_back("gpu");
      req.capabilities = {caps};
    } else if (key == "options") {
      std::vector<std::string> opts;
      try {
        opts = read_csv_record(val);
      } catch (const Error& e) {
        throw Error(std::string("failed to read gpu options: ") + e.what());
      }
      for (const auto& o : opts) {
        auto oeq = o.find('=');
        req.options[o.substr(0, oeq)] = oeq == std::string::npos ? "" : o.substr(oeq + 1);
      }
    } else {
      throw Error("unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (!seen["count"] && !have_ids) req.count = 1;
  if (req.capabilities.empty()) req.capabilities = {{"gpu"}};
  return req;
}

}  // namespace

DeviceRequest parse_gpus_option(std::string_view value) {
  try {
    return parse_fields(read_csv_record(value));
  } catch (const Error& e) {
    throw Error("invalid argument " + go_quote(value) + " for \"--gpus\" flag: " + e.what());
  }
}

std::vector<std::string> requested_device_ids(const DeviceRequest& request) {
  if (request.count != 0 && !request.device_ids.empty())
    throw Error("cannot set both Count and DeviceIDs on device request");
  if (!request.device_ids.empty()) return request.device_ids;
  if (request.count < 0) return {"all"};
  // Docker builds all N names ("0".."N-1") however large N is: `--gpus 8000000000000` would exhaust memory here
  // (found by tests/fuzz/docker_gpus_fuzz.cpp). No host has that many GPUs, so a count beyond the bound is refused.
  if (request.count > kMaxGpuCount)
    throw Error("device request count " + std::to_string(request.count) + " is more than " +
                std::to_string(kMaxGpuCount) + " GPUs");
  std::vector<std::string> ids;
  for (int64_t i = 0; i < request.count; ++i) ids.push_back(std::to_string(i));
  return ids;
}

std::string cdi_name_for_gpu(std::string_view id, std::string_view kind) {
  if (id.find('=') != std::string_view::npos) return std::string(id);
  return std::string(kind) + "=" + std::string(id);
}

}  // namespace gpuhooks::cdi
