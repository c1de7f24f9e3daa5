// io/mpi/communicator: the collectives' results on every rank. Plain ctest runs it as one rank
// (io.communicator.*); with MPI, CTest also runs it under mpirun -np 3 (mpi.communicator), where
// ranks send payloads of different lengths and the sum's order shows in its rounding.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "io/mpi/communicator.hpp"

namespace specmill {
namespace {

// Rank r's addend: large and small values alternate, so that the sum depends on the order.
double addend(int r, size_t i) { return (r % 2 ? 1.0 : 1e16) * double(i + 1) + double(r); }

// One communicator per process (MPI starts once), so one test holds every check.
TEST(communicator, collectives_on_every_rank) {
  communicator comm;
  const int rank = comm.rank(), size = comm.size();
  ASSERT_GE(size, 1);
  ASSERT_GE(rank, 0);
  ASSERT_LT(rank, size);
  EXPECT_GE(comm.node_rank(), 0);
  EXPECT_LT(comm.node_rank(), comm.node_size());
  if (!communicator::mpi_compiled()) {
    EXPECT_EQ(size, 1);
  }

  // broadcast: rank 0's text reaches everyone, whatever they held.
  std::vector<std::byte> b = to_bytes(rank == 0 ? std::string("from rank zero") : std::string("x"));
  comm.broadcast(b);
  EXPECT_EQ(to_string(b), "from rank zero");

  // gather: rank r sends r + 1 bytes of value r; rank 0 gets them in rank order.
  std::vector<std::byte> mine(size_t(rank) + 1, std::byte(rank));
  const auto parts = comm.gather(mine);
  if (rank == 0) {
    ASSERT_EQ(parts.size(), size_t(size));
    for (int r = 0; r < size; ++r) EXPECT_EQ(parts[size_t(r)], std::vector<std::byte>(size_t(r) + 1, std::byte(r)));
  } else {
    EXPECT_TRUE(parts.empty());
  }

  // An empty payload is a payload.
  const auto none = comm.gather(std::span<const std::byte>());
  if (rank == 0) {
    for (const auto& p : none) EXPECT_TRUE(p.empty());
  }

  // reduce_sum: exactly the sum in rank order (0 + v0 + v1 + ...), bit for bit.
  std::vector<double> v(5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = addend(rank, i);
  const auto sum = comm.reduce_sum(v);
  if (rank == 0) {
    ASSERT_EQ(sum.size(), v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      double expect = 0;
      for (int r = 0; r < size; ++r) expect += addend(r, i);
      EXPECT_EQ(std::memcmp(&sum[i], &expect, sizeof(double)), 0) << i << ": " << sum[i] << " vs " << expect;
    }
  }

  // typed forms
  std::vector<int> ints = rank == 0 ? std::vector<int>{3, 1, 4} : std::vector<int>{};
  comm.broadcast_values(ints);
  EXPECT_EQ(ints, (std::vector<int>{3, 1, 4}));
  EXPECT_EQ(comm.all_max(rank * 10), (size - 1) * 10);
  comm.barrier();
}

}  // namespace
}  // namespace specmill
