#include "engine/sample/sample_desi.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "engine/sample/sample_physics.hpp"
#include "io/catalog/healpix.hpp"
#include "io/fits/desi_coadd_writer.hpp"

namespace specmill {
namespace {

using sample::rng;

constexpr int desi_nside_order = 6;  // NSIDE 64
// desispec/desimodel maskbits used here.
constexpr uint32_t desi_mask_cosmic = 1u << 2;
constexpr uint32_t desi_mask_badsky = 1u << 9;
constexpr uint32_t desi_mask_badfiber = 1u << 10;  // with ivar 0

struct planned_target {
  desi_target target;
  desi_redshift redshift;
  sample::object_params object;
  std::string program;
  int32_t healpix = 0;
  bool repeated = false;  // also observed in sv1
};

// TARGETID as desitarget packs it: OBJID (22 bits), BRICKID (20 bits) and RELEASE (16 bits).
int64_t pack_targetid(int64_t release, int64_t brickid, int64_t objid) {
  return (release << 42) | (brickid << 22) | objid;
}

std::vector<planned_target> plan_targets(const desi_sample_options& o) {
  rng r(sample::mix_seed(o.seed, ~uint64_t{0} - 7));
  std::vector<std::pair<double, double>> centres;
  for (size_t f = 0; f < o.fields; ++f)
    centres.emplace_back(r.uniform(0, 360), std::asin(r.uniform(-0.3, 0.9)) * 180 / std::numbers::pi);
  std::vector<planned_target> plan(o.count);
  for (size_t i = 0; i < o.count; ++i) {
    planned_target& p = plan[i];
    const auto& [ra0, dec0] = centres[i % centres.size()];
    desi_target& t = p.target;
    t.target_dec = std::clamp(dec0 + r.uniform(-0.25, 0.25), -89.9, 89.9);
    t.target_ra = std::fmod(ra0 + r.uniform(-0.25, 0.25) / std::cos(t.target_dec * std::numbers::pi / 180) + 360, 360);
    t.targetid = pack_targetid(9010, int64_t(r.uniform_int(1, 600000)), int64_t(i));
    const bool bright = r.uniform() < 0.35;
    p.program = bright ? "bright" : "dark";
    p.object = sample::draw_object(r, false);
    const double mag = bright ? r.uniform(16.5, 19.5) : r.uniform(19.5, 22.5);
    p.object.mag_r = mag;
    const double nmgy_r = std::pow(10.0, (22.5 - mag) / 2.5);
    t.flux_r = float(nmgy_r);
    t.flux_g = float(nmgy_r * r.uniform(0.3, 1.0));
    t.flux_z = float(nmgy_r * r.uniform(1.0, 2.5));
    t.flux_ivar_g = t.flux_ivar_r = t.flux_ivar_z = float(r.uniform(50, 400));
    t.ebv = float(r.uniform(0.01, 0.12));
    t.coadd_numexp = int16_t(r.uniform_int(1, 4));
    t.coadd_exptime = float(t.coadd_numexp * 1000.0);
    using oc = sample::object_class;
    if (bright) {
      t.bgs_target = p.object.cls == oc::star ? 0 : 1;  // BGS_BRIGHT
      t.mws_target = p.object.cls == oc::star ? 1 : 0;
      t.desi_target = p.object.cls == oc::star ? (int64_t(1) << 62) : (int64_t(1) << 60);  // MWS_ANY / BGS_ANY
    } else {
      t.desi_target = p.object.cls == oc::qso ? 4 : p.object.cls == oc::star ? (int64_t(1) << 62) : (r.uniform() < 0.5 ? 1 : 2);
    }
    const auto pix29 = healpix_index(t.target_ra, t.target_dec);
    p.healpix = int32_t(*pix29 >> (2 * (healpix_index_order - desi_nside_order)));
    desi_redshift& z = p.redshift;
    z.z = p.object.z;
    z.zerr = (p.object.cls == oc::qso ? r.uniform(1e-4, 8e-4) : r.uniform(1e-5, 4e-5)) * (1 + p.object.z);
    z.zwarn = r.uniform() < 0.04 ? 4 : 0;  // SMALL_DELTA_CHI2
    z.deltachi2 = z.zwarn ? r.uniform(1, 9) : r.uniform(25, 5000);
    z.spectype = p.object.cls == oc::qso ? "QSO" : p.object.cls == oc::star ? "STAR" : "GALAXY";
    z.subtype = p.object.cls == oc::star ? p.object.subclass.substr(0, 1) : "";
    p.repeated = r.uniform() < o.repeat_fraction;
  }
  return plan;
}

// The object's model once on a fine SDSS-lattice grid, then read at each DESI pixel (linear
// interpolation): the physics module paints lines on the log lattice.
struct object_model {
  int32_t start = 35400;  // 3467 A
  std::vector<double> lambda;
  std::vector<float> flux;
  double at(double l) const {
    const double x = std::log10(l) * 1e4 - start;
    const size_t i = std::min(size_t(std::max(0.0, x)), flux.size() - 2);
    const double t = std::clamp(x - double(i), 0.0, 1.0);
    return (1 - t) * flux[i] + t * flux[i + 1];
  }
};

object_model render(sample::object_params obj, rng& r) {
  object_model m;
  const size_t n = 5200;  // to 11500 A
  m.lambda.resize(n);
  m.flux.assign(n, 0.f);
  for (size_t i = 0; i < n; ++i) m.lambda[i] = std::pow(10.0, double(m.start + int32_t(i)) * 1e-4);
  sample::render_object(obj, m.start, m.lambda, 1.2, r, m.flux);
  return m;
}

// One target's three cameras: model + sky noise, a few masked stretches.
void observe(const object_model& model, const desi_target& t, rng& r, std::array<desi_camera_data, 3>& cams,
             size_t row, bool resolution) {
  for (size_t c = 0; c < 3; ++c) {
    desi_camera_data& cam = cams[c];
    const size_t n = cam.npix(), at = row * n;
    const double exposure = t.coadd_exptime / 1000.0;
    for (size_t i = 0; i < n; ++i) {
      const double l = cam.wavelength[i];
      const double edge = std::min(l - cam.wavelength.front(), cam.wavelength.back() - l);
      const double throughput = std::max(0.05, 1 - std::exp(-edge / 60));  // dichroic edges are noisy
      const double sky = 1.5 + 4.0 * (l - 3600) / 6200;
      const double sigma2 = (0.4 + sky + std::max(0.0, model.at(l)) * 0.05) / (throughput * exposure);
      const float ivar = float(1 / sigma2);
      cam.flux[at + i] = float(model.at(l) + r.normal() * std::sqrt(sigma2));
      cam.ivar[at + i] = ivar;
      cam.mask[at + i] = 0;
    }
    if (r.uniform() < 0.3) {  // a cosmic ray: a few pixels down-weighted and flagged
      const size_t p = size_t(r.uniform_int(0, int32_t(n) - 5));
      for (size_t i = p; i < p + 4; ++i) cam.mask[at + i] |= desi_mask_cosmic;
    }
    if (r.uniform() < 0.05) {  // a dead stretch: no data
      const size_t p = size_t(r.uniform_int(0, int32_t(n) - 40));
      for (size_t i = p; i < p + 40; ++i) {
        cam.mask[at + i] |= desi_mask_badfiber | desi_mask_badsky;
        cam.ivar[at + i] = 0;
      }
    }
    if (resolution) {  // a Gaussian line-spread of ~1.1 pixels sigma, rows summing to 1
      const int32_t half = desi_resolution_diagonals / 2;
      const double s = 1.0 + 0.2 * double(c) / 2;
      double norm = 0;
      for (int32_t d = -half; d <= half; ++d) norm += std::exp(-0.5 * d * d / (s * s));
      for (int32_t k = 0; k < desi_resolution_diagonals; ++k) {
        const int32_t off = half - k;
        const float v = float(std::exp(-0.5 * off * off / (s * s)) / norm);
        std::fill_n(cam.resolution.begin() + long((row * desi_resolution_diagonals + size_t(k)) * n), n, v);
      }
    }
  }
}

}  // namespace

desi_sample_summary write_desi_sample(const desi_sample_options& o) {
  SPECMILL_EXPECTS(o.count > 0, "sample: --count must be at least 1");
  SPECMILL_EXPECTS(!o.out.empty(), "sample: --out is required");
  SPECMILL_EXPECTS(o.fields > 0, "sample: --fields must be at least 1");
  SPECMILL_EXPECTS(o.repeat_fraction >= 0 && o.repeat_fraction <= 1, "sample: --repeat-fraction must be in [0, 1]");
  const std::vector<planned_target> plan = plan_targets(o);

  // (survey, program, healpix) -> indices into plan; std::map keeps the file order fixed.
  std::map<std::tuple<std::string, std::string, int32_t>, std::vector<size_t>> files;
  for (size_t i = 0; i < plan.size(); ++i) {
    files[{"main", plan[i].program, plan[i].healpix}].push_back(i);
    if (plan[i].repeated) files[{"sv1", plan[i].program, plan[i].healpix}].push_back(i);
  }

  desi_sample_summary sum;
  std::vector<desi_zcatalog_row> catalog;
  for (const auto& [key, members] : files) {
    const auto& [survey, program, healpix] = key;
    desi_coadd_file f;
    f.survey = survey;
    f.program = program;
    f.healpix = healpix;
    f.mask_type = o.mask_type;
    const size_t n = members.size();
    for (size_t c = 0; c < 3; ++c) {
      desi_camera_data& cam = f.cameras[c];
      cam.name = desi_cameras[c].name;
      cam.lattice_start = desi_cameras[c].lattice_start;
      cam.wavelength.resize(size_t(desi_cameras[c].npix));
      for (size_t i = 0; i < cam.wavelength.size(); ++i)
        cam.wavelength[i] = double(cam.lattice_start + int32_t(i)) * desi_pixel_angstrom;
      cam.flux.resize(n * cam.npix());
      cam.ivar.resize(n * cam.npix());
      cam.mask.resize(n * cam.npix());
      if (o.resolution) cam.resolution.resize(n * cam.npix() * desi_resolution_diagonals);
    }
    for (size_t row = 0; row < n; ++row) {
      const planned_target& p = plan[members[row]];
      // The object is the same in every survey; the noise is drawn per observation.
      rng model_rng(sample::mix_seed(o.seed, members[row]));
      const object_model model = render(p.object, model_rng);
      rng noise(sample::mix_seed(o.seed ^ std::hash<std::string>{}(survey), members[row] + (uint64_t(1) << 40)));
      f.targets.push_back(p.target);
      observe(model, p.target, noise, f.cameras, row, o.resolution);
      desi_zcatalog_row z{p.target, p.redshift, survey, program, healpix, int16_t(p.repeated ? 2 : 1)};
      z.redshift.zcat_primary = survey == "main";
      catalog.push_back(std::move(z));
    }
    const auto path = o.out / desi_coadd_relative_path(survey, program, healpix);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) SPECMILL_FAIL_IO("cannot create directory " + path.parent_path().string() + ": " + ec.message());
    write_desi_coadd(path, f);
    sum.bytes += std::filesystem::file_size(path);
    ++sum.files;
    sum.spectra += n;
  }
  sum.catalog = o.out / "zpix-sample.fits";
  write_desi_zcatalog(sum.catalog, "all", "all", catalog);
  sum.bytes += std::filesystem::file_size(sum.catalog);
  return sum;
}

}  // namespace specmill
