# Sourced by scripts/*: make .venv hold exactly the pinned dependencies.
# The PIP_CONSTRAINT variable reaches the isolated build environment too, so
# the build backend is pinned as well.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
export PIP_CONSTRAINT="$PWD/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]'
