#include "api/rest/rest_openapi.hpp"

#include "api/cli/command.hpp"

#include <iostream>

namespace specmill::rest {
namespace {

using json = nlohmann::json;

json param(const char* name, const char* type, const char* desc, bool required = false) {
  return json{{"name", name}, {"in", "query"}, {"required", required}, {"description", desc}, {"schema", {{"type", type}}}};
}

json error_responses() {
  json e = {{"description", "JSON {error, message}"},
            {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  return json{{"400", e}, {"401", e}, {"403", e}, {"404", e}, {"413", e}};
}

// One operation. POST operations take the same fields as an URL-encoded form or a JSON object.
json op(const char* summary, std::vector<json> params, const char* content_type, bool post) {
  json o{{"summary", summary}, {"responses", error_responses()}};
  o["responses"]["200"] = {{"description", "OK"}, {"content", {{content_type, json::object()}}}};
  if (!post) {
    o["parameters"] = params;
    return o;
  }
  json props = json::object();
  for (const auto& p : params) props[p["name"].get<std::string>()] = {{"type", p["schema"]["type"]}, {"description", p["description"]}};
  json schema{{"type", "object"}, {"properties", props}};
  o["requestBody"] = {{"content", {{"application/x-www-form-urlencoded", {{"schema", schema}}}, {"application/json", {{"schema", schema}}}}}};
  return o;
}

}  // namespace

json openapi_document() {
  const json ctx = param("context", "string", "Dataset context (default: the configured default)");
  const json prof = param("profile", "string", "Service profile (accepted, informational)");
  const json ids = param("id_list", "string",
                         "IDs: a JSON list (SPECOBJIDs, 'plate,mjd,fiber' strings, [plate,mjd,fiber], partial [plate], "
                         "[plate,mjd], [plate,mjd,'lo-hi']), the original client's Python list text, or one ID a line",
                         true);
  json paths = json::object();
  paths["/ping"]["get"] = op("Liveness: OK", {}, "text/plain", false);
  paths["/available"]["get"] = op("Availability: True", {}, "text/plain", false);
  paths["/profiles"]["get"] = op("Profiles", {param("profile", "string", "One profile"), param("format", "string", "text|json|csv")}, "text/plain", false);
  paths["/contexts"]["get"] = op("Contexts and their descriptions", {param("context", "string", "One context"), param("format", "string", "json|text|csv")}, "application/json", false);
  paths["/catalogs"]["get"] = op("Catalog tables of a context", {ctx, prof, param("format", "string", "text|json|csv")}, "text/plain", false);
  paths["/lines"]["get"] = op("Spectral lines (the engine's table) observed at redshift z within [wmin, wmax] Angstrom: JSON [{name, rest, observed, kind}]",
                              {param("z", "number", "Redshift (> -1; default 0)"), param("wmin", "number", "Angstrom (default 0)"),
                               param("wmax", "number", "Angstrom (default 1e6)")}, "application/json", false);
  paths["/validate"]["get"] = op("OK or Error", {param("what", "string", "context|profile"), param("value", "string", "The name")}, "text/plain", false);
  paths["/getSpec"]["post"] = op(
      "Spectra of an ID list: numpy (.npy, structured; 2-D when aligned), npz (columnar; 2-D when aligned), fits, csv, hdf5",
      {ids, param("values", "string", "'all' or a comma list of flux,loglam,ivar,and_mask,or_mask,wdisp,sky,model"),
       param("format", "string", "numpy (default; pandas, tables, Spectrum1D... too) | npz | fits (one ID: the spec file) | csv | hdf5"),
       param("align", "boolean", "Common lattice, zero padded"),
       param("cutout", "string", "A-B Angstrom: one unaligned ID on its own pixels, else a common window"),
       param("w0", "number", "Aligned window start, log10 Angstrom (with align only)"),
       param("w1", "number", "Aligned window end, log10 Angstrom (with align only)"),
       param("resample", "string", "log:START,STOP,STEP or lin:START,STOP,STEP"), param("rest_frame", "boolean", "With resample"),
       param("camera", "string", "DESI, stores ingested with --with-cameras: b|r|z, that camera's stored flux, ivar, mask and wavelength"),
       param("with_resolution", "boolean", "DESI, stores ingested with --with-resolution: add `resolution` [n, 11, pixels] (npz only)"),
       ctx, prof},
      "application/octet-stream", true);
  paths["/query"]["post"] = op(
      "IDs by cone, polygon and/or SQL constraint (guarded: read-only, authorizer, time limit)",
      {param("ra", "number", "Cone centre RA, degrees"), param("dec", "number", "Cone centre Dec, degrees"),
       param("size", "number", "Cone radius, degrees"), param("region", "string", "Polygon: [[ra, dec], ...] or the original's text"),
       param("constraint", "string", "SQL where clause over the catalog's columns"),
       param("cond", "string", "The original client's WHERE fragment: q3c_radial_query / q3c_poly_query, ORDER BY, LIMIT, OFFSET"),
       param("id", "string", "The rows of these spectra (any id_list form), primary or not"),
       param("fields", "string", "specobjid | tuple | a comma list of the table's columns"),
       param("primary", "boolean", "specobj (default) or specobjall"),
       param("catalog", "string", "[schema.]table: specobj, specobjall or a registered catalog"),
       param("sort", "string", "col [ASC|DESC], ..."), param("limit", "integer", "Rows"), param("offset", "integer", "Rows skipped"),
       param("format", "string", "csv (default) | json"), ctx, prof},
      "text/csv", true);
  const std::vector<json> plot = {param("width", "integer", "Pixels (50-10000), default 400"),
                                   param("height", "integer", "Pixels (50-10000), default 100"),
                                   param("sky", "boolean", "Sky overlay"), param("model", "boolean", "Model overlay"),
                                   param("error", "boolean", "1-sigma band"), param("lines", "boolean", "Line markers at z"),
                                   param("cutout", "string", "A-B Angstrom")};
  auto with = [](std::vector<json> a, const std::vector<json>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  paths["/preview"]["get"] = op("PNG plot of one spectrum", with({param("id", "string", "One ID", true), ctx}, plot), "image/png", false);
  const json grid = op("PNG grid of previews, a page of an ID list (pages from 0)",
                       with({ids, param("nx", "integer", "Panels across (ncols)"), param("ny", "integer", "Panels down"),
                             param("page", "integer", "Page, from 0"), ctx},
                            plot),
                       "image/png", true);
  paths["/plotGrid"]["post"] = grid;
  paths["/gridPlot"]["post"] = grid;
  paths["/stackedImage"]["post"] = op(
      "One aligned row per spectrum: PNG, or the float32 image (fmt=numpy)",
      {ids, param("fmt", "string", "png | numpy"), param("yflip", "boolean", "First ID on top"),
       param("cutout", "string", "A-B Angstrom"), param("scale", "string", "zscale | linear | asinh"),
       param("range", "string", "LO,HI display limits"), param("cmap", "string", "gray | viridis | inferno"),
       param("inverse", "boolean", "Reversed colormap"), param("thickness", "integer", "Pixels a row (yscale)"),
       param("xscale", "integer", "Pixels a column"), param("width", "integer", "Bin columns to at most this"),
       param("height", "integer", "Bin rows to at most this"), ctx},
      "image/png", true);
  paths["/stack"]["post"] = op(
      "Composite spectrum of an ID list: npz (default), fits or csv",
      {ids, param("method", "string", "weighted_mean | mean | median | clipped_mean"), param("sigma", "number", "clipped_mean"),
       param("iterations", "integer", "clipped_mean"), param("grid", "string", "log:START,STOP,STEP | lin:..."),
       param("rest_frame", "boolean", "Shift by catalog z"), param("normalize", "string", "A-B Angstrom: median flux"),
       param("normalize_band", "string", "A shipped filter"), param("mask_bits", "string", "Names or values; default: SDSS bad pixels"),
       param("format", "string", "npz | fits | csv"), ctx},
      "application/octet-stream", true);
  paths["/listSpan"]["post"] = op("{w0, w1}: min and max loglam of an ID list", {ids, ctx, prof}, "application/json", true);
  paths["/photometry"]["post"] = op("Synthetic AB photometry as CSV", {ids, param("filters", "string", "Shipped filter names, comma separated"), ctx, prof}, "text/csv", true);
  paths["/health"]["get"] = op("Stores reachable, counts", {}, "application/json", false);
  paths["/ui"]["get"] = op("The web page (docs/web.md); /ui/spectrum/<id>, /ui/stack ... are deep links into it", {}, "text/html", false);
  json file = param("file", "string", "A file of the page's folder", true);
  file["in"] = "path";
  paths["/ui/{file}"]["get"] = op("The page's static files (its scripts, styles, uPlot)", {file}, "application/octet-stream", false);
  paths["/metrics"]["get"] = op("Prometheus metrics", {}, "text/plain", false);
  paths["/shutdown"]["get"] = op("Stop the service (admin token)", {}, "text/plain", false);
  paths["/debug"]["get"] = op("Toggle debug logging (admin token)", {}, "application/json", false);
  return json{{"openapi", "3.0.3"},
              {"info", {{"title", "specmill spectroscopic data service"}, {"version", SPECMILL_VERSION}}},
              {"servers", json::array({{{"url", "/"}}, {{"url", "/spec"}}})},
              {"paths", paths},
              {"components",
               {{"schemas", {{"Error", {{"type", "object"}, {"properties", {{"error", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}},
                {"securitySchemes", {{"token", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-DL-AuthToken"}}}}}}}};
}

namespace {
const bool registered = specmill::cli::add_command(
    {"openapi", "Print the REST service's OpenAPI document (docs/openapi.json)", [](CLI::App& sub) {
       sub.callback([] { std::cout << openapi_document().dump(2) << "\n"; });
     }});
}  // namespace

}  // namespace specmill::rest
