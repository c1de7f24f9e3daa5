// What `specmill batch ingest` sends between ranks (engine/batch/ingest_wire): every field the
// packer reads must arrive as the decoding rank had it, bit for bit, or the parallel store would
// differ from the serial one.
#include "engine/batch/ingest_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "io/mpi/communicator.hpp"

using namespace specmill;
using ingest_steps::work_item;
namespace fs = std::filesystem;

namespace {

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

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

TEST(IngestWire, ResultsCarryTheWholeSpectrumBitExact) {
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
  const auto& c = arrived[0].spectrum->data;
  const auto& d = items[0].spectrum->data;
  EXPECT_GT(d.npix(), 1000u);
  EXPECT_EQ(c.lattice_start, d.lattice_start);
  EXPECT_EQ(c.loglam_exact, d.loglam_exact);
  EXPECT_EQ(c.nonfinite_pixels, d.nonfinite_pixels);
  EXPECT_TRUE(same_bits(c.flux, d.flux));
  EXPECT_TRUE(same_bits(c.loglam, d.loglam));
  EXPECT_TRUE(same_bits(c.ivar, d.ivar));
  EXPECT_TRUE(same_bits(c.wdisp, d.wdisp));
  EXPECT_TRUE(same_bits(c.sky, d.sky));
  EXPECT_TRUE(same_bits(c.model, d.model));
  EXPECT_TRUE(same_bits(c.and_mask, d.and_mask));
  EXPECT_TRUE(same_bits(c.or_mask, d.or_mask));
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
