#include "engine/batch/ingest_wire.hpp"

#include <cstring>
#include <string>
#include <type_traits>

#include "core/error.hpp"

namespace specmill {
namespace {

using ingest_steps::work_item;

// Appends fixed-size values, strings and vectors, each vector and string led by its length.
// Both ends run the same binary on the same kind of node, so values travel in native layout.
class wire_writer {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put(uint64_t(s.size()));
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(uint64_t(v.size()));
    const auto* p = reinterpret_cast<const std::byte*>(v.data());
    out_.insert(out_.end(), p, p + v.size() * sizeof(T));
  }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

class wire_reader {
 public:
  explicit wire_reader(std::span<const std::byte> in) : in_(in) {}
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  std::string get_string() {
    const auto n = get<uint64_t>();
    const auto* p = reinterpret_cast<const char*>(take(n));
    return std::string(p, n);
  }
  template <class T>
  std::vector<T> get_vector() {
    const auto n = get<uint64_t>();
    SPECMILL_EXPECTS(n <= in_.size() / sizeof(T), "batch ingest: malformed message from a rank", data_error);
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), take(n * sizeof(T)), n * sizeof(T));
    return v;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  const std::byte* take(size_t n) {
    SPECMILL_EXPECTS(n <= in_.size() - at_, "batch ingest: truncated message from a rank", data_error);
    const std::byte* p = in_.data() + at_;
    at_ += n;
    return p;
  }
  std::span<const std::byte> in_;
  size_t at_ = 0;
};

void put_meta(wire_writer& w, const spec_meta& m) {
  w.put(m.specobjid);
  w.put(m.plate);
  w.put(m.mjd);
  w.put(m.fiberid);
  w.put_string(m.run2d);
  w.put(m.plug_ra);
  w.put(m.plug_dec);
  w.put(m.z);
  w.put(m.z_err);
  w.put(m.zwarning);
  w.put_string(m.class_name);
  w.put_string(m.subclass);
  w.put(m.sn_median_all);
  w.put(m.specprimary);
  w.put(m.spectroflux);
  w.put(m.wavemin);
  w.put(m.wavemax);
  w.put_string(m.programname);
  w.put_string(m.objtype);
  w.put(m.thing_id);
}

spec_meta get_meta(wire_reader& r) {
  spec_meta m;
  m.specobjid = r.get<uint64_t>();
  m.plate = r.get<int32_t>();
  m.mjd = r.get<int32_t>();
  m.fiberid = r.get<int32_t>();
  m.run2d = r.get_string();
  m.plug_ra = r.get<double>();
  m.plug_dec = r.get<double>();
  m.z = r.get<float>();
  m.z_err = r.get<float>();
  m.zwarning = r.get<int32_t>();
  m.class_name = r.get_string();
  m.subclass = r.get_string();
  m.sn_median_all = r.get<float>();
  m.specprimary = r.get<int32_t>();
  m.spectroflux = r.get<std::array<float, 5>>();
  m.wavemin = r.get<float>();
  m.wavemax = r.get<float>();
  m.programname = r.get_string();
  m.objtype = r.get_string();
  m.thing_id = r.get<int64_t>();
  return m;
}

}  // namespace

std::vector<std::byte> encode_round(std::span<const work_item> items) {
  wire_writer w;
  w.put(uint64_t(items.size()));
  for (const auto& it : items) {
    w.put_string(it.path.string());
    w.put_string(it.stamp.path);
    w.put(it.stamp.size);
    w.put(it.stamp.mtime);
    w.put(uint8_t(it.record.has_value()));
    if (!it.record) continue;
    w.put_string(it.record->path);
    w.put(it.record->size);
    w.put(it.record->mtime);
    w.put(it.record->specobjid);
    w.put(uint8_t(it.record->digest.has_value()));
    w.put(it.record->digest.value_or(0));
  }
  return w.take();
}

std::vector<work_item> decode_round(std::span<const std::byte> bytes) {
  wire_reader r(bytes);
  const auto n = r.get<uint64_t>();
  SPECMILL_EXPECTS(n <= bytes.size(), "batch ingest: malformed round message", data_error);
  std::vector<work_item> items(n);
  for (auto& it : items) {
    it.path = r.get_string();
    it.stamp.path = r.get_string();
    it.stamp.size = r.get<int64_t>();
    it.stamp.mtime = r.get<int64_t>();
    if (!r.get<uint8_t>()) continue;
    ingested_file rec;
    rec.path = r.get_string();
    rec.size = r.get<int64_t>();
    rec.mtime = r.get<int64_t>();
    rec.specobjid = r.get<uint64_t>();
    const bool has_digest = r.get<uint8_t>() != 0;
    const auto digest = r.get<uint64_t>();
    if (has_digest) rec.digest = digest;
    it.record = std::move(rec);
  }
  SPECMILL_EXPECTS(r.done(), "batch ingest: trailing bytes in a round message", data_error);
  return items;
}

std::vector<std::byte> encode_results(std::span<const work_item> items) {
  wire_writer w;
  w.put(uint64_t(items.size()));
  for (const auto& it : items) {
    w.put_string(it.stamp.path);  // checked on arrival: the results belong to these files
    w.put(it.digest);
    w.put(uint8_t(it.touched));
    w.put_string(it.error);
    w.put_string(it.block_error);
    w.put(uint8_t(it.spectrum.has_value()));
    if (!it.spectrum) continue;
    put_meta(w, it.spectrum->meta);
    w.put(it.spectrum->data.nonfinite_pixels);
  }
  return w.take();
}

void decode_results(std::span<const std::byte> bytes, std::span<work_item> items) {
  wire_reader r(bytes);
  SPECMILL_EXPECTS(r.get<uint64_t>() == items.size(), "batch ingest: a rank's results do not match its files",
                   data_error);
  for (auto& it : items) {
    SPECMILL_EXPECTS(r.get_string() == it.stamp.path, "batch ingest: a rank's results are out of order", data_error);
    it.digest = r.get<uint64_t>();
    it.touched = r.get<uint8_t>() != 0;
    it.error = r.get_string();
    it.block_error = r.get_string();
    it.spectrum.reset();
    if (!r.get<uint8_t>()) continue;
    sdss_spectrum s;
    s.meta = get_meta(r);
    s.data.nonfinite_pixels = r.get<int32_t>();
    it.spectrum = std::move(s);
  }
  SPECMILL_EXPECTS(r.done(), "batch ingest: trailing bytes in a results message", data_error);
}

std::vector<std::byte> encode_written(std::span<const ingest_steps::written_block> blocks) {
  wire_writer w;
  w.put(uint64_t(blocks.size()));
  for (const auto& b : blocks) {
    w.put(b.record.block_id);
    w.put(b.record.n_spectra);
    w.put(b.record.lattice_start);
    w.put(b.record.n_pixels);
    w.put(b.record.bytes);
    w.put_vector(b.rows);
  }
  return w.take();
}

std::vector<ingest_steps::written_block> decode_written(std::span<const std::byte> bytes) {
  wire_reader r(bytes);
  const auto n = r.get<uint64_t>();
  SPECMILL_EXPECTS(n <= bytes.size(), "batch ingest: malformed written-blocks message", data_error);
  std::vector<ingest_steps::written_block> out(n);
  for (auto& b : out) {
    b.record.block_id = r.get<int64_t>();
    b.record.path = store::block_relative_path(b.record.block_id);  // a function of the id
    b.record.n_spectra = r.get<int64_t>();
    b.record.lattice_start = r.get<int32_t>();
    b.record.n_pixels = r.get<int64_t>();
    b.record.bytes = r.get<int64_t>();
    b.rows = r.get_vector<block_row_meta>();
  }
  SPECMILL_EXPECTS(r.done(), "batch ingest: trailing bytes in a written-blocks message", data_error);
  return out;
}

}  // namespace specmill
