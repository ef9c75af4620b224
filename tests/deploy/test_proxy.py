"""The compose proxy's nginx.conf agrees with compose.yaml and keeps secrets out of logs.

No nginx here to run `nginx -t`: these read the file. They catch a renamed service,
a secret the proxy is not given, a moved port, and a log format that would write
Digisign's encrypted `msg` (identity data) to the access log.
"""

from __future__ import annotations

import re

from tests.deploy.support import (
    COMPOSE_DIR,
    compose,
    environment,
    interpolate,
    parse_env_file,
    secret_names,
)

NGINX = COMPOSE_DIR / "config" / "nginx.conf"


def _conf() -> str:
    # Without comments: they name things the configuration does not use.
    return re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))


def _servers(conf: str) -> dict[int, str]:
    """Each `server { ... }` block by its listening port."""
    blocks: dict[int, str] = {}
    for match in re.finditer(r"\bserver\s*\{", conf):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(conf[end], 0)
            end += 1
        block = conf[match.start() : end]
        port = re.search(r"\blisten\s+(\d+)", block)
        assert port, "a server without a listen port"
        blocks[int(port.group(1))] = block
    return blocks


def test_the_proxy_uses_the_mounted_config() -> None:
    proxy = compose()["services"]["proxy"]
    configs = {c["source"]: c["target"] for c in proxy["configs"]}
    assert compose()["configs"]["nginx_conf"]["file"] == "./config/nginx.conf"
    assert configs["nginx_conf"] == "/etc/nginx/nginx.conf"


def test_upstreams_are_the_compose_services_on_their_ports() -> None:
    services = compose()["services"]
    settings = parse_env_file(COMPOSE_DIR / "signflow.env") | environment(services["gateway"])
    gateway_port = settings["SIGNFLOW_GATEWAY_PORT"]
    servers = re.findall(r"\bserver\s+([\w.-]+):(\d+)\s+resolve;", _conf())
    assert ("gateway", gateway_port) in servers
    assert ("temporal-ui", "8080") in servers
    for host, _ in servers:
        assert host in services, f"nginx proxies to {host}, which compose does not run"


def test_every_file_nginx_reads_from_run_secrets_is_a_secret_of_the_proxy() -> None:
    mounted = set(secret_names(compose()["services"]["proxy"]))
    read = set(re.findall(r"/run/secrets/([\w.-]+)", _conf()))
    assert read == mounted, f"nginx reads {read}, compose mounts {mounted}"
    assert re.search(r"ssl_certificate\s+/run/secrets/tls_cert;", _conf())
    assert re.search(r"ssl_certificate_key\s+/run/secrets/tls_key;", _conf())


def test_public_port_serves_the_gateway_but_not_the_codec() -> None:
    servers = _servers(_conf())
    published = {
        int(interpolate(p).split(":")[-1]) for p in compose()["services"]["proxy"]["ports"]
    }
    assert published == {8443, 9443}
    public = servers[8443]
    assert "ssl" in public.split("listen", 1)[1].split(";", 1)[0]
    assert re.search(r"location /codec/\s*\{\s*return 404;", public)
    assert "proxy_pass http://signflow_gateway;" in public
    assert "auth_basic" not in public


def test_operator_port_needs_a_password_and_sends_the_codec_token_to_the_gateway() -> None:
    ops = _servers(_conf())[9443]
    assert re.search(r"auth_basic_user_file /run/secrets/ops_htpasswd;", ops)
    codec = ops[ops.index("location /codec/") :]
    codec = codec[: codec.index("}")]
    assert "proxy_pass http://signflow_gateway;" in codec
    assert "include /run/secrets/codec_proxy_auth;" in codec
    ui = compose()["services"]["temporal-ui"]["environment"]
    port = interpolate(ui["TEMPORAL_CODEC_ENDPOINT"]).split(":")[2].split("/")[0]
    assert port == "9443", "the UI must call the codec on the operator port"


def test_access_log_never_contains_query_strings() -> None:
    conf = _conf()
    formats = re.findall(r"log_format\s+\w+\s+((?:'[^']*'\s*)+);", conf)
    assert formats, "define the access log format explicitly"
    # $request and $request_uri carry the query string, as do $args, $query_string and
    # every $arg_<name>; $uri and $request_method do not.
    leaky = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+)(?![A-Za-z0-9_])")
    for fmt in formats:
        found = leaky.search(fmt)
        assert found is None, f"the access log would record {found.group(0) if found else ''}"
    for log in re.findall(r"access_log\s+([^;]+);", conf):
        assert log == "off" or log.split()[-1] in re.findall(r"log_format\s+(\w+)", conf)


def test_healthcheck_port_is_served_over_plain_http_inside_the_network() -> None:
    status = _servers(_conf())[8080]
    assert "ssl" not in status
    assert "location = /healthz" in status
    test = compose()["services"]["proxy"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8080/healthz" in test
