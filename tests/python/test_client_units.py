"""specmill.units.convert_flux_units against values worked out by hand (test_client_objects.py
checks it against astropy). c = 2.99792458e18 A/s; 1 nanomaggy = 3.631 uJy = 3.631e-29 cgs."""
import numpy as np
import pytest

from client_fixture import CLIENT_DIR  # noqa: F401 (puts clients/python on sys.path)

from specmill.units import convert_flux_units


def test_hand_derived_values():
    # 1 nanomaggy at 5000 A: f_lambda = 3.631e-29 * 2.99792458e18 / 5000^2 = 4.35418...e-18 cgs
    # = 0.435418... in SDSS units (1e-17 erg/s/cm^2/A).
    want = 3.631e-29 * 2.99792458e18 / 25e6 / 1e-17
    assert want == pytest.approx(0.4354183, rel=1e-6)
    assert convert_flux_units(1.0, 5000.0, "nanomaggies", "sdss") == pytest.approx(want, rel=1e-14)
    # 1 SDSS unit at 10000 A in uJy: 1e-17 * 1e8 / 2.99792458e18 erg/s/cm^2/Hz = 3.33564e-28 = 33.3564 uJy
    assert convert_flux_units(1.0, 10000.0, "sdss", "uJy") == pytest.approx(1e-9 / 2.99792458e18 * 1e29 * 1e0, rel=1e-14)
    assert convert_flux_units(1.0, 10000.0, "sdss", "uJy") == pytest.approx(33.35641, rel=1e-6)
    # same family: no wavelength needed; 1 Jy = 1e6 uJy = 1e6/3.631 nanomaggies (275406.2)
    assert convert_flux_units(1.0, None, "Jy", "uJy") == pytest.approx(1e6, rel=1e-15)
    assert convert_flux_units(1.0, None, "Jy", "nanomaggies") == pytest.approx(1e6 / 3.631, rel=1e-15)
    # 1 W/m^2/nm = 1e7 erg/s / 1e4 cm^2 / 10 A = 100 erg/s/cm^2/A
    assert convert_flux_units(1.0, None, "W/m2/nm", "erg/s/cm2/A") == pytest.approx(100.0, rel=1e-15)
    # arrays keep their shape; f_nu -> f_lambda -> f_nu is the identity
    lam = np.array([[4000.0, 6000.0], [8000.0, 9000.0]])
    f = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = convert_flux_units(f, lam, "uJy", "sdss")
    assert got.shape == (2, 2)
    assert got[0, 1] == pytest.approx(2.0 * 1e-29 * 2.99792458e18 / 36e6 / 1e-17, rel=1e-14)
    np.testing.assert_allclose(convert_flux_units(got, lam, "sdss", "uJy"), f, rtol=1e-14)
