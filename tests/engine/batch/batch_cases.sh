# The cases of the batch tests (sourced by batch_mpi_test.sh): one per line, "kind name options",
# each run once as `specmill <kind>` (the reference) and as `specmill batch <kind>` under mpirun.
# Stores: $REAL (the 10 SDSS files of the shared data), $SAMPLE (600 simulated spectra in 10
# blocks, so that the 16 groups, several blocks and --memory 1's tiles all come into play).
batch_cases() {
  cat <<CASES
stack weighted SAMPLE --method weighted_mean
stack mean SAMPLE --method mean
stack median SAMPLE --method median --memory 1
stack clipped SAMPLE --method clipped_mean --sigma 2.5 --memory 1
stack median_onetile SAMPLE --method median
stack masknone SAMPLE --method weighted_mean --mask-bits none
stack grid_mean SAMPLE --method mean --grid lin:4000,8000,2
stack grid_weighted SAMPLE --method weighted_mean --grid log:3.6,3.95,2e-4
stack rest_median SAMPLE --method median --rest-frame --memory 1
stack rest_weighted SAMPLE --method weighted_mean --rest-frame
stack norm_window SAMPLE --method weighted_mean --normalize 5000-5500
stack norm_band SAMPLE --method clipped_mean --normalize-band r --memory 1
stack real_weighted REAL --method weighted_mean
stack real_median REAL --method median --memory 1
stack real_csv REAL --method clipped_mean --format csv
photometry phot SAMPLE
photometry phot_real REAL --filters sdss2010-g,sdss2010-r
CASES
}
