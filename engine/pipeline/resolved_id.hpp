#pragma once
// One entry of a resolved ID list, in 32 bytes: what the bulk paths read of each ID (where its
// pixels are, its keys, its z), so that a list of 10^7 IDs takes 320 MB, not the ~5 GB a
// catalog_entry per ID took. The text of each entry without pixels (for the "missing" report)
// lives beside the entries in resolved_list; entries with pixels name themselves by their keys.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/catalog/catalog_reader.hpp"

namespace specmill {

class resolved_id {
 public:
  // A stored spectrum (entry with a location), a catalog row without pixels (no location), or,
  // from make_missing, an ID the catalog does not have. Throws data_error for an entry whose
  // plate, mjd and fiberid cannot be kept in 32 bytes: an SDSS row whose SPECOBJID does not pack
  // them, with a non-zero mjd or fiberid (the ingest checks every SDSS row's SPECOBJID against
  // them, and DESI rows carry only a plate: the HEALPix pixel).
  static resolved_id from_entry(const catalog_entry& e, uint32_t note = 0);
  // `requested`: the SPECOBJID the line gave (0 for other forms); `note`: the index of the
  // line's text in its resolved_list.
  static resolved_id make_missing(uint64_t requested, uint32_t note);

  bool found() const { return state() != state_missing; }  // the catalog has a row for it
  bool has_pixels() const { return state() >= state_pmf_in_key; }
  // The row's SPECOBJID (the DESI store key); for a missing ID the SPECOBJID requested, or 0.
  uint64_t specobjid() const { return key_; }
  // The location and keys: has_pixels() entries only (the others give zeros). z: found() ones
  // (a missing ID's is NaN).
  spectrum_location location() const { return {block_, row_, lattice_start_, npix_}; }
  int64_t block_id() const { return block_; }
  int32_t npix() const { return npix_; }
  int32_t lattice_start() const { return lattice_start_; }
  int32_t plate() const;
  int32_t mjd() const;
  int32_t fiberid() const;
  float z() const { return z_; }
  // The keys above as a spec_meta (the other fields at their defaults).
  spec_meta keys() const;
  // Entries without pixels: where their text is in the resolved_list.
  uint32_t note() const { return tag_ & payload_mask; }
  // For messages: "SPECOBJID <n> (plate-mjd-fiber <p>-<m>-<f>)" or "SPECOBJID <n>".
  std::string name() const;
  // The same ID with its pixels hidden (a row without pixels to every reader): how a rank's
  // copy of a list leaves out the other ranks' items.
  resolved_id hidden() const;

 private:
  static constexpr uint32_t state_missing = 0, state_no_pixels = 1, state_pmf_in_key = 2, state_plate_only = 3;
  static constexpr uint32_t payload_mask = (1u << 30) - 1;
  uint32_t state() const { return tag_ >> 30; }
  friend class resolved_list;

  uint64_t key_ = 0;
  int32_t block_ = 0, row_ = 0, lattice_start_ = 0, npix_ = 0;
  float z_ = std::nanf("");
  // state (2 bits) | payload (30 bits): the note (no pixels), the plate (state_plate_only), or
  // nothing (state_pmf_in_key: plate, mjd and fiberid unpack from the SPECOBJID).
  uint32_t tag_ = 0;
};
static_assert(sizeof(resolved_id) == 32, "issue 16: a resolved ID takes at most 32 bytes");

// A resolved list: the entries in list order, and the requested text of each entry without
// pixels. Passed as a span of entries to what only reads pixels.
class resolved_list {
 public:
  resolved_list() = default;
  // Entries made elsewhere (tests, a rank's gathered list); their texts are their names unless
  // added with add().
  resolved_list(std::vector<resolved_id> items) : items_(std::move(items)) {}
  // Appends: the text is kept only when the entry has no pixels (it is then its note).
  void add(const catalog_entry* entry, uint64_t requested, std::string_view text);
  void push_back(const resolved_id& r) { items_.push_back(r); }
  // An entry resolved elsewhere (another rank), with the text its line gave.
  void add(resolved_id r, std::string_view text);
  void reserve(size_t n) { items_.reserve(n); }
  // Item i's pixels hidden (resolved_id::hidden).
  void hide(size_t i) { items_.at(i) = items_[i].hidden(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const resolved_id& operator[](size_t i) const { return items_[i]; }
  const resolved_id* data() const { return items_.data(); }
  const resolved_id& front() const { return items_.front(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  operator std::span<const resolved_id>() const { return items_; }
  std::span<const resolved_id> span() const { return items_; }

  // The text the list gave for an entry without pixels (else its name()).
  std::string text(const resolved_id& r) const;
  // The "missing" report's line for an entry without pixels: its text, and why.
  std::string missing_text(const resolved_id& r) const;
  // Bytes held (entries and notes), for the memory bound's test.
  size_t bytes() const;

 private:
  std::vector<resolved_id> items_;
  std::vector<std::string> notes_;
};

}  // namespace specmill
