#pragma once
// What `specmill batch ingest` (engine/batch/batch_ingest.cpp) sends between ranks, as bytes
// for the communicator's broadcast and gather:
//   a round:   rank 0's next files to decode (path, stamp, the record of an earlier ingest);
//   results:   a rank's decoded share of a round, without the pixels (digest, touched, error,
//              the spectrum's metadata, its count of repaired pixels, the block check's refusal);
//   block ops: rank 0's instructions to the ranks, which spectra go into which block;
//   written:   the blocks a rank wrote, as the catalog records them.
// Every field the packer reads crosses the wire: rank 0 then decides on exactly the items a
// single process would have. The pixels stay on the rank that decoded them, which writes them.
#include <cstddef>
#include <span>
#include <vector>

#include "engine/ingest/ingest_steps.hpp"

namespace specmill {

std::vector<std::byte> encode_round(std::span<const ingest_steps::work_item> items);
// Throws data_error on a truncated or malformed message.
std::vector<ingest_steps::work_item> decode_round(std::span<const std::byte> bytes);

std::vector<std::byte> encode_results(std::span<const ingest_steps::work_item> items);
// Fills the results of `items` (the same files, in the same order, as encoded): a decoded
// spectrum arrives as its meta and data.nonfinite_pixels, no pixel columns. data_error when the
// message does not match them.
void decode_results(std::span<const std::byte> bytes, std::span<ingest_steps::work_item> items);

// One instruction from rank 0 to the rank that owns `lane`: add the item numbered `value` (its
// work_item::serial) to the lane's open block, or write that block as block `value`.
struct block_op {
  enum kind_t : int32_t { add = 0, write = 1 };
  int32_t lane = 0;
  kind_t kind = add;
  int64_t value = 0;
};

std::vector<std::byte> encode_written(std::span<const ingest_steps::written_block> blocks);
// data_error on a truncated or malformed message.
std::vector<ingest_steps::written_block> decode_written(std::span<const std::byte> bytes);

}  // namespace specmill
