#pragma once
// Filter response curves for synthetic photometry: speclite-style ECSV files, plain two-column
// text files, and the curves shipped with specmill (data/filters) looked up by name.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace specmill {

// A tabulated response: linear between the points, zero outside them (the speclite and SDSS
// convention). Guarantees after reading: >= 2 points, strictly increasing finite wavelengths
// (Angstrom), finite responses >= 0, not all zero.
struct filter_curve {
  std::string name;                 // what the CSV's band column shows
  std::filesystem::path source;     // the file it came from
  std::vector<double> wavelength;   // Angstrom
  std::vector<double> response;     // dimensionless (photon-counting throughput)
};

// Reads one file. The format is told by its first line: "# %ECSV" starts a speclite ECSV (YAML
// header of '#' lines, then a header row naming the columns, which must include `wavelength`
// and `response`; a declared wavelength unit of Angstrom, nm or um is honoured), anything else
// is whitespace-separated text whose first two numbers a line are wavelength (Angstrom) and
// response ('#' starts a comment; blank lines are skipped).
// `name` empty: the file's stem. Throws not_found for a missing file, io_error when it cannot
// be read, data_error naming the file (and line) when its content is malformed.
filter_curve read_filter_curve(const std::filesystem::path& file, std::string name = {});

// Where the shipped curves live: $SPECMILL_DATA_DIR/filters when the environment variable is
// set, else the source tree's data/filters (the SPECMILL_DATA_DIR compile definition).
std::filesystem::path filter_data_dir();

// `sdss2010-r` (a bare name: letters, digits, '-' and '_', no '/' or '.') is a shipped curve,
// read from filter_data_dir()/NAME.ecsv (not_found listing the shipped names when there is no
// such curve); anything else is a path.
filter_curve load_filter(std::string_view name_or_path);

// "a,b,c" -> load_filter of each, in order. invalid_argument for an empty list or item, or
// when two filters would get the same name (the CSV band column must tell them apart).
std::vector<filter_curve> load_filters(std::string_view comma_list);

// Names of the shipped curves, sorted.
std::vector<std::string> shipped_filter_names();

}  // namespace specmill
