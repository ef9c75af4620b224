"""A local Digisign (API EXT-AT 3.0.4) for development, tests, demos and load runs.

Start it with ``python -m sandbox`` (see ``sandbox/README.md``), or build the ASGI
application with `sandbox.app.create_app`. Never imported by production code.
"""
