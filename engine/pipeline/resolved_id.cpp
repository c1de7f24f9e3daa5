#include "engine/pipeline/resolved_id.hpp"

#include <limits>

#include "core/error.hpp"
#include "core/specobjid.hpp"

namespace specmill {
namespace {

// Whether the SPECOBJID is the DR8+ packing of this plate, mjd and fiberid (its run2d bits
// whatever they are): then the three need no room of their own.
bool packs_keys(uint64_t specobjid, const spec_meta& m) {
  const spec_key k = unpack_specobjid(specobjid);
  return m.plate > 0 && k.plate == m.plate && k.mjd == m.mjd && k.fiberid == m.fiberid;
}

}  // namespace

resolved_id resolved_id::from_entry(const catalog_entry& e, uint32_t note) {
  resolved_id r;
  r.key_ = e.meta.specobjid;
  r.z_ = e.meta.z;
  if (!e.location) {
    SPECMILL_EXPECTS(note <= payload_mask, "resolved list: more than 2^30 IDs without pixels");
    r.tag_ = state_no_pixels << 30 | note;
    return r;
  }
  const spectrum_location& loc = *e.location;
  SPECMILL_EXPECTS(loc.block_id >= 0 && loc.block_id <= std::numeric_limits<int32_t>::max(),
                   "block id " + std::to_string(loc.block_id) + " of SPECOBJID " + std::to_string(e.meta.specobjid) +
                       " is beyond 2^31",
                   data_error);
  r.block_ = int32_t(loc.block_id);
  r.row_ = loc.row;
  r.lattice_start_ = loc.lattice_start;
  r.npix_ = loc.npix;
  if (packs_keys(e.meta.specobjid, e.meta)) {
    r.tag_ = state_pmf_in_key << 30;
  } else {
    const bool plate_alone = e.meta.mjd == 0 && e.meta.fiberid == 0 && e.meta.plate >= 0;
    SPECMILL_EXPECTS(plate_alone && uint32_t(e.meta.plate) <= payload_mask,
                     "catalog row " + std::to_string(e.meta.specobjid) + ": plate/mjd/fiberid " +
                         std::to_string(e.meta.plate) + "/" + std::to_string(e.meta.mjd) + "/" +
                         std::to_string(e.meta.fiberid) + " are neither packed in its SPECOBJID nor a plate alone",
                     data_error);
    r.tag_ = state_plate_only << 30 | uint32_t(e.meta.plate);
  }
  return r;
}

resolved_id resolved_id::make_missing(uint64_t requested, uint32_t note) {
  SPECMILL_EXPECTS(note <= payload_mask, "resolved list: more than 2^30 IDs without pixels");
  resolved_id r;
  r.key_ = requested;
  r.tag_ = state_missing << 30 | note;
  return r;
}

int32_t resolved_id::plate() const {
  if (state() == state_pmf_in_key) return unpack_specobjid(key_).plate;
  return state() == state_plate_only ? int32_t(tag_ & payload_mask) : 0;
}
int32_t resolved_id::mjd() const { return state() == state_pmf_in_key ? unpack_specobjid(key_).mjd : 0; }
int32_t resolved_id::fiberid() const { return state() == state_pmf_in_key ? unpack_specobjid(key_).fiberid : 0; }

spec_meta resolved_id::keys() const {
  spec_meta m;
  m.specobjid = key_;
  m.plate = plate();
  m.mjd = mjd();
  m.fiberid = fiberid();
  m.z = found() ? z_ : 0.0f;
  return m;
}

std::string resolved_id::name() const {
  std::string s = "SPECOBJID " + std::to_string(key_);
  if (state() == state_pmf_in_key)
    s += " (plate-mjd-fiber " + std::to_string(plate()) + "-" + std::to_string(mjd()) + "-" +
         std::to_string(fiberid()) + ")";
  return s;
}

resolved_id resolved_id::hidden() const {
  resolved_id r;
  r.key_ = key_;
  r.z_ = z_;
  r.tag_ = state_no_pixels << 30;
  return r;
}

void resolved_list::add(const catalog_entry* entry, uint64_t requested, std::string_view text) {
  const bool pixels = entry && entry->location;
  const uint32_t note = pixels ? 0 : uint32_t(notes_.size());
  items_.push_back(entry ? resolved_id::from_entry(*entry, note) : resolved_id::make_missing(requested, note));
  if (!pixels) notes_.emplace_back(text);
}

void resolved_list::add(resolved_id r, std::string_view text) {
  if (!r.has_pixels()) {
    SPECMILL_EXPECTS(notes_.size() <= resolved_id::payload_mask, "resolved list: more than 2^30 IDs without pixels");
    r.tag_ = (r.tag_ & ~resolved_id::payload_mask) | uint32_t(notes_.size());
    notes_.emplace_back(text);
  }
  items_.push_back(r);
}

std::string resolved_list::text(const resolved_id& r) const {
  return !r.has_pixels() && r.note() < notes_.size() ? notes_[r.note()] : r.name();
}

std::string resolved_list::missing_text(const resolved_id& r) const {
  return text(r) + (r.found() ? " (catalog row without pixel data)" : "");
}

size_t resolved_list::bytes() const {
  size_t b = items_.capacity() * sizeof(resolved_id) + notes_.capacity() * sizeof(std::string);
  for (const auto& t : notes_) b += t.capacity() > 15 ? t.capacity() + 1 : 0;  // beyond the string's own buffer
  return b;
}

}  // namespace specmill
