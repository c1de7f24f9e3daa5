#pragma once
// What `specmill batch ingest` (engine/batch/batch_ingest.cpp) sends between ranks, as bytes
// for the communicator's broadcast and gather:
//   a round:   rank 0's next files to decode (path, stamp, the record of an earlier ingest);
//   results:   a rank's decoded share of a round (digest, touched, error, the whole spectrum).
// Only what the decode step (ingest_steps::read_item) reads or writes crosses the wire, and every
// field of it: the packer on rank 0 then sees exactly the items a single process would have.
#include <cstddef>
#include <span>
#include <vector>

#include "engine/ingest/ingest_steps.hpp"

namespace specmill {

std::vector<std::byte> encode_round(std::span<const ingest_steps::work_item> items);
// Throws data_error on a truncated or malformed message.
std::vector<ingest_steps::work_item> decode_round(std::span<const std::byte> bytes);

std::vector<std::byte> encode_results(std::span<const ingest_steps::work_item> items);
// Fills the results of `items` (the same files, in the same order, as encoded); data_error when
// the message does not match them.
void decode_results(std::span<const std::byte> bytes, std::span<ingest_steps::work_item> items);

}  // namespace specmill
