#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <iostream>

#include "api/cli/command.hpp"
#include "core/error.hpp"
#include "engine/query/query.hpp"
#include "core/default_context.hpp"

namespace {

using specmill::invalid_argument;

struct query_args {
  std::string store, context{specmill::default_context}, cone, polygon, constraint, fields = "specobjid", format = "ids";
  std::string catalog, sort, out = "-";
  bool all = false, with_pixels = false;
  std::optional<int64_t> limit;
  int64_t offset = 0;
  double time_limit = specmill::guarded_connection::default_time_limit_s;
};

// "1.5, -2,3e-1" -> {1.5, -2, 0.3}; throws naming the option on anything else.
std::vector<double> numbers(const std::string& text, const char* option) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string_view item(text.data() + start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    double v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size())
      throw invalid_argument(std::string(option) + ": '" + std::string(item) + "' is not a number (in '" + text + "')");
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

// Shortest text that reads back to the same double (as `get --format csv` writes numbers).
std::string shortest(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

specmill::query_request request(const query_args& a) {
  specmill::query_request r;
  r.context = a.context;
  if (!a.cone.empty()) {
    const auto v = numbers(a.cone, "--cone");
    if (v.size() != 3) throw invalid_argument("--cone wants RA,DEC,RADIUS in degrees, got '" + a.cone + "'");
    r.region = specmill::sky_region::cone(v[0], v[1], v[2]);
  }
  if (!a.polygon.empty()) {
    const auto v = numbers(a.polygon, "--polygon");
    if (v.size() % 2 != 0) throw invalid_argument("--polygon wants RA,DEC pairs, got an odd count of numbers");
    std::vector<specmill::sky_point> pts;
    for (size_t i = 0; i + 1 < v.size(); i += 2) pts.push_back({v[i], v[i + 1]});
    r.region = specmill::sky_region::polygon(std::move(pts));
  }
  r.constraint = a.constraint;
  if (!r.region && r.constraint.find_first_not_of(" \t\r\n") == std::string::npos)
    throw invalid_argument("nothing to search by: give --cone, --polygon or --constraint (--constraint 1 selects every row)");
  r.all = a.all;
  r.catalog = a.catalog;
  r.with_pixels = a.with_pixels;
  r.sort = a.sort;
  r.limit = a.limit;
  r.offset = a.offset;
  r.time_limit_s = a.time_limit;
  if (a.fields != "specobjid" && a.fields != "tuple") throw invalid_argument("--fields is specobjid or tuple");
  if (a.format != "ids" && a.format != "csv" && a.format != "json") throw invalid_argument("--format is ids, csv or json");
  return r;
}

void run(const query_args& a) {
  const auto req = request(a);
  specmill::catalog_query cq(a.store);
  std::ofstream file;
  if (a.out != "-") {
    file.open(a.out);
    if (!file) throw specmill::io_error("cannot write " + a.out);
  }
  std::ostream& out = a.out == "-" ? std::cout : file;
  auto json = nlohmann::json::array();
  if (a.format == "csv") out << "specobjid,plate,mjd,fiberid,ra,dec\n";
  const auto sum = cq.run(req, [&](const specmill::query_row& r) {
    if (a.format == "json") {
      json.push_back({{"specobjid", r.specobjid}, {"plate", r.plate}, {"mjd", r.mjd}, {"fiberid", r.fiberid},
                      {"ra", r.ra}, {"dec", r.dec}});
    } else if (a.format == "csv") {
      out << r.specobjid << ',' << r.plate << ',' << r.mjd << ',' << r.fiberid << ',' << shortest(r.ra) << ','
          << shortest(r.dec) << '\n';
    } else if (a.fields == "tuple") {
      out << r.plate << ',' << r.mjd << ',' << r.fiberid << '\n';
    } else {
      out << r.specobjid << '\n';
    }
  });
  if (a.format == "json") out << nlohmann::json{{"table", sum.table}, {"more", sum.more}, {"rows", json}}.dump() << '\n';
  out.flush();
  if (!out) throw specmill::io_error("cannot write the query result to " + a.out);
  spdlog::info("query: {} rows from {}{} in {:.3f} s", sum.rows, sum.table, sum.more ? " (more with --offset)" : "",
               sum.seconds);
}

const bool registered = specmill::cli::add_command(
    {"query", "Find spectra by cone, polygon and/or SQL constraint; prints IDs that feed `get --ids`",
     [](CLI::App& sub) {
       auto a = std::make_shared<query_args>();
       sub.add_option("--store", a->store, "Store directory")->required();
       sub.add_option("--context", a->context, "Dataset name (spectrum catalog only)")->capture_default_str();
       auto* cone = sub.add_option("--cone", a->cone, "RA,DEC,RADIUS in degrees");
       auto* poly = sub.add_option("--polygon", a->polygon,
                                   "RA1,DEC1,RA2,DEC2,RA3,DEC3[,...] in degrees: great-circle edges, convex or not");
       cone->excludes(poly);
       sub.add_option("--constraint", a->constraint,
                      "SQL WHERE expression over the table's columns, e.g. \"z > 2 AND class = 'QSO'\"");
       sub.add_option("--fields", a->fields, "specobjid (one unsigned ID a line) or tuple (plate,mjd,fiberid)")
           ->capture_default_str();
       sub.add_option("--format", a->format, "ids (as --fields says), csv or json (specobjid,plate,mjd,fiberid,ra,dec)")
           ->capture_default_str();
       sub.add_flag("--all", a->all, "Search every spectrum (specobjall), not only primary ones (specobj)");
       sub.add_flag("--with-pixels", a->with_pixels, "Only spectra whose pixels are in the store");
       sub.add_option("--catalog", a->catalog, "Search a catalog registered with `specmill catalog add` instead");
       sub.add_option("--sort", a->sort, "Sort column (default: the ID, unsigned); ties broken by the ID");
       sub.add_option("--limit", a->limit, "At most N rows")->check(CLI::NonNegativeNumber);
       sub.add_option("--offset", a->offset, "Skip the first N rows")->check(CLI::NonNegativeNumber);
       sub.add_option("--time-limit", a->time_limit, "Seconds before the query is stopped (0: none)")
           ->capture_default_str();
       sub.add_option("--out,-o", a->out, "Output file ('-': stdout)")->capture_default_str();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
