"""Build hook for the optional compiled kernels; all other metadata lives in pyproject.toml.

``optional=True``: where no C compiler is available the build continues without the
extension and govshare uses its NumPy implementation (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "govshare.identifiers._native",
            sources=["src/govshare/identifiers/_native.c"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
