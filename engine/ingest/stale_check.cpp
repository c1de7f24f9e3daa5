#include "engine/ingest/stale_check.hpp"

#include "core/error.hpp"
#include "engine/ingest/file_digest.hpp"
#include "engine/store/store.hpp"

namespace fs = std::filesystem;

namespace specmill {

const char* to_string(file_state s) {
  switch (s) {
    case file_state::unchanged: return "unchanged";
    case file_state::touched: return "touched";
    case file_state::changed: return "changed";
    case file_state::missing: return "missing";
    case file_state::unreadable: return "unreadable";
  }
  return "?";
}

namespace {

stale_file classify(const ingested_file& f) {
  stale_file out{f.path, f.specobjid, file_state::unchanged, {}};
  std::error_code ec;
  const fs::path p(f.path);
  const auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    out.state = file_state::missing;
    return out;
  }
  const auto size = int64_t(fs::file_size(p, ec));
  const auto mtime = ec ? int64_t(-1) : int64_t(fs::last_write_time(p, ec).time_since_epoch().count());
  if (ec) {
    out.state = file_state::unreadable;
    out.note = ec.message();
    return out;
  }
  if (size == f.size && mtime == f.mtime) return out;
  if (size != f.size) {  // other bytes for certain: no need to read them
    out.state = file_state::changed;
    out.note = "size " + std::to_string(f.size) + " -> " + std::to_string(size);
    return out;
  }
  if (!f.digest) {
    out.state = file_state::changed;
    out.note = "new mtime, no digest on record (ingested by an older build)";
    return out;
  }
  try {
    const bool same = file_digest(p) == *f.digest;
    out.state = same ? file_state::touched : file_state::changed;
    out.note = same ? "new mtime, same bytes" : "new mtime, other bytes";
  } catch (const error& e) {
    out.state = file_state::unreadable;
    out.note = e.what();
  }
  return out;
}

}  // namespace

stale_report check_stale(const fs::path& store_root, const std::string& context, size_t max_listed) {
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "no context '" + context + "' in store " + store_root.string(),
                   not_found);
  stale_report rep;
  st.sqlite_catalog().for_each_file(context, [&](const ingested_file& f) {
    ++rep.recorded;
    auto s = classify(f);
    switch (s.state) {
      case file_state::unchanged: ++rep.unchanged; return;
      case file_state::touched: ++rep.touched; break;
      case file_state::changed: ++rep.changed; break;
      case file_state::missing: ++rep.missing; break;
      case file_state::unreadable: ++rep.unreadable; break;
    }
    if (rep.files.size() < max_listed) rep.files.push_back(std::move(s));
  });
  return rep;
}

}  // namespace specmill
