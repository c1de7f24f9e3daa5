#pragma once
// The context (dataset name in a store's catalog) that every command, option and service uses
// when none is named: the SDSS DR16 release the project started with. The one spelling of it in
// C++; a store can hold other contexts (sdss_dr17, a DESI release) beside it.
#include <string_view>

namespace specmill {

inline constexpr std::string_view default_context = "sdss_dr16";
// The context DESI coadds go to when none is named: DESI Data Release 1.
inline constexpr std::string_view default_desi_context = "desi_dr1";

}  // namespace specmill
