#!/usr/bin/env python3
"""The interface document's examples (../shared/reference/000_582be350d504005c.txt), run as
written against a specmill service (SPECMILL_SVC_URL, default http://127.0.0.1:6998).

Departures from the document's text, each where the text itself cannot run:
  - astroquery is not needed (the document imports it but uses only astropy's SkyCoord);
  - Query example 4 needs the value-added catalog loaded into the store under the name
    'emissionlinesport' (`specmill catalog add --name emissionlinesport FILE`); the client
    drops the 'sdss_dr12.' schema prefix;
  - Data Access example 1 writes `spec = spec.getSpec(id)` inside a loop over IDs, which rebinds
    the module on the first pass: the result is named `data` here;
  - Plot example 2's `npages = np.round((len(id_list) / 25) + (25 / len(id_list))` has an
    unbalanced parenthesis and gives a float: the page count here is ceil(len / 25);
  - without IPython, display()/Image() are stand-ins that check the PNG and save it under --out.

    python3 clients/python/examples/interface_examples.py [--out DIR] [--context sdss_dr16]
"""
import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # the package in place

from astropy import coordinates as coords  # noqa: E402

from specmill import client as spec  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--out", default=None, help="directory for the PNGs shown (default: a temporary one)")
ap.add_argument("--context", default="sdss_dr16")
args = ap.parse_args()
OUT = args.out or tempfile.mkdtemp(prefix="specmill-examples-")
os.makedirs(OUT, exist_ok=True)

try:
    from IPython.display import Image, display
except ImportError:
    _shown = []

    class Image:
        """IPython.display.Image's arguments; keeps the PNG bytes."""

        def __init__(self, data, format="png", width=None, height=None, unconfined=False):
            assert format == "png" and isinstance(data, bytes) and data.startswith(b"\x89PNG"), "not a PNG"
            self.data, self.width, self.height = data, width, height

    def display(img):
        path = os.path.join(OUT, "shown-%02d.png" % len(_shown))
        with open(path, "wb") as f:
            f.write(img.data)
        _shown.append(path)
        print("  display: %s (%d bytes)" % (path, len(img.data)))


def step(title):
    print("\n== " + title)


# --- Common Interface -----------------------------------------------------------------------
step("Common interface")
client = spec.getClient(context=args.context, profile="default")
status = spec.isAlive()
print("isAlive:", status, "svc_url:", spec.get_svc_url())
assert status, "no service at %s (set SPECMILL_SVC_URL)" % spec.get_svc_url()
spec.set_context(args.context)
print("context:", spec.get_context(), "profile:", spec.get_profile())
print("contexts:", spec.list_contexts().strip().replace("\n", "; "))
print("profiles:", spec.list_profiles().strip())
print("catalogs:", spec.catalogs().strip().replace("\n", ", "))
print("client object:", client)

# --- Query Interface ------------------------------------------------------------------------
step("Query 1) by polygonal region")
region = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
id_list = spec.query(region)
print("ids:", id_list)
n_region = len(id_list)

step("Query 2) a 0.1deg cone by astropy Coord")
pos = coords.SkyCoord('0h8m05.63s +14d50m23.3s', frame='icrs')
id_list = spec.query(pos, size=0.1)
print("ids:", id_list)
n_coord = len(id_list)

step("Query 4) the DR12 Portsmouth emission line catalog, a 10deg cone, (plate, mjd, fiber)")
id_list = spec.query(0.0, 0.0, 10.0,
                     catalog='sdss_dr12.emissionlinesport',
                     fields='tuple')
print("ids:", id_list)
n_tuple = len(id_list)

step("Query 3) by position")
id_list = spec.query(0.125, 12.123, 0.1)
print("ids:", id_list)
n_position = len(id_list)
print("COUNTS region=%d coord=%d tuple=%d position=%d" % (n_region, n_coord, n_tuple, n_position))

# --- Data Access Interface ------------------------------------------------------------------
step("Data access 1) retrieve spectra individually")
id_list = spec.query(0.125, 12.123, 0.1)
for id in id_list:
    data = spec.getSpec(id)
    print("  %d: %s %s" % (id, type(data).__name__, data.shape))

step("Data access 2) retrieve spectra in bulk")
data = spec.getSpec(id_list, fmt='numpy')
print("  %d arrays of sizes %s" % (len(data), [len(d) for d in data]))

step("Data access 3) align spectra to a common wavelength grid, zero-padding on each side")
data = spec.getSpec(id_list, fmt='numpy', align=True)
print("  aligned:", data.shape, "from %.1f to %.1f A" % (10 ** data['loglam'][0, 0], 10 ** data['loglam'][0, -1]))
assert data.ndim == 2 and data.shape[0] == len(id_list)

step("Data access 4) cutout the region 6500-7200A")
data = spec.getSpec(id_list, cutout='6500-7200')
wave = 10 ** data['loglam'][0].astype(float)
print("  cutout:", data.shape, "from %.1f to %.1f A" % (wave[0], wave[-1]))
assert wave[0] >= 6499.9 and wave[-1] <= 7200.1

# --- Plot Interface -------------------------------------------------------------------------
step("Plot 1) display a preview plot of a given spectrum")
id = id_list[0]
display(Image(spec.preview(id),
              format='png', width=400, height=100, unconfined=True))

step("Plot 2) display a 5x5 grid of preview plots for a list")
npages = int(np.ceil(len(id_list) / 25))
for pg in range(npages):
    data = spec.getGridPlot(id_list, 5, 5, page=pg)
    display(Image(data, format='png',
                  width=400, height=100, unconfined=True))

step("Plot 3) display a stacked image of spectra")
display(Image(spec.stackedImage(id_list, fmt='png'),
              format='png', unconfined=True))

step("Utility methods")
npy_data = spec.getSpec(id_list[0])
try:
    df = spec.to_pandas(npy_data)
    print("  to_pandas:", type(df).__name__, df.shape)
except ImportError as e:
    print("  to_pandas:", e)
try:
    spec1d = spec.to_Spectrum1D(npy_data)
    print("  to_Spectrum1D:", type(spec1d).__name__, len(spec1d.flux))
except ImportError as e:
    print("  to_Spectrum1D:", e)
tab = spec.to_Table(npy_data)
print("  to_Table:", type(tab).__name__, len(tab))
print("\nALL EXAMPLES RAN")
