"""SDSS bit flags as Python flag types: the pixel mask (SPPIXMASK, the and_mask / or_mask
columns) and the redshift warnings (ZWARNING, the catalog's zwarning column).

    from specmill import flags
    bad = flags.PixelMask.NOPLUG | flags.PixelMask.BRIGHTSKY
    flags.decode_flags(spectrum["and_mask"][100])      # ['NOSKY', 'BRIGHTSKY']
    flags.encode_flags(["SKY", "NODATA"], flags.ZWarning)
    client.stack(ids, mask_bits=flags.DEFAULT_BAD_PIXELS | flags.PixelMask.BRIGHTSKY)

Both types are `enum.IntFlag`: `|`, `&`, `~` and comparisons with plain integers work, and a flag
value can be passed wherever the service takes mask bits (it is sent as its integer value).
The bits are those of idlutils' data/sdss/sdssMaskbits.par, the same table the engine uses
(core/mask_bits.cpp); DEFAULT_BAD_PIXELS is the engine's default for stacks and for the
Spectrum1D mask (core/mask_bits.hpp default_stack_mask_bits)."""
import enum

__all__ = ["PixelMask", "ZWarning", "DEFAULT_BAD_PIXELS", "decode_flags", "encode_flags", "list_flags", "zwarning_has"]

# name, bit, description: SPPIXMASK (bits 13-15 are unused)
_PIXEL_BITS = (
    ("NOPLUG", 0, "fiber not listed in plugmap file"),
    ("BADTRACE", 1, "bad trace"),
    ("BADFLAT", 2, "low counts in fiberflat"),
    ("BADARC", 3, "bad arc solution"),
    ("MANYBADCOLUMNS", 4, "more than 10% of pixels are bad columns"),
    ("MANYREJECTED", 5, "more than 10% of pixels rejected in extraction"),
    ("LARGESHIFT", 6, "large spatial shift between flat and object position"),
    ("BADSKYFIBER", 7, "sky fiber shows extreme residuals"),
    ("NEARWHOPPER", 8, "within 2 fibers of a whopping fiber"),
    ("WHOPPER", 9, "whopping fiber, with a very bright source"),
    ("SMEARIMAGE", 10, "smear available for red and blue cameras"),
    ("SMEARHIGHSN", 11, "S/N sufficient for full smear fit"),
    ("SMEARMEDSN", 12, "S/N only sufficient for scaled median fit"),
    ("NEARBADPIXEL", 16, "bad pixel within 3 pixels of trace"),
    ("LOWFLAT", 17, "flat field less than 0.5"),
    ("FULLREJECT", 18, "pixel fully rejected in extraction (ivar 0)"),
    ("PARTIALREJECT", 19, "some pixels rejected in extraction"),
    ("SCATTEREDLIGHT", 20, "scattered light significant"),
    ("CROSSTALK", 21, "cross-talk significant"),
    ("NOSKY", 22, "sky level unknown at this wavelength (ivar 0)"),
    ("BRIGHTSKY", 23, "sky level > flux + 10 sigma and > 1.25 x the local median sky"),
    ("NODATA", 24, "no data in the combine B-spline (ivar 0)"),
    ("COMBINEREJ", 25, "rejected in combine B-spline"),
    ("BADFLUXFACTOR", 26, "low flux-calibration or flux-correction factor"),
    ("BADSKYCHI", 27, "relative chi^2 > 3 in sky residuals at this wavelength"),
    ("REDMONSTER", 28, "contiguous region of bad chi^2 in sky residuals"),
)

# name, bit, description: ZWARNING (spectro1d / idlspec2d)
_ZWARNING_BITS = (
    ("SKY", 0, "sky fiber"),
    ("LITTLE_COVERAGE", 1, "too little wavelength coverage (WCOVERAGE < 0.18)"),
    ("SMALL_DELTA_CHI2", 2, "chi^2 of the best fit too close to that of the second best (< 0.01 in reduced chi^2)"),
    ("NEGATIVE_MODEL", 3, "synthetic spectrum is negative (only set for stars and QSOs)"),
    ("MANY_OUTLIERS", 4, "fraction of points more than 5 sigma away from the best model is too large (> 0.05)"),
    ("Z_FITLIMIT", 5, "chi^2 minimum at the edge of the redshift fitting range"),
    ("NEGATIVE_EMISSION", 6, "a QSO line exhibits negative emission, triggered only in QSO spectra"),
    ("UNPLUGGED", 7, "the fiber was unplugged or broken, so no spectrum was obtained"),
    ("BAD_TARGET", 8, "catastrophically bad targeting data (e.g. bad astrometry)"),
    ("NODATA", 9, "no data for this fiber, e.g. because the spectrograph was broken"),
)

PixelMask = enum.IntFlag("PixelMask", [(n, 1 << b) for n, b, _ in _PIXEL_BITS], module=__name__)
PixelMask.__doc__ = "SDSS SPPIXMASK bits (the and_mask and or_mask columns of a spectrum)."
ZWarning = enum.IntFlag("ZWarning", [(n, 1 << b) for n, b, _ in _ZWARNING_BITS], module=__name__)
ZWarning.__doc__ = "SDSS ZWARNING bits (the catalog's zwarning column); 0 means no warning."

_DESCRIPTIONS = {PixelMask: {n: d for n, _, d in _PIXEL_BITS}, ZWarning: {n: d for n, _, d in _ZWARNING_BITS}}

# The engine's default bad-pixel bits for stacks and the Spectrum1D mask
# (core/mask_bits.hpp default_stack_mask_bits): the pixel is unusable, not merely flagged.
DEFAULT_BAD_PIXELS = (PixelMask.NOPLUG | PixelMask.BADTRACE | PixelMask.BADFLAT | PixelMask.BADARC
                      | PixelMask.MANYREJECTED | PixelMask.LARGESHIFT | PixelMask.WHOPPER | PixelMask.FULLREJECT
                      | PixelMask.NOSKY | PixelMask.BRIGHTSKY | PixelMask.NODATA | PixelMask.COMBINEREJ
                      | PixelMask.BADFLUXFACTOR)


def _kind(kind):
    if isinstance(kind, str):
        k = {"pixelmask": PixelMask, "sppixmask": PixelMask, "mask": PixelMask,
             "zwarning": ZWarning, "zwarn": ZWarning}.get(kind.lower())
        if k is None:
            raise ValueError("unknown flag kind %r (PixelMask or ZWarning)" % (kind,))
        return k
    if kind not in _DESCRIPTIONS:
        raise ValueError("unknown flag kind %r (PixelMask or ZWarning)" % (kind,))
    return kind


def decode_flags(value, kind=PixelMask):
    """The names of the bits set in `value` (an int, a numpy integer or a flag), lowest bit first.
    A bit the table does not name raises ValueError (a corrupt value, not a silent drop)."""
    kind = _kind(kind)
    v = int(value)
    if v < 0:
        v &= 0xFFFFFFFF  # a 32-bit mask read as a signed int
    names = [m.name for m in kind if v & m.value]
    rest = v & ~sum(m.value for m in kind)
    if rest:
        raise ValueError("%s: bits 0x%x of %d are not %s bits" % (kind.__name__, rest, int(value), kind.__name__))
    return names


def encode_flags(names, kind=PixelMask):
    """The flag value of a list of bit names (case-insensitive), or of one 'A|B' / 'A,B' string."""
    kind = _kind(kind)
    if isinstance(names, str):
        names = [n for n in names.replace("|", ",").split(",") if n.strip()]
    out = kind(0)
    for n in names:
        if isinstance(n, kind):
            out |= n
            continue
        key = str(n).strip().upper()
        if key not in kind.__members__:
            raise ValueError("unknown %s bit %r (list_flags(%s) names them)" % (kind.__name__, n, kind.__name__))
        out |= kind[key]
    return out


def list_flags(kind=PixelMask):
    """[(name, bit, description)] of a flag type, lowest bit first."""
    kind = _kind(kind)
    return [(m.name, m.value.bit_length() - 1, _DESCRIPTIONS[kind][m.name]) for m in kind]


def zwarning_has(flags):
    """A query constraint term true for rows whose zwarning has any of `flags` (a ZWarning value,
    a name, or names joined by '|' or ','): zwarning_has('SMALL_DELTA_CHI2') is
    "zwarning_has(zwarning, 'SMALL_DELTA_CHI2')", evaluated by the service's SQL function of that
    name (engine/query). Combine with SQL: "NOT " + zwarning_has(...), "... AND z > 0.1"."""
    if isinstance(flags, (int, ZWarning)) and not isinstance(flags, bool):
        names = [f.name for f in ZWarning if f & int(flags)]
        if not names:
            raise ValueError("no ZWARNING bit in %r" % (flags,))
    else:
        names = [n.strip().upper() for n in str(flags).replace(",", "|").split("|")]
        unknown = [n for n in names if n not in ZWarning.__members__]
        if unknown:
            raise ValueError("unknown ZWARNING name(s): %s" % ", ".join(unknown))
    return "zwarning_has(zwarning, '%s')" % "|".join(names)
