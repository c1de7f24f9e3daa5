// The communicator of a build without MPI (SPECMILL_MPI=OFF or not found): a world of one rank.
// Every collective is the identity, so a batch command runs its whole job in this process.
#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {
namespace {
std::atomic<bool> live{false};
}

bool communicator::mpi_compiled() { return false; }

communicator::communicator() {
  SPECMILL_EXPECTS(!live.exchange(true), "a batch job's communicator is made once per process");
  // Under a launcher, N copies of this build would each run the whole job and race to write
  // the same output: refuse instead (Open MPI, MPICH/Hydra and Slurm say how many there are).
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    const char* n = std::getenv(var);
    if (n && std::atoi(n) > 1) {
      live = false;
      throw invalid_argument(std::string("this specmill was built without MPI (SPECMILL_MPI=OFF or MPI not found) but ") +
                             var + "=" + n + " says it runs as one of several ranks: rebuild with MPI, or run it alone");
    }
  }
}
communicator::~communicator() { live = false; }

void communicator::broadcast(std::vector<std::byte>&, int) const {}

std::vector<std::vector<std::byte>> communicator::gather(std::span<const std::byte> bytes, int) const {
  return {std::vector<std::byte>(bytes.begin(), bytes.end())};
}

std::vector<double> communicator::reduce_sum(std::span<const double> values, int) const {
  return std::vector<double>(values.begin(), values.end());
}

long long communicator::all_max(long long value) const { return value; }
void communicator::barrier() const {}
void communicator::abort(int exit_code) const { std::_Exit(exit_code); }

}  // namespace specmill
