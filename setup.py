"""Build the optional compiled check of clean event logs (see jobfsm/_nativecheck.py).

The project's metadata lives in pyproject.toml. Without a C compiler the
extension is skipped and jobfsm runs on Python alone.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "jobfsm._native",
            ["jobfsm/_native.c"],
            extra_compile_args=["-O2", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
