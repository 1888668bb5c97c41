"""The pandas API: pseudonymise columns of a DataFrame (or one Series) into a new object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from govshare.exceptions import InputError
from govshare.identifiers import shown, shown_all
from govshare.pseudonym._pseudonymiser import OnInvalid, Pseudonymiser

__all__ = ["pseudonymise"]


def pseudonymise(
    data: pd.DataFrame | pd.Series,
    columns: Sequence[str] | None = None,
    *,
    pseudonymiser: Pseudonymiser | Mapping[str, Pseudonymiser],
    invalid: OnInvalid = "raise",
) -> pd.DataFrame | pd.Series:
    """A copy of *data* with identifier *columns* replaced by their pseudonyms.

    The caller's object is never modified. *pseudonymiser* is one :class:`Pseudonymiser` for
    every column, or a mapping from column name to pseudonymiser (e.g. one for ``id_number``
    and one of kind ``"mobile"`` for ``phone``). For a Series, *columns* is not used.

    Raises:
        InputError: *data* is not a DataFrame or Series, a column is missing or named twice,
            *columns* is empty, a mapping lacks a column, or (with ``invalid="raise"``) a column
            holds invalid identifiers; nothing is returned then.
        KeyNotFound: the key version was retired.
    """
    if isinstance(data, pd.Series):
        return _one(pseudonymiser, data.name).pseudonymise(data, invalid=invalid)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame or Series, got {type(data).__name__}")
    names = _columns(data, columns, pseudonymiser)
    out = data.copy(deep=False)
    for name in names:
        out[name] = _one(pseudonymiser, name).pseudonymise(data[name], invalid=invalid)
    return out


def _columns(
    data: pd.DataFrame,
    columns: Sequence[str] | None,
    pseudonymiser: Pseudonymiser | Mapping[str, Pseudonymiser],
) -> list[str]:
    if columns is None:
        if not isinstance(pseudonymiser, Mapping):
            raise InputError("name the identifier columns: columns=['id_number', …]")
        columns = list(pseudonymiser)
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise InputError("columns is a list of column names")
    names = list(columns)
    if not names:
        raise InputError("columns is empty")
    if len(set(names)) != len(names):
        raise InputError("a column is named twice in columns")
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise InputError(f"the frame has no column(s) {shown_all(missing)}")
    return names


def _one(pseudonymiser: Pseudonymiser | Mapping[str, Pseudonymiser], name: object) -> Pseudonymiser:
    if isinstance(pseudonymiser, Pseudonymiser):
        return pseudonymiser
    if isinstance(pseudonymiser, Mapping):
        chosen = pseudonymiser.get(name)  # type: ignore[call-overload]
        if isinstance(chosen, Pseudonymiser):
            return chosen
        raise InputError(f"no pseudonymiser given for column {shown(name)}")
    raise InputError("pseudonymiser= is a Pseudonymiser or a mapping of column → Pseudonymiser")
