#include "engine/ingest/ingest_desi.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"
#include "io/catalog/catalog_tables.hpp"
#include "io/fits/desi_coadd_reader.hpp"
#include "kernels/camera_merge.hpp"
#include "kernels/resolution_merge.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {

constexpr size_t window_targets = 64;  // targets read and merged at a time

using spectrum_key = std::tuple<int64_t, std::string, std::string>;  // TARGETID, SURVEY, PROGRAM

struct catalog_row {
  desi_target target;
  desi_redshift redshift;
  int32_t healpix = -1;
};

std::string normalised(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

spec_meta meta_of(const desi_target& t, const std::string& survey, const std::string& program, int32_t healpix,
                  const desi_redshift* z, uint64_t key) {
  spec_meta m;
  m.specobjid = key;
  m.plate = healpix;
  m.run2d = survey;
  m.programname = program;
  m.thing_id = t.targetid;
  m.plug_ra = t.target_ra;
  m.plug_dec = t.target_dec;
  m.objtype = t.objtype;
  m.spectroflux = {0.f, t.flux_g, t.flux_r, 0.f, t.flux_z};
  if (z) {
    m.z = float(z->z);
    m.z_err = float(z->zerr);
    m.zwarning = int32_t(z->zwarn);
    m.class_name = z->spectype;
    m.subclass = z->subtype;
  }
  return m;
}

// The registered catalog table <context>_targets: one row per spectrum, keyed like specobjall.
class targets_table {
 public:
  targets_table(sqlite_db& db, const std::string& context, const std::string& source)
      : writer_(db,
                catalog_table_info{context + "_targets", source, 0, "specobjid", "target_ra", "target_dec", {}},
                columns(), true) {}
  static std::vector<table_column> columns() {
    using T = sql_type;
    return {{"specobjid", T::integer},   {"targetid", T::integer},   {"survey", T::text},
            {"program", T::text},        {"hpxpixel", T::integer},    {"target_ra", T::real},
            {"target_dec", T::real},     {"z", T::real},             {"zerr", T::real},
            {"zwarn", T::integer},       {"spectype", T::text},      {"subtype", T::text},
            {"deltachi2", T::real},      {"zcat_primary", T::integer}, {"objtype", T::text},
            {"desi_target", T::integer}, {"bgs_target", T::integer}, {"mws_target", T::integer},
            {"scnd_target", T::integer}, {"flux_g", T::real},        {"flux_r", T::real},
            {"flux_z", T::real},         {"flux_ivar_g", T::real},   {"flux_ivar_r", T::real},
            {"flux_ivar_z", T::real},    {"ebv", T::real},           {"photsys", T::text},
            {"coadd_numexp", T::integer}, {"coadd_exptime", T::real}, {"coadd_fiberstatus", T::integer}};
  }
  void insert(uint64_t key, const desi_target& t, const std::string& survey, const std::string& program,
              int32_t healpix, const desi_redshift& z, bool primary) {
    writer_.insert({int64_t(key), t.targetid, survey, program, int64_t(healpix), t.target_ra, t.target_dec, z.z,
                    z.zerr, z.zwarn, z.spectype, z.subtype, z.deltachi2, int64_t(primary), t.objtype, t.desi_target,
                    t.bgs_target, t.mws_target, t.scnd_target, double(t.flux_g), double(t.flux_r), double(t.flux_z),
                    double(t.flux_ivar_g), double(t.flux_ivar_r), double(t.flux_ivar_z), double(t.ebv), t.photsys,
                    int64_t(t.coadd_numexp), double(t.coadd_exptime), int64_t(t.coadd_fiberstatus)});
  }
  void finish() { writer_.finish(); }

 private:
  catalog_table_writer writer_;
};

// Builder bytes of one target: its 7 brz columns, plus the extras asked for (the cameras' flux,
// ivar and mask; the resolution of brz and, with cameras, of each camera).
size_t extras_bytes_per_spectrum(bool with_cameras, bool with_resolution) {
  size_t camera_pixels = 0;
  for (const auto& c : desi_cameras) camera_pixels += size_t(c.npix);
  const size_t diagonals = size_t(desi_resolution_diagonals);
  size_t bytes = 7 * size_t(desi_brz_npix) * 4;
  if (with_cameras) bytes += camera_pixels * 12;
  if (with_resolution) bytes += diagonals * size_t(desi_brz_npix) * 4;
  if (with_cameras && with_resolution) bytes += diagonals * camera_pixels * 4;
  return bytes;
}

class desi_ingester {
 public:
  desi_ingester(const ingest_options& opts, ingest_summary& sum)
      : opts_(opts), sum_(sum), st_(opts.store, store::access::write), cat_(st_.sqlite_catalog()),
        next_block_(cat_.max_block_id() + 1),
        block_spectra_(desi_extras_block_spectra(opts.block_spectra, opts.with_cameras, opts.with_resolution)) {
    if (block_spectra_ != opts.block_spectra)
      spdlog::info("ingest: {} spectra a block (with{}{}: about {} KB a spectrum)", block_spectra_,
                   opts.with_cameras ? " cameras" : "", opts.with_resolution ? " resolution" : "",
                   extras_bytes_per_spectrum(opts.with_cameras, opts.with_resolution) >> 10);
  }

  void run() {
    sum_.orphans_removed = st_.remove_orphans();
    SPECMILL_EXPECTS(cat_.blocks().empty() || same_grid(st_.grid(), desi_native_grid),
                     "store " + opts_.store.string() + " holds spectra on the native grid " + to_string(st_.grid()) +
                         "; DESI coadds (" + to_string(desi_native_grid) + ") need a store of their own");
    cat_.ensure_context(opts_.context, opts_.context_description.empty() ? "DESI Data Release 1 (healpix coadds)"
                                                                         : opts_.context_description);
    if (opts_.catalog) load_catalog(*opts_.catalog);
    if (!opts_.inputs.empty()) ingest_files();
  }

 private:
  void load_catalog(const fs::path& file) {
    desi_zcatalog_reader reader(file);
    constexpr size_t chunk = 20000;
    for (size_t done = 0; done < reader.rows();) {
      const auto rows = reader.read(done, std::min(chunk, reader.rows() - done));
      for (const auto& r : rows) catalog_[{r.target.targetid, r.survey, r.program}] = {r.target, r.redshift, r.healpix};
      done += rows.size();
    }
    sum_.catalog_rows = reader.rows();
    spdlog::info("catalog {}: {} rows for context {}", file.string(), reader.rows(), opts_.context);
  }

  // The store key of one coadded spectrum, fixed the first time it is seen.
  uint64_t key_of(int64_t targetid, const std::string& survey, const std::string& program, bool& primary) {
    const auto c = catalog_.find({targetid, survey, program});
    if (c != catalog_.end()) {
      primary = c->second.redshift.zcat_primary;
    } else {
      primary = !primary_taken_.count(targetid) && !cat_.lookup(opts_.context, uint64_t(targetid));
    }
    if (primary) primary_taken_.insert(targetid);
    return primary ? uint64_t(targetid) : desi_secondary_key(targetid, survey, program);
  }

  void ingest_files() {
    const size_t total = opts_.progress ? input_files::count(opts_.inputs) : 0;
    progress_meter meter("ingest", total, opts_.progress);
    input_files files(opts_.inputs);
    table_.emplace(cat_.db(), opts_.context, opts_.catalog ? opts_.catalog->string() : std::string("coadd FIBERMAPs"));
    while (auto path = files.next()) {
      ++sum_.files;
      ingest_file(*path);
      meter.update(sum_.files);
    }
    flush();
    auto tx = cat_.transaction();
    table_->finish();
    tx.commit();
    meter.finish(sum_.files);
  }

  void ingest_file(const fs::path& path) {
    const std::string key = normalised(path);
    std::error_code ec;
    const int64_t size = int64_t(fs::file_size(path, ec));
    const int64_t mtime = int64_t(fs::last_write_time(path, ec).time_since_epoch().count());
    if (cat_.file_done(opts_.context, key, size, mtime)) {
      ++sum_.skipped;
      return;
    }
    try {
      desi_coadd_reader reader(path);
      for (size_t first = 0; first < reader.n_targets(); first += window_targets) {
        const desi_coadd_file w =
            reader.read(first, std::min(window_targets, reader.n_targets() - first), opts_.with_resolution);
        add_window(w);
      }
      marks_.push_back({key, size, mtime, reader.n_targets() ? uint64_t(reader.targets()[0].targetid) : 0});
    } catch (const std::bad_alloc&) {
      fail(path, "out of memory reading this file (std::bad_alloc): skipped");
    } catch (const std::exception& e) {
      fail(path, e.what());
    }
  }

  void add_window(const desi_coadd_file& w) {
    const size_t n = w.n_targets();
    camera_images cams[3];
    for (size_t c = 0; c < 3; ++c) {
      const auto& k = w.cameras[c];
      cams[c] = {k.flux.data(), k.ivar.data(), k.mask.data(), k.lattice_start, int64_t(k.npix())};
    }
    const size_t npix = size_t(desi_brz_npix);
    std::vector<float> flux(n * npix), ivar(n * npix);
    std::vector<uint32_t> mask(n * npix);
    camera_merge(backend::cpu, cams, 3, n, desi_brz_start, desi_brz_npix, flux.data(), ivar.data(), mask.data());
    const std::vector<float> resolution = opts_.with_resolution ? merged_resolution(w) : std::vector<float>{};
    for (size_t i = 0; i < n; ++i) {
      const desi_target& t = w.targets[i];
      bool primary = false;
      const uint64_t k = key_of(t.targetid, w.survey, w.program, primary);
      if (seen_.count(k) || cat_.has_pixels(opts_.context, k)) {
        ++sum_.skipped;
        continue;
      }
      seen_.insert(k);
      const auto c = catalog_.find({t.targetid, w.survey, w.program});
      const desi_redshift* z = c != catalog_.end() ? &c->second.redshift : nullptr;
      sdss_spectrum s;
      s.meta = meta_of(t, w.survey, w.program, w.healpix, z, k);
      s.meta.specprimary = primary ? 1 : 0;
      coadd& d = s.data;
      d.lattice_start = desi_brz_start;
      d.loglam_exact = true;
      d.flux.assign(flux.begin() + long(i * npix), flux.begin() + long((i + 1) * npix));
      d.ivar.assign(ivar.begin() + long(i * npix), ivar.begin() + long((i + 1) * npix));
      d.and_mask.resize(npix);
      for (size_t p = 0; p < npix; ++p) d.and_mask[p] = int32_t(mask[i * npix + p]);
      d.or_mask = d.and_mask;
      d.wdisp.assign(npix, 0.f);
      d.sky.assign(npix, 0.f);
      d.model.assign(npix, 0.f);
      // wavemin/wavemax: the covered range with weight, as SDSS's columns mean.
      size_t lo = 0, hi = npix;
      while (lo < npix && d.ivar[lo] <= 0) ++lo;
      while (hi > lo && d.ivar[hi - 1] <= 0) --hi;
      if (lo < hi) {
        s.meta.wavemin = float(desi_native_grid.angstrom(desi_brz_start + int64_t(lo)));
        s.meta.wavemax = float(desi_native_grid.angstrom(desi_brz_start + int64_t(hi - 1)));
      }
      table_->insert(k, t, w.survey, w.program, w.healpix, z ? *z : desi_redshift{0, 0, 0, "", "", 0, primary},
                     primary);
      spectrum_extras x = extras_of(w, i, resolution);
      if (!builder_.accepts(x)) flush();  // a file whose cameras differ starts a block of its own
      rows_.push_back(s.meta);
      builder_.add(std::move(s), std::move(x));
      if (builder_.size() >= block_spectra_) flush();
    }
  }

  // brz resolution of every target of the window, [n][11][7781] (kernels/resolution_merge).
  static std::vector<float> merged_resolution(const desi_coadd_file& w) {
    const size_t n = w.n_targets(), per = size_t(desi_resolution_diagonals) * size_t(desi_brz_npix);
    camera_resolution cams[3];
    for (size_t c = 0; c < 3; ++c) {
      const auto& k = w.cameras[c];
      cams[c] = {k.resolution.data(), k.ivar.data(), k.mask.data(), k.lattice_start, int64_t(k.npix())};
    }
    std::vector<float> out(n * per);
    resolution_merge(backend::cpu, cams, 3, desi_resolution_diagonals, n, desi_brz_start, desi_brz_npix, out.data());
    return out;
  }

  // What target i of the window carries beside its brz columns.
  spectrum_extras extras_of(const desi_coadd_file& w, size_t i, const std::vector<float>& resolution) const {
    spectrum_extras x;
    if (opts_.with_resolution) {
      const size_t per = size_t(desi_resolution_diagonals) * size_t(desi_brz_npix);
      x.resolution.assign(resolution.begin() + long(i * per), resolution.begin() + long((i + 1) * per));
    }
    if (!opts_.with_cameras) return x;
    for (const desi_camera_data& k : w.cameras) {
      const size_t n = k.npix();
      auto row = [&](const auto& v, size_t width) {
        return std::vector(v.begin() + long(i * width), v.begin() + long((i + 1) * width));
      };
      camera_arrays c;
      c.name = k.name;
      c.lattice_start = k.lattice_start;
      c.wavelength = k.wavelength;
      c.flux = row(k.flux, n);
      c.ivar = row(k.ivar, n);
      c.mask = row(k.mask, n);
      if (opts_.with_resolution) c.resolution = row(k.resolution, n * size_t(desi_resolution_diagonals));
      x.cameras.push_back(std::move(c));
    }
    return x;
  }

  // Writes the block, then commits its rows and the file marks in one transaction: a block on
  // disk without its rows is an orphan the next run removes.
  void flush() {
    if (builder_.size() > 0) {
      const int64_t block_id = next_block_++;
      const fs::path path = st_.block_path(block_id);
      builder_.write(path, block_id, opts_.layout);
      const block_reader written(path);
      auto tx = cat_.transaction();
      cat_.insert_block(block_record{block_id, store::block_relative_path(block_id), int64_t(written.n_spectra()),
                                     written.lattice_start(), int64_t(written.n_pixels()),
                                     int64_t(fs::file_size(path))});
      for (size_t r = 0; r < rows_.size(); ++r) {
        SPECMILL_DATA_CHECK(written.rows()[r].specobjid == rows_[r].specobjid, "block row order mismatch");
        cat_.put_spectrum(opts_.context, rows_[r],
                          {block_id, int32_t(r), written.rows()[r].lattice_start, written.rows()[r].npix});
      }
      commit_marks();
      tx.commit();
      ++sum_.blocks;
      sum_.ingested += rows_.size();
      rows_.clear();
      builder_.clear();
      return;
    }
    if (marks_.empty()) return;
    auto tx = cat_.transaction();
    commit_marks();
    tx.commit();
  }

  void commit_marks() {
    for (const auto& m : marks_) cat_.mark_file(opts_.context, m.path, m.size, m.mtime, m.specobjid);
    marks_.clear();
  }

  void fail(const fs::path& file, const std::string& reason) {
    ++sum_.failed;
    spdlog::warn("skipped {}: {}", file.string(), reason);
    if (sum_.failures.size() < opts_.max_reported_failures) sum_.failures.push_back({file.string(), reason});
  }

  struct file_mark {
    std::string path;
    int64_t size, mtime;
    uint64_t specobjid;
  };

  const ingest_options& opts_;
  ingest_summary& sum_;
  store st_;
  catalog_db& cat_;
  int64_t next_block_;
  size_t block_spectra_;
  block_builder builder_{desi_native_grid};
  std::vector<spec_meta> rows_;
  std::vector<file_mark> marks_;
  std::map<spectrum_key, catalog_row> catalog_;
  std::unordered_set<int64_t> primary_taken_;
  std::unordered_set<uint64_t> seen_;
  std::optional<targets_table> table_;
};

}  // namespace

bool is_desi_ingest(const ingest_options& opts) {
  if (opts.inputs.empty()) {
    if (!opts.catalog) return false;
    try {
      desi_zcatalog_reader r(*opts.catalog);
      return true;
    } catch (const error&) {
      return false;
    }
  }
  input_files files(opts.inputs);
  const auto first = files.next();
  return first && is_desi_coadd(*first);
}

size_t desi_extras_block_spectra(size_t requested, bool with_cameras, bool with_resolution) {
  if (!with_cameras && !with_resolution) return requested;
  const size_t budget = default_block_spectra * extras_bytes_per_spectrum(false, false);
  size_t n = std::max<size_t>(1, budget / extras_bytes_per_spectrum(with_cameras, with_resolution));
  if (n >= window_targets) n -= n % window_targets;
  return std::min(n, requested);
}

ingest_summary ingest_desi(const ingest_options& opts) {
  SPECMILL_EXPECTS(opts.block_spectra > 0, "block size must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  ingest_summary sum;
  desi_ingester(opts, sum).run();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace specmill
