#include "engine/batch/batch_job.hpp"

#include <tbb/info.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include "core/error.hpp"

namespace specmill {

std::vector<spectrum_id> broadcast_id_list(const communicator& comm, const std::string& path) {
  // Sent as the lines themselves: each rank parses them again (parse_spectrum_id is a pure
  // function of the line), so nothing of the list's in-memory form crosses the wire.
  std::vector<spectrum_id> ids;
  std::vector<std::byte> text;
  if (comm.rank() == 0) {
    ids = load_id_list(path);
    std::string joined;
    for (const auto& id : ids) joined += id.text + '\n';
    text = to_bytes(joined);
  }
  comm.broadcast(text);
  if (comm.rank() == 0) return ids;
  const std::string joined = to_string(text);
  for (size_t at = 0; at < joined.size();) {
    const size_t nl = joined.find('\n', at);
    ids.push_back(parse_spectrum_id(std::string_view(joined).substr(at, nl - at)));
    at = nl + 1;
  }
  return ids;
}

// The entries travel as they are (resolved_id: 32 trivially copyable bytes); the texts of those
// without pixels are taken again from the list every rank holds.
static_assert(std::is_trivially_copyable_v<resolved_id>);

resolved_list resolve_ids_ranks(const communicator& comm, catalog_reader& cat, const std::string& context,
                                std::vector<spectrum_id> ids) {
  const size_t n = ids.size();
  const auto [first, last] = rank_block(n, comm.rank(), comm.size());
  const auto mine = resolve_ids(cat, context, std::span<const spectrum_id>(ids).subspan(first, last - first));
  if (comm.size() == 1) return mine;
  std::vector<resolved_id> all;
  all.reserve(n);
  for (auto& part : comm.gather_values(mine.span())) all.insert(all.end(), part.begin(), part.end());
  comm.broadcast_values(all);
  SPECMILL_EXPECTS(all.size() == n, "batch: the ranks' resolved IDs do not cover the list", data_error);
  resolved_list out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.add(all[i], ids[i].text);
  return out;
}

int bind_rank_device(const communicator& comm) {
  if (std::getenv("CUDA_VISIBLE_DEVICES")) return -1;  // the launcher (srun --gpus-per-task) chose
  // Counted without the CUDA runtime: once it has started, CUDA_VISIBLE_DEVICES no longer
  // applies to this process. The NVIDIA driver lists one folder per GPU here.
  int count = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/driver/nvidia/gpus", ec), end; !ec && it != end; it.increment(ec))
    ++count;
  if (count == 0) return -1;
  // The environment, not cudaSetDevice: that is per thread, and the engine's reader and TBB
  // threads would all start on device 0.
  const int ordinal = comm.node_rank() % count;
  setenv("CUDA_VISIBLE_DEVICES", std::to_string(ordinal).c_str(), 1);
  return ordinal;
}

std::unique_ptr<tbb::global_control> limit_rank_threads(const communicator& comm, int* threads) {
  // The launcher's binding shows in the affinity mask TBB reads (Slurm's --cpus-per-task, Open
  // MPI's bind-to-core); dividing the node's cores covers launchers that bind nothing.
  const int mine = tbb::info::default_concurrency();
  const int node = int(std::thread::hardware_concurrency());
  const int n = std::max(1, std::min(mine, node > 0 ? node / std::max(1, comm.node_size()) : mine));
  if (threads) *threads = n;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, size_t(n));
}

void batch_test_hook(const communicator& comm, const char* stage) {
  const char* spec = std::getenv("SPECMILL_BATCH_TEST_FAIL");
  if (!spec) return;
  const std::string s(spec);
  const size_t colon = s.find(':');
  if (colon == std::string::npos || std::atoi(s.substr(0, colon).c_str()) != comm.rank()) return;
  const std::string how = s.substr(colon + 1);
  if (how == "kill") std::raise(SIGKILL);
  throw io_error("SPECMILL_BATCH_TEST_FAIL: rank " + std::to_string(comm.rank()) + " made to fail at " + stage);
}

}  // namespace specmill
