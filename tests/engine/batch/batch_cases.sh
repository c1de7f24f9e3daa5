# The cases of the batch tests (sourced by batch_mpi_test.sh): one per line,
# "kind group name store options" (a CTest entry runs one group, to stay short),
# each run once as `specmill <kind>` (the reference) and as `specmill batch <kind>` under mpirun.
# Stores: $REAL (the 10 SDSS files of the shared data), $SAMPLE (600 simulated spectra in 10
# blocks, so that the 16 groups, several blocks and --memory 1's tiles all come into play).
# MIXED: the real store with the list twice (once reversed) around an unknown ID.
# Outputs: stack npz (csv with --format csv), photometry csv, image png (npy: names ending _npy).
# image three_rows at -np 4 leaves rank 0 (and rank 2) without a bin.
batch_cases() {
  grep -v "^#" <<CASES
stack means weighted SAMPLE --method weighted_mean
stack means mean SAMPLE --method mean
stack robust median SAMPLE --method median --memory 1
stack robust clipped SAMPLE --method clipped_mean --sigma 2.5 --memory 1
stack robust median_onetile SAMPLE --method median
# 1.087 MiB: 235-pixel tiles (21) reserving sort buffers for 2 threads, 236 (20) for 1: a rank
# bound to one core must still cut the tiles of a process that sees the whole machine.
stack robust median_tiles SAMPLE --method median --memory 1.087
stack means masknone SAMPLE --method weighted_mean --mask-bits none
stack frames grid_mean SAMPLE --method mean --grid lin:4000,8000,2
stack frames grid_weighted SAMPLE --method weighted_mean --grid log:3.6,3.95,2e-4
stack frames rest_median SAMPLE --method median --rest-frame --memory 1
stack normalized rest_weighted SAMPLE --method weighted_mean --rest-frame
stack normalized norm_window SAMPLE --method weighted_mean --normalize 5000-5500
stack normalized norm_band SAMPLE --method clipped_mean --normalize-band r --memory 1
stack means real_weighted REAL --method weighted_mean
stack robust real_median REAL --method median --memory 1
stack normalized real_csv REAL --method clipped_mean --format csv
photometry photometry phot SAMPLE
photometry photometry phot_real REAL --filters sdss2010-g,sdss2010-r
image image zscale SAMPLE
image image full_npy SAMPLE
image image binned_npy SAMPLE --max-height 7 --max-width 300
image image_rows three_rows SAMPLE --max-height 3 --yflip --scale asinh
image image_rows normalized REAL --normalize --cmap viridis --thickness 3
image image_rows cutout_npy REAL --cutout 4000-6000 --yflip --mask-bits default
get get stored_npz SAMPLE
get get fits_cols SAMPLE --columns flux,ivar,and_mask --format fits
get get mixed_hdf5 MIXED --format hdf5
get get mixed_csv MIXED --columns flux,loglam --format csv
get get real_npy REAL --format npy
stack means mixed_weighted MIXED --method weighted_mean
photometry photometry phot_mixed MIXED
CASES
}
