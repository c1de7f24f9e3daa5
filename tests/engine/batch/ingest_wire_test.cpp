// What `specmill batch ingest` sends between ranks (engine/batch/ingest_wire): every field the
// packer reads must arrive as the decoding rank had it, bit for bit, or the parallel store would
// differ from the serial one; the pixels must not travel (the decoding rank writes them).
#include "engine/batch/ingest_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "engine/store/store.hpp"
#include "io/mpi/communicator.hpp"

using namespace specmill;
using ingest_steps::work_item;
namespace fs = std::filesystem;

namespace {

// Three kinds of item: a decoded real file (with a record of an earlier ingest), a failure, and
// a touched file (digest only).
std::vector<work_item> sample_items() {
  const fs::path dir = fs::path(SPECMILL_SHARED_DATA) / "spectra";
  std::vector<work_item> items(3);
  items[0].path = dir / "spec-0266-51602-0013.fits";
  items[0].stamp = ingest_steps::stamp_of(items[0].path);
  items[0].record = ingested_file{items[0].stamp.path, 1, 2, 299489677444933632ull, 77};
  items[1].path = "relative/broken.fits";
  items[1].stamp = {"/abs/relative/broken.fits", 12, -5};
  items[2].path = dir / "spec-0332-52367-0639.fits";
  items[2].stamp = ingest_steps::stamp_of(items[2].path);
  items[2].record = ingested_file{items[2].stamp.path, 3, 4, 42, std::nullopt};
  return items;
}

}  // namespace

TEST(IngestWire, RoundCarriesPathsStampsAndRecords) {
  const auto items = sample_items();
  const auto got = decode_round(encode_round(items));
  ASSERT_EQ(got.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(got[i].path, items[i].path);
    EXPECT_EQ(got[i].stamp.path, items[i].stamp.path);
    EXPECT_EQ(got[i].stamp.size, items[i].stamp.size);
    EXPECT_EQ(got[i].stamp.mtime, items[i].stamp.mtime);
    ASSERT_EQ(got[i].record.has_value(), items[i].record.has_value());
    if (!items[i].record) continue;
    EXPECT_EQ(got[i].record->path, items[i].record->path);
    EXPECT_EQ(got[i].record->size, items[i].record->size);
    EXPECT_EQ(got[i].record->mtime, items[i].record->mtime);
    EXPECT_EQ(got[i].record->specobjid, items[i].record->specobjid);
    EXPECT_EQ(got[i].record->digest, items[i].record->digest);
  }
  EXPECT_TRUE(decode_round(encode_round({})).empty());
}

TEST(IngestWire, ResultsCarryTheMetadataBitExactNotThePixels) {
  auto items = sample_items();
  ingest_steps::read_item(items[0]);
  ASSERT_TRUE(items[0].spectrum) << items[0].error;
  items[1].error = "not a FITS file";
  items[2].digest = 0x0123456789abcdefull;
  items[2].touched = true;

  auto arrived = decode_round(encode_round(items));
  decode_results(encode_results(items), arrived);
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(arrived[i].digest, items[i].digest);
    EXPECT_EQ(arrived[i].touched, items[i].touched);
    EXPECT_EQ(arrived[i].error, items[i].error);
    EXPECT_EQ(arrived[i].spectrum.has_value(), items[i].spectrum.has_value());
  }
  const auto& a = arrived[0].spectrum->meta;
  const auto& b = items[0].spectrum->meta;
  EXPECT_EQ(a.specobjid, b.specobjid);
  EXPECT_EQ(a.plate, b.plate);
  EXPECT_EQ(a.mjd, b.mjd);
  EXPECT_EQ(a.fiberid, b.fiberid);
  EXPECT_EQ(a.run2d, b.run2d);
  EXPECT_EQ(std::memcmp(&a.plug_ra, &b.plug_ra, sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&a.plug_dec, &b.plug_dec, sizeof(double)), 0);
  EXPECT_EQ(a.z, b.z);
  EXPECT_EQ(a.z_err, b.z_err);
  EXPECT_EQ(a.zwarning, b.zwarning);
  EXPECT_EQ(a.class_name, b.class_name);
  EXPECT_EQ(a.subclass, b.subclass);
  EXPECT_EQ(a.sn_median_all, b.sn_median_all);
  EXPECT_EQ(a.specprimary, b.specprimary);
  EXPECT_EQ(a.spectroflux, b.spectroflux);
  EXPECT_EQ(a.wavemin, b.wavemin);
  EXPECT_EQ(a.wavemax, b.wavemax);
  EXPECT_EQ(a.programname, b.programname);
  EXPECT_EQ(a.objtype, b.objtype);
  EXPECT_EQ(a.thing_id, b.thing_id);
  // The pixels stay on the decoding rank: only the repaired-pixel count the packer reads.
  const auto& c = arrived[0].spectrum->data;
  const auto& d = items[0].spectrum->data;
  EXPECT_GT(d.npix(), 1000u);
  EXPECT_EQ(c.nonfinite_pixels, d.nonfinite_pixels);
  EXPECT_EQ(c.npix(), 0u);
  EXPECT_TRUE(c.flux.empty() && c.ivar.empty() && c.and_mask.empty());
}

TEST(IngestWire, ResultsCarryRepairsAndTheBlockRefusal) {
  auto items = sample_items();
  ingest_steps::read_item(items[0]);
  ASSERT_TRUE(items[0].spectrum) << items[0].error;
  items[0].spectrum->data.nonfinite_pixels = 17;
  items[0].block_error = "block_builder: spectrum 1 has columns of unequal length";
  auto arrived = decode_round(encode_round(items));
  decode_results(encode_results(items), arrived);
  ASSERT_TRUE(arrived[0].spectrum);
  EXPECT_EQ(arrived[0].spectrum->data.nonfinite_pixels, 17);
  EXPECT_EQ(arrived[0].block_error, items[0].block_error);
  EXPECT_TRUE(arrived[1].block_error.empty());
}

TEST(IngestWire, WrittenBlocksArriveAsTheCatalogRecordsThem) {
  std::vector<ingest_steps::written_block> blocks(2);
  blocks[0].record = {7, store::block_relative_path(7), 2, 3500, 4700, 123456};
  blocks[0].rows = {{11, 266, 51602, 13, 3586, 3838, true}, {12, 267, 51608, 14, 3500, 4700, false}};
  blocks[1].record = {9, store::block_relative_path(9), 1, 3600, 10, 999};
  blocks[1].rows = {{13, 1, 2, 3, 3600, 10, true}};
  const auto got = decode_written(encode_written(blocks));
  ASSERT_EQ(got.size(), 2u);
  for (size_t b = 0; b < 2; ++b) {
    EXPECT_EQ(got[b].record.block_id, blocks[b].record.block_id);
    EXPECT_EQ(got[b].record.path, blocks[b].record.path);
    EXPECT_EQ(got[b].record.n_spectra, blocks[b].record.n_spectra);
    EXPECT_EQ(got[b].record.lattice_start, blocks[b].record.lattice_start);
    EXPECT_EQ(got[b].record.n_pixels, blocks[b].record.n_pixels);
    EXPECT_EQ(got[b].record.bytes, blocks[b].record.bytes);
    ASSERT_EQ(got[b].rows.size(), blocks[b].rows.size());
    for (size_t r = 0; r < got[b].rows.size(); ++r) {
      EXPECT_EQ(got[b].rows[r].specobjid, blocks[b].rows[r].specobjid);
      EXPECT_EQ(got[b].rows[r].lattice_start, blocks[b].rows[r].lattice_start);
      EXPECT_EQ(got[b].rows[r].npix, blocks[b].rows[r].npix);
      EXPECT_EQ(got[b].rows[r].loglam_exact, blocks[b].rows[r].loglam_exact);
    }
  }
  EXPECT_TRUE(decode_written(encode_written({})).empty());
  auto cut = encode_written(blocks);
  cut.pop_back();
  EXPECT_THROW(decode_written(cut), data_error);
}

TEST(IngestWire, RefusesTruncatedAndMismatchedMessages) {
  auto items = sample_items();
  ingest_steps::read_item(items[0]);
  auto round = encode_round(items);
  round.pop_back();
  EXPECT_THROW(decode_round(round), data_error);
  auto results = encode_results(items);
  auto arrived = decode_round(encode_round(items));
  std::vector<std::byte> cut(results.begin(), results.begin() + std::ptrdiff_t(results.size() / 2));
  EXPECT_THROW(decode_results(cut, arrived), data_error);
  // Results for other files (a rank answering for the wrong share) are refused, not misfiled.
  std::swap(arrived[0], arrived[2]);
  EXPECT_THROW(decode_results(results, arrived), data_error);
  EXPECT_THROW(decode_results(results, std::span<work_item>(arrived.data(), 2)), data_error);
}

// How a round is dealt: contiguous blocks in rank order cover it exactly once, so rank 0 puts
// every result back at its file's place in input order.
TEST(IngestWire, RoundSharesCoverTheRoundInOrder) {
  for (size_t n : {0u, 1u, 3u, 127u, 128u, 513u}) {
    for (int ranks : {1, 2, 3, 4, 7}) {
      size_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto [first, last] = rank_block(n, r, ranks);
        EXPECT_EQ(first, next);
        EXPECT_LE(last - first, n / size_t(ranks) + 1);
        next = last;
      }
      EXPECT_EQ(next, n);
    }
  }
}
