#include "engine/sample/sample_data.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <set>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/sample/sample_physics.hpp"
#include "io/fits/sdss_spec_writer.hpp"

namespace specmill {
namespace {

using sample::rng;

constexpr const char* legacy_run2d = "26";
constexpr const char* boss_run2d = "v5_13_0";

struct file_plan {
  bool legacy = false;
  int32_t plate = 0, mjd = 0, fiber = 0;
};

// Hands out (plate, mjd, fiber) the way a survey fills plates: a plate-MJD gets a run of
// distinct fibers, then the next plate-MJD is drawn; no plate-MJD is drawn twice.
class plate_allocator {
 public:
  struct era_range {
    int32_t plate_lo, plate_hi, mjd_lo, mjd_hi, fibers;
  };
  explicit plate_allocator(era_range range) : range_(range) {}

  file_plan next(rng& r) {
    if (used_ == quota_) open_plate(r);
    return {false, plate_, mjd_, fibers_[used_++]};
  }

 private:
  void open_plate(rng& r) {
    do {
      plate_ = r.uniform_int(range_.plate_lo, range_.plate_hi);
      mjd_ = r.uniform_int(range_.mjd_lo, range_.mjd_hi);
    } while (!seen_.insert(uint64_t(plate_) << 32 | uint32_t(mjd_)).second);
    fibers_.resize(size_t(range_.fibers));
    for (int32_t i = 0; i < range_.fibers; ++i) fibers_[size_t(i)] = i + 1;
    for (size_t i = fibers_.size() - 1; i > 0; --i)  // Fisher-Yates with our own rng
      std::swap(fibers_[i], fibers_[size_t(r.uniform_int(0, int32_t(i)))]);
    quota_ = size_t(r.uniform_int(40, std::min(400, range_.fibers)));
    used_ = 0;
  }

  era_range range_;
  std::unordered_set<uint64_t> seen_;
  std::vector<int32_t> fibers_;
  size_t quota_ = 0, used_ = 0;
  int32_t plate_ = 0, mjd_ = 0;
};

// Sequential and cheap, so that the plan (and hence every file) is independent of threads.
std::vector<file_plan> plan_files(const sample_options& o) {
  rng r(sample::mix_seed(o.seed, ~uint64_t{0}));
  plate_allocator legacy({266, 2974, 51600, 54600, 640});
  plate_allocator boss({3586, 11000, 55100, 58900, 1000});
  std::vector<file_plan> plan(o.count);
  for (auto& f : plan) {
    const bool is_legacy = r.uniform() < o.legacy_fraction;
    f = is_legacy ? legacy.next(r) : boss.next(r);
    f.legacy = is_legacy;
  }
  return plan;
}

struct made_spectrum {
  sdss_spectrum spectrum;
  spec_lite_header header;
};

made_spectrum make_spectrum(const file_plan& f, uint64_t seed, size_t index) {
  rng r(sample::mix_seed(seed, index));
  made_spectrum out;
  coadd& c = out.spectrum.data;
  // Legacy coadds start near 3800 A (3.579-3.583 dex, ~3825 px); BOSS near 3560 A (~4610 px).
  c.lattice_start = f.legacy ? r.uniform_int(35790, 35830) : r.uniform_int(35510, 35590);
  const size_t n = size_t(f.legacy ? r.uniform_int(3800, 3850) : r.uniform_int(4580, 4640));
  std::vector<double> lambda(n);
  c.loglam.resize(n);
  c.wdisp.resize(n);
  c.model.assign(n, 0.0f);
  c.sky.resize(n);
  std::vector<float> sky_continuum(n);
  const double wdisp0 = r.uniform(1.0, 1.3);
  for (size_t i = 0; i < n; ++i) {
    const int32_t idx = c.lattice_start + int32_t(i);
    c.loglam[i] = lattice_loglam(idx);
    lambda[i] = std::pow(10.0, double(idx) * sdss_native_grid.step);
    c.wdisp[i] = float(wdisp0 + 0.2 * double(i) / double(n));
  }
  c.loglam_exact = true;
  const double wdisp_mid = wdisp0 + 0.1;

  sample::object_params obj = sample::draw_object(r, f.legacy);
  sample::render_object(obj, c.lattice_start, lambda, wdisp_mid, r, c.model);
  sample::render_sky(c.lattice_start, lambda, wdisp_mid, r.uniform(0.7, 1.5), c.sky, sky_continuum);

  spec_lite_header& h = out.header;
  h.nexp = f.legacy ? 2 * r.uniform_int(3, 4) : 2 * r.uniform_int(4, 6);
  h.exptime = 900.0 * h.nexp / 2;
  h.coeff0_offset = f.legacy ? r.uniform_int(0, 40) : 0;
  h.helio_rv = r.uniform(-30, 30);
  h.tileid = f.legacy ? f.plate / 2 + 1 : 10000 + f.plate;
  sample::observe(c, lambda, sky_continuum, f.legacy, h.exptime, r);

  spec_meta& m = out.spectrum.meta;
  m.plate = f.plate;
  m.mjd = f.mjd;
  m.fiberid = f.fiber;
  m.run2d = f.legacy ? legacy_run2d : boss_run2d;
  m.specobjid = pack_specobjid({f.plate, f.mjd, f.fiber, run2d_code(m.run2d)});
  m.plug_ra = r.uniform(0, 360);
  m.plug_dec = std::asin(r.uniform(-1, 1)) * 180 / std::numbers::pi;  // uniform on the sphere
  m.z = float(obj.z);
  const double zf = 1 + obj.z;
  m.z_err = float(obj.cls == sample::object_class::qso    ? r.uniform(1e-4, 8e-4) * zf
                  : obj.cls == sample::object_class::star ? r.uniform(3e-6, 2e-5)
                                                          : r.uniform(1e-5, 4e-5) * zf);
  m.zwarning = r.uniform() < 0.03 ? 4 : 0;  // SMALL_DELTA_CHI2 on a few
  m.class_name = obj.cls == sample::object_class::qso    ? "QSO"
                 : obj.cls == sample::object_class::star ? "STAR"
                                                         : "GALAXY";
  m.subclass = obj.subclass;
  m.sn_median_all = sample::sn_median_all(c);
  m.specprimary = r.uniform() < 0.95 ? 1 : 0;
  m.spectroflux = sample::spectro_flux(c, lambda);
  size_t first = 0, last = n;
  while (first < n && c.ivar[first] <= 0) ++first;
  while (last > first && c.ivar[last - 1] <= 0) --last;
  if (first < last) {
    // BOSS WAVEMIN is the first pixel above 3600 A, as in the real files.
    double wmin = lambda[first];
    if (!f.legacy) wmin = std::max(wmin, std::pow(10.0, 3.5565));
    m.wavemin = float(wmin);
    m.wavemax = float(lambda[last - 1]);
  }
  m.programname = f.legacy ? "legacy" : f.plate < 7000 ? "boss" : "eboss";
  m.objtype = obj.cls == sample::object_class::star ? (obj.subclass[0] == 'F' ? "SPECTROPHOTO_STD" : "NA")
                                                    : m.class_name;
  m.thing_id = f.legacy ? -1 : r.uniform_int(100000000, 600000000);
  return out;
}

void make_directories(const std::filesystem::path& out, const std::vector<file_plan>& plan) {
  std::set<std::filesystem::path> dirs;
  for (const auto& f : plan)
    dirs.insert((out / sample_spectrum_path(f.legacy ? legacy_run2d : boss_run2d, f.plate, f.mjd, f.fiber))
                    .parent_path());
  dirs.insert(out);
  for (const auto& d : dirs) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) SPECMILL_FAIL_IO("cannot create directory " + d.string() + ": " + ec.message());
  }
}

}  // namespace

std::filesystem::path sample_spectrum_path(const std::string& run2d, int32_t plate, int32_t mjd, int32_t fiber) {
  char plate4[16], name[64];
  std::snprintf(plate4, sizeof plate4, "%04d", plate);
  std::snprintf(name, sizeof name, "spec-%04d-%05d-%04d.fits", plate, mjd, fiber);
  return std::filesystem::path(run2d) / "spectra" / "lite" / plate4 / name;
}

sample_summary write_sample_data(const sample_options& o) {
  SPECMILL_EXPECTS(o.count > 0, "sample: --count must be at least 1");
  SPECMILL_EXPECTS(o.legacy_fraction >= 0 && o.legacy_fraction <= 1, "sample: --legacy-fraction must be in [0, 1]");
  SPECMILL_EXPECTS(!o.out.empty(), "sample: --out is required");

  const std::vector<file_plan> plan = plan_files(o);
  make_directories(o.out, plan);

  std::vector<spec_meta> metas(plan.size());
  std::atomic<uint64_t> bytes{0};
  std::atomic<size_t> done{0};
  tbb::task_arena arena(o.jobs == 0 ? tbb::task_arena::automatic : int(o.jobs));
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, plan.size(), 8), [&](const tbb::blocked_range<size_t>& range) {
      for (size_t i = range.begin(); i != range.end(); ++i) {
        const file_plan& f = plan[i];
        made_spectrum s = make_spectrum(f, o.seed, i);
        const auto path = o.out / sample_spectrum_path(s.spectrum.meta.run2d, f.plate, f.mjd, f.fiber);
        write_sdss_spec_lite(path, s.spectrum, s.header);
        bytes += std::filesystem::file_size(path);
        metas[i] = std::move(s.spectrum.meta);
        const size_t d = ++done;
        if (o.progress && (d % 256 == 0 || d == plan.size())) o.progress(d);
      }
    });
  });

  sample_summary summary;
  summary.files = plan.size();
  summary.catalog = o.out / "specObj-sample.fits";
  write_specobj_catalog(summary.catalog, metas);
  summary.bytes = bytes + std::filesystem::file_size(summary.catalog);
  return summary;
}

}  // namespace specmill
