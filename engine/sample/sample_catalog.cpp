#include "engine/sample/sample_catalog.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.hpp"
#include "core/sky.hpp"
#include "core/specobjid.hpp"
#include "io/catalog/catalog_db.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {

constexpr int fibers_per_plate = 1000;
constexpr double rad_to_deg = 1.0 / deg_to_rad;

// Mostly uniform on the sphere; about one row in twelve a hard case.
void place(std::mt19937_64& rng, spec_meta& m) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double pick = u(rng);
  double ra = 360.0 * u(rng);
  double dec = std::asin(2.0 * u(rng) - 1.0) * rad_to_deg;
  if (pick < 0.02) {  // within a degree of a pole
    dec = (u(rng) < 0.5 ? -1 : 1) * (90.0 - u(rng) * u(rng));
  } else if (pick < 0.025) {  // exactly at a pole
    dec = u(rng) < 0.5 ? -90.0 : 90.0;
  } else if (pick < 0.045) {  // the RA = 0/360 seam
    const double w = u(rng);
    ra = w < 0.1 ? 0.0 : w < 0.15 ? 360.0 : w < 0.55 ? 1e-6 * u(rng) : 360.0 - 1e-6 * u(rng);
  } else if (pick < 0.06) {  // integer-degree grid points
    ra = std::floor(360.0 * u(rng));
    dec = std::floor(181.0 * u(rng)) - 90.0;
  } else if (pick < 0.07) {  // on meridians of integer RA
    ra = std::floor(360.0 * u(rng));
  } else if (pick < 0.08) {  // dense clusters, ~0.01 deg across, around 64 fixed centres
    std::mt19937_64 centre(uint64_t(u(rng) * 64));
    ra = 360.0 * u(centre) + 0.01 * (u(rng) - 0.5);
    dec = std::clamp(std::asin(2.0 * u(centre) - 1.0) * rad_to_deg + 0.01 * (u(rng) - 0.5), -90.0, 90.0);
  } else if (pick < 0.0801) {  // no valid position: NaN (stored as NULL) or |dec| > 90
    if (u(rng) < 0.5) ra = std::numeric_limits<double>::quiet_NaN();
    else dec = 90.5;
  }
  m.plug_ra = ra;
  m.plug_dec = dec;
}

class lock_file {
 public:
  explicit lock_file(const fs::path& p) : fd_(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw io_error("cannot lock " + p.string() + ": " + std::strerror(errno));
  }
  ~lock_file() {
    if (fd_ >= 0) ::close(fd_);
  }
  lock_file(const lock_file&) = delete;
  lock_file& operator=(const lock_file&) = delete;

 private:
  int fd_;
};

}  // namespace

size_t write_sample_catalog(catalog_db& cat, const sample_catalog_options& o) {
  SPECMILL_EXPECTS(o.rows > 0, "sample catalog: rows must be > 0");
  const size_t plates = (o.rows + fibers_per_plate - 1) / fibers_per_plate;
  SPECMILL_EXPECTS(plates < 11000, "sample catalog: at most 11,000,000 rows");
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  static constexpr std::array<const char*, 3> classes = {"GALAXY", "QSO", "STAR"};
  cat.ensure_context(o.context);
  auto tx = cat.transaction();
  spec_meta m;
  for (size_t i = 0; i < o.rows; ++i) {
    // Plates 300 ... 11300 in steps that reach past 8192: a fifth of the IDs are >= 2^63.
    const auto plate = int32_t(300 + (i / fibers_per_plate) * (11000 / plates));
    m.plate = plate;
    m.fiberid = int32_t(i % fibers_per_plate) + 1;
    m.mjd = 51000 + plate % 7000;
    m.run2d = plate < 3000 ? "26" : "v5_13_0";
    m.specobjid = pack_specobjid({m.plate, m.mjd, m.fiberid, run2d_code(m.run2d)});
    place(rng, m);
    m.z = float(4.0 * u(rng));
    m.class_name = classes[size_t(u(rng) * 3) % 3];
    m.specprimary = u(rng) < o.primary_fraction ? 1 : 0;
    m.sn_median_all = float(20.0 * u(rng));
    m.programname = plate < 3000 ? "legacy" : "boss";
    cat.put_catalog_row(o.context, m);
  }
  tx.commit();
  return o.rows;
}

void ensure_sample_catalog_store(const fs::path& root, const sample_catalog_options& o,
                                 const std::function<void(catalog_db&)>& extra) {
  if (fs::exists(root / "catalog.sqlite")) return;
  fs::create_directories(root.parent_path());
  lock_file lock(root.string() + ".lock");
  if (fs::exists(root / "catalog.sqlite")) return;  // another process built it while we waited
  const fs::path tmp = root.string() + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp / "blocks");
  {
    catalog_db cat(tmp / "catalog.sqlite", sqlite_db::mode::read_write);
    cat.db().exec("PRAGMA cache_size = -262144");  // 256 MiB: the indexes take random inserts
    write_sample_catalog(cat, o);
    if (extra) extra(cat);
    cat.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");  // no ANALYZE: plan as real stores do
  }
  fs::rename(tmp, root);
}

}  // namespace specmill
