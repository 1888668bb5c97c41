"""govshare.dp's public surface, and that importing govshare alone stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import govshare.dp as dp


def test_all_is_sorted_and_complete() -> None:
    """govshare.dp.__all__ is sorted (isort-style: constants, classes, functions) and names every
    public object defined in its modules."""
    exported = list(dp.__all__)
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    public = {
        n
        for n, v in vars(dp).items()
        if not n.startswith("_")
        and not inspect.ismodule(v)
        and getattr(v, "__module__", "").startswith("govshare.dp.")
    }
    constants = {n for n in exported if n.isupper()}
    assert public == set(exported) - constants
    assert all(isinstance(getattr(dp, n), int | float) for n in constants)


def test_importing_govshare_does_not_import_dp_or_diffprivlib() -> None:
    """`import govshare` loads neither govshare.dp nor diffprivlib (lazy capability)."""
    code = (
        "import sys, govshare; "
        "print(sorted(m for m in ('govshare.dp', 'diffprivlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_seed_parameter_on_any_public_query() -> None:
    """No public query or constructor takes a seed or random_state."""
    for cls in (dp.Query, dp.MemoryLedger, dp.StoreLedger):
        for _, member in inspect.getmembers(cls, inspect.isfunction):
            params = inspect.signature(member).parameters
            assert not {"seed", "random_state", "rng"} & set(params)
