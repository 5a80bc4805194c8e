"""Data sets: the synthetic customer base with known archetypes and its
psychographic survey, the CDNOW sample shipped with the package, and the UCI
Online Retail file (downloaded once, then cached)."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from . import _native
from ._base import one_of
from .exceptions import SegmintIOError
from .pipeline import _transactions_frame

__all__ = ["make_customers", "make_survey", "load_cdnow", "fetch_online_retail"]

_DATA = Path(__file__).resolve().parent / "data"
ONLINE_RETAIL_URL = "https://archive.ics.uci.edu/static/public/352/online+retail.zip"
ONLINE_RETAIL_FILE = "online_retail.csv.gz"
_ONLINE_RETAIL_COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


def make_customers(n_customers: int = 10_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A realistic synthetic customer base over two years (2024-01-01 to 2025-12-31).

    Customers are drawn from four behavioural archetypes — High-Value
    Loyalists, New & Potential Customers, Budget-Conscious Shoppers and
    At-Risk & Churned — and the true archetype of each is returned, so a
    segmentation can be checked against the truth. The same seed gives the
    same data.

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id``, ``order_id``, ``date``, ``amount`` (negative amounts
        are returns). ``transactions.attrs["as_of"]`` is the end of the window.
    customers : pandas.DataFrame
        Indexed by ``customer_id``: ``archetype``, ``age``, ``gender``,
        ``region``, ``email_opt_in``.
    """
    native = _native.make_customers(n_customers, seed)
    transactions = _transactions_frame(native["transactions"])
    as_of = pd.Timestamp(native["as_of"], unit="s")
    transactions.attrs["as_of"] = as_of
    customers = pd.DataFrame(
        {
            "archetype": native["archetype"],
            "age": native["age"],
            "gender": native["gender"],
            "region": native["region"],
            "email_opt_in": native["email_opt_in"],
        },
        index=pd.Index(native["transactions"]["customer_ids"], name="customer_id"),
    )
    return transactions, customers


def make_survey(ids: Any, seed: int = 0) -> pd.DataFrame:
    """A psychographic survey of the customers ``ids``: 16 Likert items (1–5).

    Four latent attitudes — price consciousness (``price_*``), quality
    orientation (``quality_*``), innovativeness (``innovation_*``) and
    practicality (``practical_*``), four items each — drive four attitudinal
    archetypes: Value Seekers, Quality Enthusiasts, Innovators and Practical
    Pragmatists. Returns the answers indexed by customer id, with the true
    archetype in the column ``attitude``. The same seed gives the same answers.
    """
    ids = [str(i) for i in ids]
    native = _native.make_survey(ids, seed)
    frame = pd.DataFrame(native["answers"], columns=native["items"], index=pd.Index(ids, name="customer_id"))
    frame["attitude"] = native["attitude"]
    return frame


def load_cdnow(kind: str = "transactions") -> pd.DataFrame:
    """The CDNOW sample of Fader, Hardie & Lee (2005), shipped with segmint.

    2,357 customers who made their first purchase at the CD retailer CDNOW in
    the first quarter of 1997, followed until 1998-06-30 (a 1/10 sample of
    the cohort; Bruce Hardie's data, via the lifetimes package — see
    ``segmint/data/README.md`` for provenance; no explicit licence, distributed
    for research and teaching).

    Parameters
    ----------
    kind : {"transactions", "summary"}
        ``"transactions"``: the transaction log, one row per customer and day
        with ``customer_id`` (the sample id, 1..2357), ``date``,
        ``quantity`` (CDs) and ``amount`` (US dollars); ``attrs["as_of"]`` is
        1998-06-30. ``"summary"``: the papers' 39-week calibration summary
        (1997-01-01 to 1997-09-30, in weeks), indexed by ``customer_id`` with
        ``frequency`` (repeat purchases, Hardie's x), ``recency`` (t_x), ``T``
        and ``monetary_value`` (mean repeat-purchase value, zbar).

    Returns
    -------
    pandas.DataFrame
    """
    if one_of(kind, "kind", ("transactions", "summary")) == "transactions":
        return _cdnow_transactions()
    return _cdnow_summary()


def _cdnow_transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        _DATA / "cdnow_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={"master_id": str, "customer_id": "int64", "date": str, "quantity": "int64", "amount": "float64"},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    frame = raw[["customer_id", "date", "quantity", "amount"]]
    frame.attrs["as_of"] = pd.Timestamp("1998-06-30")
    return frame


def _cdnow_summary() -> pd.DataFrame:
    raw = pd.read_csv(_DATA / "cdnow_summary.csv")
    names = {"ID": "customer_id", "x": "frequency", "t_x": "recency", "T": "T", "zbar": "monetary_value"}
    return raw.rename(columns=names).set_index("customer_id")


def fetch_online_retail(
    data_home: str | os.PathLike[str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> pd.DataFrame:
    """The UCI "Online Retail" transactions (Chen, Sain & Guo 2012; CC BY 4.0).

    541,909 invoice lines of a UK online retailer, 2010-12-01 to 2011-12-09.
    The file is looked for, in order, at ``path``; in ``data_home`` (default
    ``$SEGMINT_DATA`` when set, else ``~/segmint_data``), as
    ``online_retail.csv.gz`` directly or in an ``online_retail/`` folder; and
    otherwise downloaded once from the UCI repository (needs openpyxl to read
    the spreadsheet) and cached in ``data_home`` as ``online_retail.csv.gz``.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder of the cached file.
    path : str or path-like, optional
        A local copy (CSV, optionally gzipped, with the UCI column names).
    download : bool, default=True
        When False, never go online: a missing file is an error.

    Returns
    -------
    pandas.DataFrame
        ``InvoiceNo``, ``StockCode``, ``Description``, ``Quantity``,
        ``InvoiceDate`` (datetime), ``UnitPrice``, ``CustomerID`` (nullable
        integer: 135,080 lines have none), ``Country``. Invoices starting
        with "C" are cancellations (negative quantities).
    """
    if path is not None:
        return _read_online_retail(Path(path))
    home = _data_home(data_home)
    for candidate in (home / ONLINE_RETAIL_FILE, home / "online_retail" / ONLINE_RETAIL_FILE):
        if candidate.exists():
            return _read_online_retail(candidate)
    if not download:
        raise SegmintIOError(
            f"no {ONLINE_RETAIL_FILE} in {home} and download=False; pass path= or set SEGMINT_DATA"
        )
    return _read_online_retail(_download_online_retail(home))


def _data_home(data_home: str | os.PathLike[str] | None) -> Path:
    if data_home is not None:
        return Path(data_home).expanduser()
    return Path(os.environ.get("SEGMINT_DATA", Path.home() / "segmint_data")).expanduser()


def _read_online_retail(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            usecols=_ONLINE_RETAIL_COLUMNS,
            dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str, "CustomerID": "Int64"},
            parse_dates=["InvoiceDate"],
        )
    except FileNotFoundError:
        raise SegmintIOError(f"cannot read the Online Retail file {path}: no such file") from None
    except ValueError as exc:  # pandas names the columns that are missing, or the value it cannot read
        raise SegmintIOError(f"{path} is not the Online Retail CSV ({exc})") from None
    return frame[_ONLINE_RETAIL_COLUMNS]


def _download_online_retail(home: Path, url: str = ONLINE_RETAIL_URL) -> Path:
    """Download the UCI zip, convert its spreadsheet to ``online_retail.csv.gz`` in ``home``."""
    try:
        import openpyxl  # noqa: F401  # pandas reads .xlsx with it
    except ImportError:
        raise SegmintIOError(
            "reading the UCI spreadsheet needs openpyxl (pip install openpyxl); "
            "or pass path= to a local copy of online_retail.csv.gz"
        ) from None
    target = home / ONLINE_RETAIL_FILE
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "online_retail.zip"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(archive, "wb") as out:
                shutil.copyfileobj(response, out)
            with zipfile.ZipFile(archive) as bundle:
                sheet = next(n for n in bundle.namelist() if n.lower().endswith(".xlsx"))
                frame = pd.read_excel(bundle.open(sheet), dtype={"InvoiceNo": str, "StockCode": str})
        except (OSError, zipfile.BadZipFile, StopIteration) as exc:
            raise SegmintIOError(
                f"cannot download the Online Retail data from {url} ({exc}); "
                "pass path= to a local copy or set SEGMINT_DATA to its folder"
            ) from None
        home.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        frame["CustomerID"] = frame["CustomerID"].astype("Int64")
        frame.to_csv(partial, index=False, date_format="%Y-%m-%d %H:%M:%S", compression="gzip")
        partial.replace(target)
    return target
