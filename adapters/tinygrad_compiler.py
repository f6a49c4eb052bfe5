"""Which C compiler tinygrad's CPU device uses, and a way to have one from the package registry.

tinygrad's ``CPU`` device compiles every kernel (and, when the device opens, its own worker
programs) by running ``$CC -c -x c ... --target=<arch>-none-unknown-elf`` (``CC`` defaults to
``clang``; gcc does not take those flags). A machine without clang would leave tinygrad its
``PYTHON`` emulator only. The ``tinygrad`` extra therefore installs ``ziglang`` from PyPI: the
Zig toolchain, whose ``zig cc`` is clang itself. ``zig cc`` names a freestanding target its
own way (``x86_64-freestanding-none``), so this module writes a two-line shell wrapper that
translates tinygrad's ``--target`` and hands everything else to ``zig cc`` unchanged, and
points ``CC`` at it.

The order: ``CC`` when the user set it, then ``zig cc`` (the compiler the README's install
gives every machine, so every machine compiles tinygrad's kernels with the same clang), then
a ``clang`` on the PATH. Nothing here imports tinygrad or runs a compiler: the adapter calls
``choose()`` before it imports tinygrad.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path

__all__ = ["CompilerChoice", "choose", "zig_executable", "zig_wrapper"]

# tinygrad's --target names an architecture zig spells differently in one case (arm64).
_WRAPPER = """#!/bin/sh
# Written by gradparity (adapters/tinygrad_compiler.py): tinygrad's CPU device passes clang's
# --target=<arch>-none-unknown-elf; zig cc (clang) spells that target <arch>-freestanding-none.
# zig keeps a cache folder, found from HOME unless named: name one that always exists.
: "${{ZIG_GLOBAL_CACHE_DIR:={cache}}}"
export ZIG_GLOBAL_CACHE_DIR
for a do
  shift
  case "$a" in
    --target=arm64-none-unknown-elf) set -- "$@" -target aarch64-freestanding-none ;;
    --target=*-none-unknown-elf)
      t=${{a#--target=}}; set -- "$@" -target "${{t%-none-unknown-elf}}-freestanding-none" ;;
    *) set -- "$@" "$a" ;;
  esac
done
exec '{zig}' cc -g0 "$@"
"""


@dataclass(frozen=True)
class CompilerChoice:
    """The compiler tinygrad's CPU device gets: ``cc`` (the value for ``CC``, or None when
    there is none and the adapter falls back to the PYTHON device) and ``why``, in words."""

    cc: str | None
    why: str


def zig_executable() -> str | None:
    """The ``zig`` binary of the installed ``ziglang`` package, without importing it (its
    ``__main__`` execs zig on import)."""
    spec = importlib_util.find_spec("ziglang")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "zig"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def zig_wrapper(zig: str) -> str:
    """Write (once per zig binary; atomically, for parallel test workers) the wrapper script
    that makes ``zig cc`` take tinygrad's arguments, and return its path."""
    user = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"gradparity-{user}"
    folder.mkdir(parents=True, exist_ok=True)
    text = _WRAPPER.format(zig=zig.replace("'", "'\\''"), cache=folder / "zig-cache")
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = folder / f"zig-cc-{digest}"
    if not path.is_file():
        fd, scratch = tempfile.mkstemp(dir=folder, prefix=".zig-cc-")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(scratch, 0o755)
        os.replace(scratch, path)
    return str(path)


def choose() -> CompilerChoice:
    """The C compiler for tinygrad's CPU device (see the module's docstring for the order)."""
    named = os.environ.get("CC", "").strip()
    if named:
        found = shutil.which(named)
        if found:
            return CompilerChoice(named, f"kernels compiled by CC={found}")
        return CompilerChoice(None, f"CC={named} is not an executable on the PATH: tinygrad's "
                                    f"Python emulator (unset CC, or point it at clang)")
    zig = zig_executable()
    if zig is not None:
        return CompilerChoice(zig_wrapper(zig),
                              f"kernels compiled by zig cc (clang, from PyPI's ziglang: {zig})")
    clang = shutil.which("clang")
    if clang:
        return CompilerChoice(clang, f"kernels compiled by {clang}")
    return CompilerChoice(None, "no C compiler for tinygrad's CPU device: tinygrad's Python "
                                "emulator (pip install ziglang, or install clang)")
