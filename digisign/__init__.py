"""Digisign API EXT-AT 3.0.4 as a plain, typed, async Python library.

Knows nothing of Temporal. Where to look:

- `digisign.client`     `DigisignClient` and `DigisignConfig`: the seven APIs over httpx.
- `digisign.requests`   the request models; they validate with the server's rules when built.
- `digisign.fields`     the field types behind them (NIK, phone, name, photos, PDF, ...).
- `digisign.results`    what successful calls return.
- `digisign.errors`     the exception tree (drawn in its docstring).
- `digisign.catalogue`  every result code's meaning per endpoint, and the code → error table.
- `digisign.envelope`   reading Digisign's bodies defensively.
- `digisign.cipher`     the redirect `msg` cipher (AES/ECB/PKCS5, MIME base64, URL-encoded).
- `digisign.redirects`  the decrypted activation and sign redirects.
- `digisign.endpoints`  paths and timeouts.
"""
