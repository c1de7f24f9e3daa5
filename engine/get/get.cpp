#include "engine/get/get.hpp"
#include "engine/get/spec_file.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <memory>

#include <fitsio.h>

#include "core/error.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/get/get_dense.hpp"
#include "io/formats/output_file.hpp"
#include "engine/store/store.hpp"
#include "io/fits/fits_file.hpp"
#include "io/formats/h5_output.hpp"
#include "io/formats/npy.hpp"

namespace specmill {
namespace {

std::string column_descr(column c) { return column_is_int(c) ? "<i4" : "<f4"; }

// The per-item arrays of the stored form: CSR pixel offsets, SPECOBJID, found.
struct list_index {
  std::vector<int64_t> offsets;
  std::vector<uint64_t> specobjid;
  std::vector<uint8_t> found;
};

list_index index_of(const std::vector<resolved_id>& ids) {
  list_index x{std::vector<int64_t>(ids.size() + 1, 0), std::vector<uint64_t>(ids.size()), std::vector<uint8_t>(ids.size())};
  for (size_t i = 0; i < ids.size(); ++i) {
    x.offsets[i + 1] = x.offsets[i] + (ids[i].has_pixels() ? ids[i].entry->location->npix : 0);
    x.specobjid[i] = ids[i].specobjid();
    x.found[i] = ids[i].has_pixels();
  }
  return x;
}

void write_npz(const get_options& opts, batch_reader& reader, const std::vector<resolved_id>& ids,
               progress_meter& meter) {
  npz_writer npz = opts.sink ? npz_writer(opts.sink) : npz_writer(opts.out);
  const auto& windows = reader.windows();
  int64_t all_pixels = 0;
  for (const auto& w : windows) all_pixels += w.pixels();
  std::vector<uint8_t> buf;
  size_t done = 0;
  for (column c : opts.columns) {
    npz.begin_array(column_names[int(c)], column_is_int(c) ? npy_dtype::i4 : npy_dtype::f4, {uint64_t(all_pixels)});
    for (const auto& w : windows) {
      buf.resize(size_t(w.pixels()) * 4);
      reader.read(w, c, buf.data());
      npz.append(buf.data(), size_t(w.pixels()));
      done += w.last - w.first;
      meter.update(done / opts.columns.size());
    }
    npz.end_array();
  }
  const list_index x = index_of(ids);
  npz.write_array<int64_t>("offsets", x.offsets);
  npz.write_array<uint64_t>("specobjid", x.specobjid);
  npz.begin_array("found", npy_dtype::b1, {uint64_t(x.found.size())});
  npz.append(x.found.data(), x.found.size());
  npz.end_array();
  npz.close();
}

// Reads every requested column of a window: one buffer a column.
std::vector<std::vector<uint8_t>> read_window(batch_reader& reader, const batch_reader::window& w,
                                              const std::vector<column>& cols) {
  std::vector<std::vector<uint8_t>> bufs(cols.size());
  for (size_t k = 0; k < cols.size(); ++k) {
    bufs[k].resize(size_t(w.pixels()) * 4);
    reader.read(w, cols[k], bufs[k].data());
  }
  return bufs;
}

void write_npy(const get_options& opts, batch_reader& reader, progress_meter& meter) {
  std::string descr = "[";
  for (column c : opts.columns)
    descr += "('" + std::string(column_names[int(c)]) + "', '" + column_descr(c) + "'), ";
  descr += "]";
  int64_t all_pixels = 0;
  for (const auto& w : reader.windows()) all_pixels += w.pixels();
  output_file out(opts.out, opts.sink);
  const std::string header = npy_header(descr, std::vector<uint64_t>{uint64_t(all_pixels)});
  out.write(header.data(), header.size());
  const size_t rec = opts.columns.size() * 4;
  std::vector<uint8_t> records;
  size_t done = 0;
  for (const auto& w : reader.windows()) {
    const auto bufs = read_window(reader, w, opts.columns);
    records.resize(size_t(w.pixels()) * rec);
    for (size_t p = 0; p < size_t(w.pixels()); ++p)
      for (size_t k = 0; k < bufs.size(); ++k) std::memcpy(&records[p * rec + k * 4], &bufs[k][p * 4], 4);
    out.write(records.data(), records.size());
    done += w.last - w.first;
    meter.update(done);
  }
  out.close();
}

void write_csv(const get_options& opts, batch_reader& reader, const std::vector<resolved_id>& ids,
               progress_meter& meter) {
  output_file out(opts.out, opts.sink);
  std::string text = "specobjid,pixel";
  for (column c : opts.columns) text += "," + std::string(column_names[int(c)]);
  text += "\n";
  char num[32];
  size_t done = 0;
  for (const auto& w : reader.windows()) {
    const auto bufs = read_window(reader, w, opts.columns);
    for (size_t i = w.first; i < w.last; ++i) {
      const int64_t p0 = w.offsets[i - w.first], p1 = w.offsets[i - w.first + 1];
      const std::string id = std::to_string(ids[i].specobjid());
      for (int64_t p = p0; p < p1; ++p) {
        text += id;
        text += ',';
        text += std::to_string(p - p0);
        for (size_t k = 0; k < bufs.size(); ++k) {
          text += ',';
          // Shortest text that reads back to the same float32/int32: CSV stays bit-exact.
          char* end;
          if (column_is_int(opts.columns[k])) {
            int32_t v;
            std::memcpy(&v, &bufs[k][size_t(p) * 4], 4);
            end = std::to_chars(num, num + sizeof num, v).ptr;
          } else {
            float v;
            std::memcpy(&v, &bufs[k][size_t(p) * 4], 4);
            end = std::to_chars(num, num + sizeof num, v).ptr;
          }
          text.append(num, end);
        }
        text += '\n';
        if (text.size() > (1 << 20)) {
          out.write(text.data(), text.size());
          text.clear();
        }
      }
    }
    done += w.last - w.first;
    meter.update(done);
  }
  out.write(text.data(), text.size());
  out.close();
}

void fits_check(int status, const std::filesystem::path& p) {
  if (status) {
    char msg[FLEN_ERRMSG] = {0};
    fits_get_errstatus(status, msg);
    throw fits_error("cannot write " + p.string() + ": " + msg, status);
  }
}

void write_fits(const get_options& opts, batch_reader& reader, const std::vector<resolved_id>& ids,
                progress_meter& meter) {
  SPECMILL_EXPECTS(opts.out != "-", "FITS output needs a file (--out FILE.fits)");
  fits_file file = fits_file::create(opts.out);
  fitsfile* f = file.get();
  int status = 0;
  int max_npix = 1;
  long found = 0;
  for (const auto& r : ids)
    if (r.has_pixels()) max_npix = std::max(max_npix, r.entry->location->npix), ++found;
  std::vector<std::string> names = {"SPECOBJID", "PLATE", "MJD", "FIBERID", "NPIX"};
  std::vector<std::string> forms = {"1K", "1J", "1J", "1J", "1J"};
  for (column c : opts.columns) {
    names.push_back(std::string(column_names[int(c)]));
    forms.push_back(std::string(column_is_int(c) ? "1PJ(" : "1PE(") + std::to_string(max_npix) + ")");
  }
  std::vector<char*> ttype, tform;
  for (auto& s : names) ttype.push_back(s.data());
  for (auto& s : forms) tform.push_back(s.data());
  // Every row exists before the first write: appending rows one at a time moves the whole
  // variable-length heap behind the table on each insert, which made 3,000 spectra take 240 s.
  fits_create_tbl(f, BINARY_TBL, found, int(names.size()), ttype.data(), tform.data(), nullptr, "SPECTRA", &status);
  fits_check(status, opts.out);
  file.declare_unsigned64(1, "unsigned 64-bit SPECOBJID");
  fits_write_key_str(f, "CONTEXT", opts.context.c_str(), "specmill context", &status);
  fits_check(status, opts.out);

  long row = 0;
  size_t done = 0;
  for (const auto& w : reader.windows()) {
    const auto bufs = read_window(reader, w, opts.columns);
    for (size_t i = w.first; i < w.last; ++i) {
      if (!ids[i].has_pixels()) continue;
      ++row;
      const auto& m = ids[i].entry->meta;
      unsigned long long id = m.specobjid;
      int plate = m.plate, mjd = m.mjd, fiber = m.fiberid, npix = ids[i].entry->location->npix;
      fits_write_col(f, TULONGLONG, 1, row, 1, 1, &id, &status);
      fits_write_col(f, TINT, 2, row, 1, 1, &plate, &status);
      fits_write_col(f, TINT, 3, row, 1, 1, &mjd, &status);
      fits_write_col(f, TINT, 4, row, 1, 1, &fiber, &status);
      fits_write_col(f, TINT, 5, row, 1, 1, &npix, &status);
      const size_t off = size_t(w.offsets[i - w.first]) * 4;
      for (size_t k = 0; k < bufs.size(); ++k) {
        void* data = const_cast<uint8_t*>(&bufs[k][off]);
        fits_write_col(f, column_is_int(opts.columns[k]) ? TINT : TFLOAT, int(6 + k), row, 1, npix, data, &status);
      }
      fits_check(status, opts.out);
    }
    done += w.last - w.first;
    meter.update(done);
  }
  file.close();
}

// The npz layout as HDF5 datasets: each column 1-D over all pixels, offsets, specobjid, found.
void write_hdf5(const get_options& opts, batch_reader& reader, const std::vector<resolved_id>& ids,
                progress_meter& meter) {
  SPECMILL_EXPECTS(opts.out != "-", "HDF5 output needs a file (--out FILE.h5)");
  h5_output h5(opts.out);
  int64_t all_pixels = 0;
  for (const auto& w : reader.windows()) all_pixels += w.pixels();
  for (column c : opts.columns)
    h5.create(std::string(column_names[int(c)]), column_is_int(c) ? npy_dtype::i4 : npy_dtype::f4, {uint64_t(all_pixels)});
  int64_t at = 0;
  size_t done = 0;
  for (const auto& w : reader.windows()) {
    const auto bufs = read_window(reader, w, opts.columns);
    for (size_t k = 0; k < bufs.size(); ++k)
      h5.write(std::string(column_names[int(opts.columns[k])]), uint64_t(at), uint64_t(w.pixels()), bufs[k].data());
    at += w.pixels();
    done += w.last - w.first;
    meter.update(done);
  }
  const list_index x = index_of(ids);
  h5.create("offsets", npy_dtype::i8, {x.offsets.size()});
  h5.write("offsets", 0, x.offsets.size(), x.offsets.data());
  h5.create("specobjid", npy_dtype::u8, {x.specobjid.size()});
  h5.write("specobjid", 0, x.specobjid.size(), x.specobjid.data());
  h5.create("found", npy_dtype::b1, {x.found.size()});
  h5.write("found", 0, x.found.size(), x.found.data());
  h5.attribute("context", opts.context);
  h5.close();
}

}  // namespace

get_format parse_get_format(std::string_view text) {
  if (text == "npz") return get_format::npz;
  if (text == "npy") return get_format::npy;
  if (text == "fits") return get_format::fits;
  if (text == "csv") return get_format::csv;
  if (text == "hdf5" || text == "h5") return get_format::hdf5;
  throw invalid_argument("unknown format '" + std::string(text) + "' (expected npz, npy, fits, csv or hdf5)");
}

std::vector<column> parse_columns(std::string_view list) {
  if (list == "all" || list.empty()) return get_options{}.columns;
  std::vector<column> cols;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view name = list.substr(start, end - start);
    bool ok = false;
    for (int c = 0; c < n_columns; ++c) {
      if (column_names[size_t(c)] == name) {
        if (std::find(cols.begin(), cols.end(), column(c)) == cols.end()) cols.push_back(column(c));
        ok = true;
      }
    }
    SPECMILL_EXPECTS(ok, "unknown column '" + std::string(name) +
                             "' (expected all or a list of flux, loglam, ivar, and_mask, or_mask, wdisp, sky, model)");
    start = end + 1;
  }
  return cols;
}

prepared_get prepare_get(const get_options& opts, std::vector<spectrum_id> ids, store* st) {
  SPECMILL_EXPECTS(!opts.columns.empty(), "no columns requested");
  prepared_get p;
  p.opts = opts;
  if (!st) {
    p.own = std::make_unique<store>(opts.store, store::access::read);
    st = p.own.get();
  }
  p.st = st;
  SPECMILL_EXPECTS(st->catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  get_summary& sum = p.summary;
  sum.requested = ids.size();
  p.ids = resolve_ids(st->catalog(), opts.context, std::move(ids));
  for (const auto& r : p.ids) {
    if (r.has_pixels()) {
      ++sum.found;
      sum.pixels += r.entry->location->npix;
    } else {
      sum.missing.push_back(r.id.text + (r.entry ? " (catalog row without pixel data)" : ""));
    }
  }
  if (sum.found == 0)
    throw not_found(sum.requested ? "none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context
                                  : std::string("empty ID list"));
  if (p.dense()) sum.width = check_dense(opts, p.ids, p.st->grid());
  return p;
}

namespace {

// fits and hdf5 need a seekable file: write one in the temporary directory, then stream it.
get_summary run_via_temporary_file(prepared_get& p) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "specmill-get-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw io_error("cannot create a temporary file: " + std::string(std::strerror(errno)));
  ::close(fd);
  struct remover {
    std::filesystem::path p;
    ~remover() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } tmp{tmpl};
  const auto sink = std::exchange(p.opts.sink, nullptr);
  p.opts.out = tmp.p;
  const get_summary sum = run_get(p);
  std::ifstream in(tmp.p, std::ios::binary);
  std::vector<char> buf(size_t(4) << 20);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    if (in.gcount() > 0) sink(buf.data(), size_t(in.gcount()));
  }
  return sum;
}

}  // namespace

get_summary run_get(prepared_get& p) {
  const get_options& opts = p.opts;
  SPECMILL_EXPECTS(!opts.out.empty() || opts.sink, "no output path (--out)");
  if (opts.sink && (opts.format == get_format::fits || opts.format == get_format::hdf5)) return run_via_temporary_file(p);
  store& st = *p.st;
  const auto& resolved = p.ids;
  get_summary sum = p.summary;
  if (opts.spec_file) {
    SPECMILL_EXPECTS(opts.format == get_format::fits && resolved.size() == 1 && !opts.align && !opts.window &&
                         !opts.resample,
                     "the spec-file layout holds one unaligned spectrum");
    write_stored_spec_file(st, opts.context, resolved.front(), opts.cutout, opts.out);
    return sum;
  }
  progress_meter meter("get", resolved.size(), opts.progress && opts.out != "-" && !opts.sink);
  if (opts.checkpoint) meter.set_checkpoint(opts.checkpoint);
  if (p.dense()) {
    write_dense(opts, st, resolved, sum, meter);
    meter.finish(resolved.size());
    return sum;
  }
  batch_reader reader(st, resolved);
  switch (opts.format) {
    case get_format::hdf5: write_hdf5(opts, reader, resolved, meter); break;
    case get_format::npz: write_npz(opts, reader, resolved, meter); break;
    case get_format::npy: write_npy(opts, reader, meter); break;
    case get_format::csv: write_csv(opts, reader, resolved, meter); break;
    case get_format::fits: write_fits(opts, reader, resolved, meter); break;
  }
  meter.finish(resolved.size());
  return sum;
}

get_summary get_spectra(const get_options& opts, std::vector<spectrum_id> ids) {
  prepared_get p = prepare_get(opts, std::move(ids));
  return run_get(p);
}

list_span_result get_list_span(const std::filesystem::path& store_root, const std::string& context,
                               std::vector<spectrum_id> ids) {
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "unknown context '" + context + "' in store " + store_root.string());
  list_span_result r;
  r.requested = ids.size();
  const auto resolved = resolve_ids(st.catalog(), context, std::move(ids));
  for (const auto& id : resolved) r.found += id.has_pixels() ? 1 : 0;
  r.span = list_span(resolved, st.grid());
  return r;
}

}  // namespace specmill
