"""Keep TensorFlow's start-up chatter off stderr.

TensorFlow's C++ core writes lines such as "Could not find cuda drivers" and
the oneDNN banner straight to file descriptor 2 while it loads, before its
logging settings apply, so TF_CPP_MIN_LOG_LEVEL cannot stop them. In a
notebook that text appears as red stderr output, and nbgrader gives zero
points to a test cell with stderr output. We therefore point descriptor 2 at
/dev/null while (and only while) the ``tensorflow`` package is first
imported. Python exceptions raised by the import are unaffected.
"""
import contextlib
import importlib.abc
import os
import sys


@contextlib.contextmanager
def _stderr_fd_silenced():
    try:
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed or odd stderr must not break imports
        pass
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _SilentLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _stderr_fd_silenced():
            self._loader.exec_module(module)

    def __getattr__(self, name):  # resource readers etc. go to the real loader
        return getattr(self._loader, name)


class _SilentTensorFlowFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _SilentLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Install the finder once; a no-op if TensorFlow is already imported."""
    if "tensorflow" in sys.modules:
        return
    if not any(isinstance(f, _SilentTensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SilentTensorFlowFinder())
