# SPDX-License-Identifier: MIT
"""Builds kipc's wheel: the package, libipc (lib/*.c) as kipc/libipc.so.0
and the extension kipc._speedups.

The extension links no libipc of its own: kipc/_lib.py loads the bundled
kipc/libipc.so.0 with ctypes and hands the extension its function
addresses (bind()), so a process holds exactly one copy of libipc.

KIPC_SYSTEM_LIBIPC=1 in the environment builds the package and the
extension without libipc: kipc then loads the system's libipc.so.0
(Debian's python3-kipc, which depends on libipc0, is built so).

The C sources live outside python/ (lib/, include/, tools/version of the
repository). From the git tree they are read there; `setup.py sdist`
copies them into python/_csrc/ so that an unpacked sdist builds alone.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
CSRC = "_csrc"
# What the build needs from the repository, copied into an sdist.
CSRC_PARTS = ("lib", "include", "tools/version")


def source_root() -> Path:
    """The folder holding lib/, include/ and tools/version."""
    if (HERE / CSRC / "lib").is_dir():
        return HERE / CSRC
    if (HERE.parent / "lib").is_dir():
        return HERE.parent
    raise SystemExit("kipc: no C sources (lib/, include/) beside python/ "
                     "nor in " + CSRC + "/")


ROOT = source_root()


def version() -> str:
    out = subprocess.run(["sh", str(ROOT / "tools" / "version")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    if not out:
        raise SystemExit("kipc: tools/version printed nothing")
    return out


def rel(p: Path) -> str:
    # setuptools wants source paths relative to setup.py.
    return os.path.relpath(p, HERE)


INCLUDES = [rel(ROOT / "include"), rel(ROOT / "include" / "uapi")]
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra"]
# Leave libipc out: the system's (e.g. Debian's libipc0) is used instead.
SYSTEM_LIBIPC = os.environ.get("KIPC_SYSTEM_LIBIPC", "") not in ("", "0")


class BuildExt(build_ext):
    """build_ext that also builds libipc.so.0 into the package (unless
    KIPC_SYSTEM_LIBIPC is set)."""

    def run(self):
        super().run()
        if not SYSTEM_LIBIPC:
            self.build_libipc()

    def build_libipc(self):
        srcs = sorted(rel(p) for p in (ROOT / "lib").glob("*.c"))
        objs = self.compiler.compile(
            srcs, output_dir=self.build_temp, include_dirs=INCLUDES,
            extra_preargs=CFLAGS + ["-fPIC", "-fvisibility=default"])
        if self.inplace:
            dest = HERE / "kipc"
        else:
            dest = Path(self.build_lib) / "kipc"
        dest.mkdir(parents=True, exist_ok=True)
        mapfile = ROOT / "lib" / "libipc.map"
        # Linked as a plain shared object, not against the interpreter.
        self.compiler.link_shared_object(
            objs, str(dest / "libipc.so.0"),
            extra_postargs=["-Wl,-soname,libipc.so.0",
                            "-Wl,--version-script=" + str(mapfile),
                            "-Wl,--no-undefined"])

    def get_outputs(self):
        if SYSTEM_LIBIPC:
            return super().get_outputs()
        return super().get_outputs() + [
            os.path.join(self.build_lib, "kipc", "libipc.so.0")]


class Sdist(sdist):
    """sdist that carries the C sources from outside python/."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        dst = Path(base_dir) / CSRC
        for part in CSRC_PARTS:
            src = ROOT / part
            if src.is_dir():
                shutil.copytree(src, dst / part, dirs_exist_ok=True)
            else:
                (dst / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst / part)


setup(
    version=version(),
    ext_modules=[Extension(
        "kipc._speedups", ["kipc/_speedups.c"], include_dirs=INCLUDES,
        extra_compile_args=CFLAGS + ["-fvisibility=hidden"])],
    cmdclass={"build_ext": BuildExt, "sdist": Sdist},
)
