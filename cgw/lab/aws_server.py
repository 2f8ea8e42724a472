"""The lab AWS: moto in server mode (real HTTP on 127.0.0.1), extended so VPN connections look real.

moto 5.2 returns empty TunnelOptions/VgwTelemetry and one hard-coded tunnel twice. At server start
`install()` swaps in `LabVpnConnection` and adds the missing EC2 actions (ModifyVpnTunnelOptions,
Create/DeleteVpnConnectionRoute); site-packages is never edited. Lab-only hooks (tunnel status,
throttling, PSK storage) are Python functions and, for other processes, JSON POSTs under /_cgw_lab/.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any, ClassVar

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import InvalidParameterValue, InvalidVpnConnectionIdError
from moto.ec2.models import vpn_connections as moto_vpn_connections
from moto.ec2.responses.vpn_connections import VPNConnections
from moto.ec2.utils import add_tag_specification
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from cgw.lab.aws_tunnels import (
    LabTunnel,
    TunnelOptionError,
    XmlContext,
    allocate_outside_ip,
    check_inside_cidr,
    check_psk,
    generate_psk,
    normalise_options,
    random_inside_cidr,
    render_customer_gateway_configuration,
)

LAB_REGION = "us-east-1"
LAB_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": LAB_REGION,
}
HOOK_PREFIX = "/_cgw_lab/"

_LOCK = threading.RLock()
_VPNS: dict[str, LabVpnConnection] = {}


class LabVpnConnection(moto_vpn_connections.VPNConnection):
    """A moto VPN connection with two real-looking tunnels, telemetry and static routes."""

    class Meta:
        # moto's serializer reads these attributes for the response members.
        serialization_aliases: ClassVar[dict[str, str]] = {
            "Options": "lab_options",
            "VgwTelemetry": "lab_telemetry",
            "Routes": "lab_routes",
            "PreSharedKeyArn": "pre_shared_key_arn",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lab_tunnels: list[LabTunnel] = []
        self.static_routes_only = False
        self.outside_ip_address_type = "PublicIpv4"
        self.lab_routes: list[dict[str, str]] = []
        self.pre_shared_key_arn: str | None = None
        self.xml_reversed = False
        self.category = "VPN"
        super().__init__(*args, **kwargs)
        with _LOCK:
            _VPNS[self.id] = self

    @property
    def lab_options(self) -> dict[str, Any]:
        return {
            "EnableAcceleration": False,
            "StaticRoutesOnly": self.static_routes_only,
            "LocalIpv4NetworkCidr": "0.0.0.0/0",
            "RemoteIpv4NetworkCidr": "0.0.0.0/0",
            "OutsideIpAddressType": self.outside_ip_address_type,
            "TunnelInsideIpVersion": "ipv4",
            "TunnelOptions": [
                t.tunnel_option(show_psk=self.pre_shared_key_arn is None) for t in self.lab_tunnels
            ],
        }

    @property
    def lab_telemetry(self) -> list[dict[str, Any]]:
        return [t.telemetry() for t in self.lab_tunnels]

    @property
    def customer_gateway_configuration(self) -> str:
        backend = self.ec2_backend
        customer_gateway = backend.get_customer_gateway(self.customer_gateway_id)
        context = XmlContext(
            vpn_id=self.id,
            customer_gateway_id=self.customer_gateway_id,
            gateway_element="transit_gateway_id" if self.transit_gateway_id else "vpn_gateway_id",
            gateway_id=self.transit_gateway_id or self.vpn_gateway_id or "",
            customer_gateway_ip=customer_gateway.ip_address,
            cgw_asn=int(customer_gateway.bgp_asn or 65000),
            amazon_asn=self._amazon_side_asn(),
            bgp=not self.static_routes_only,
            show_psk=self.pre_shared_key_arn is None,
        )
        tunnels = list(reversed(self.lab_tunnels)) if self.xml_reversed else self.lab_tunnels
        return render_customer_gateway_configuration(context, tunnels)

    def _amazon_side_asn(self) -> int:
        backend = self.ec2_backend
        if self.transit_gateway_id:
            options = backend.transit_gateways[self.transit_gateway_id].options
            return int(options.get("AmazonSideAsn") or 64512)
        gateway = backend.get_vpn_gateway(self.vpn_gateway_id)
        return int(gateway.amazon_side_asn or 64512)

    def tunnel(self, outside_ip: str) -> LabTunnel:
        for tunnel in self.lab_tunnels:
            if ip_address(tunnel.outside_ip) == ip_address(outside_ip):
                return tunnel
        raise InvalidParameterValue(
            f"The VPN tunnel outside IP address {outside_ip} does not belong to {self.id}."
        )

    def modify_tunnel(self, tunnel: LabTunnel, spec: Mapping[str, Any]) -> None:
        """Apply ModifyVpnTunnelOptions to one tunnel; like AWS, the tunnel restarts (DOWN)."""
        changes = normalise_options(spec)
        merged = {**tunnel.options, **changes}
        normalise_options(_request_words(merged))
        others = [t.inside_cidr for t in self.lab_tunnels if t is not tunnel]
        cidr = tunnel.inside_cidr
        if spec.get("TunnelInsideCidr"):
            cidr = check_inside_cidr(spec["TunnelInsideCidr"])
            if cidr in others:
                raise TunnelOptionError(f"The tunnel inside CIDR {cidr} is already in use.")
        psk = check_psk(spec["PreSharedKey"]) if spec.get("PreSharedKey") else tunnel.psk
        tunnel.options, tunnel.inside_cidr, tunnel.psk = merged, cidr, psk
        tunnel.set_status("DOWN")


def _request_words(options: Mapping[str, Any]) -> dict[str, Any]:
    renamed = {"DpdTimeoutSeconds": "DPDTimeoutSeconds", "DpdTimeoutAction": "DPDTimeoutAction"}
    return {
        renamed.get(k, "IKEVersions" if k == "IkeVersions" else k): v for k, v in options.items()
    }


def _live_vpns(backend: Any) -> list[LabVpnConnection]:
    return [
        vpn
        for vpn in backend.vpn_connections.values()
        if isinstance(vpn, LabVpnConnection) and vpn.state not in ("deleted", "deleting")
    ]


def build_lab_tunnels(
    backend: Any, specs: list[Mapping[str, Any]], outside_type: str, gateway_id: str
) -> list[LabTunnel]:
    """Two tunnels as AWS allocates them, honouring the TunnelOptions given at creation.

    Outside IPs are unique in the lab; inside CIDRs are unique per VGW/TGW, as AWS requires.
    """
    if len(specs) > 2:
        raise TunnelOptionError("A VPN connection has at most two TunnelOptions.")
    specs = [*specs, *([{}] * (2 - len(specs)))]
    live = _live_vpns(backend)
    used_outside = [t.outside_ip for vpn in live for t in vpn.lab_tunnels]
    used_inside = [
        t.inside_cidr
        for vpn in live
        if (vpn.transit_gateway_id or vpn.vpn_gateway_id) == gateway_id
        for t in vpn.lab_tunnels
    ]
    tunnels = []
    for spec in specs:
        options = normalise_options(spec)
        if spec.get("TunnelInsideCidr"):
            cidr = check_inside_cidr(spec["TunnelInsideCidr"])
            if cidr in used_inside:
                raise TunnelOptionError(f"The tunnel inside CIDR {cidr} is already in use.")
        else:
            cidr = random_inside_cidr(used_inside)
        psk = check_psk(spec["PreSharedKey"]) if spec.get("PreSharedKey") else generate_psk()
        outside = allocate_outside_ip(outside_type, used_outside)
        used_outside.append(outside)
        used_inside.append(cidr)
        tunnels.append(LabTunnel(outside_ip=outside, inside_cidr=cidr, psk=psk, options=options))
    return tunnels


# --------------------------------------------------------------------------- EC2 actions


def _create_vpn_connection(self: Any) -> ActionResult:
    """CreateVpnConnection with Options (TunnelOptions, StaticRoutesOnly, OutsideIpAddressType)."""
    options = self._get_param("Options") or {}
    cgw_id = self._get_param("CustomerGatewayId")
    vgw_id = self._get_param("VpnGatewayId")
    tgw_id = self._get_param("TransitGatewayId")
    backend = self.ec2_backend
    if vgw_id:
        backend.get_vpn_gateway(vgw_id)
    outside_type = options.get("OutsideIpAddressType") or "PublicIpv4"
    with _LOCK:
        try:
            tunnels = build_lab_tunnels(
                backend, list(options.get("TunnelOptions") or []), outside_type, tgw_id or vgw_id
            )
        except TunnelOptionError as error:
            raise InvalidParameterValue(str(error)) from None
        vpn = backend.create_vpn_connection(
            self._get_param("Type"),
            cgw_id,
            vpn_gateway_id=vgw_id,
            transit_gateway_id=tgw_id,
            tags=add_tag_specification(self._get_param("TagSpecifications", [])),
        )
        vpn.lab_tunnels = tunnels
    vpn.static_routes_only = bool(options.get("StaticRoutesOnly"))
    vpn.outside_ip_address_type = outside_type
    if tgw_id:
        backend.create_transit_gateway_vpn_attachment(vpn_id=vpn.id, transit_gateway_id=tgw_id)
    if self._get_param("PreSharedKeyStorage") == "SecretsManager":
        _store_psks_in_secrets_manager(vpn)
    return ActionResult({"VpnConnection": vpn})


def _modify_vpn_tunnel_options(self: Any) -> ActionResult:
    vpn = _backend_vpn(self.ec2_backend, self._get_param("VpnConnectionId"))
    tunnel = vpn.tunnel(self._get_param("VpnTunnelOutsideIpAddress") or "")
    with _LOCK:
        try:
            vpn.modify_tunnel(tunnel, self._get_param("TunnelOptions") or {})
        except TunnelOptionError as error:
            raise InvalidParameterValue(str(error)) from None
    return ActionResult({"VpnConnection": vpn})


def _create_vpn_connection_route(self: Any) -> EmptyResult:
    vpn = _backend_vpn(self.ec2_backend, self._get_param("VpnConnectionId"))
    cidr = self._get_param("DestinationCidrBlock")
    if not vpn.static_routes_only:
        raise InvalidParameterValue(f"{vpn.id} is not a static-routes-only VPN connection.")
    if all(r["DestinationCidrBlock"] != cidr for r in vpn.lab_routes):
        vpn.lab_routes.append(
            {"DestinationCidrBlock": cidr, "Source": "Static", "State": "available"}
        )
    return EmptyResult()


def _delete_vpn_connection_route(self: Any) -> EmptyResult:
    vpn = _backend_vpn(self.ec2_backend, self._get_param("VpnConnectionId"))
    cidr = self._get_param("DestinationCidrBlock")
    vpn.lab_routes = [r for r in vpn.lab_routes if r["DestinationCidrBlock"] != cidr]
    return EmptyResult()


def _backend_vpn(backend: Any, vpn_id: str) -> LabVpnConnection:
    vpn = backend.vpn_connections.get(vpn_id)
    if not isinstance(vpn, LabVpnConnection):
        raise InvalidVpnConnectionIdError(vpn_id)
    return vpn


def _store_psks_in_secrets_manager(vpn: LabVpnConnection) -> None:
    """PreSharedKeyStorage=SecretsManager: keys move to a secret, JSON keyed by outside IP."""
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[vpn.ec2_backend.account_id][vpn.ec2_backend.region_name]
    created = backend.create_secret(
        name=f"vpn-psk-{vpn.id}",
        secret_string=json.dumps({t.outside_ip: t.psk for t in vpn.lab_tunnels}),
        secret_binary=None,
        description=f"Pre-shared keys of {vpn.id}",
        tags=None,
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    vpn.pre_shared_key_arn = json.loads(created)["ARN"]


_INSTALLED = False


def install() -> None:
    """Extend moto in this process (idempotent): lab VPN model and the missing EC2 actions."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        setattr(moto_vpn_connections, "VPNConnection", LabVpnConnection)  # noqa: B010
        for action, method in (
            ("create_vpn_connection", _create_vpn_connection),
            ("modify_vpn_tunnel_options", _modify_vpn_tunnel_options),
            ("create_vpn_connection_route", _create_vpn_connection_route),
            ("delete_vpn_connection_route", _delete_vpn_connection_route),
        ):
            setattr(VPNConnections, action, method)
        _INSTALLED = True


# --------------------------------------------------------------------------- lab hooks


def lab_vpn(vpn_id: str) -> LabVpnConnection:
    """The lab's model of a VPN connection created through the lab server."""
    with _LOCK:
        vpn = _VPNS.get(vpn_id)
    if vpn is None:
        raise KeyError(f"{vpn_id} is not a lab VPN connection")
    return vpn


def set_tunnel_status(
    vpn_id: str,
    outside_ip: str,
    status: str,
    accepted_routes: int = 0,
    message: str | None = None,
) -> None:
    """Set what AWS's telemetry reports for one tunnel (called by the simulated routers)."""
    vpn = lab_vpn(vpn_id)
    with _LOCK:
        try:
            vpn.tunnel(outside_ip).set_status(status, accepted_routes, message)
        except InvalidParameterValue as error:
            raise KeyError(f"{outside_ip} is not a tunnel of {vpn_id}") from error


def set_psk_arn(vpn_id: str, arn: str | None) -> None:
    """Keep this VPN's PSKs in Secrets Manager: TunnelOptions and XML stop showing them."""
    lab_vpn(vpn_id).pre_shared_key_arn = arn


def set_xml_reversed(vpn_id: str, reversed_order: bool = True) -> None:
    """Emit the XML's <ipsec_tunnel> elements in the opposite order to TunnelOptions."""
    lab_vpn(vpn_id).xml_reversed = reversed_order


def lab_vpn_ids() -> dict[str, str]:
    """Live lab VPN ids by their Name tag."""
    with _LOCK:
        vpns = list(_VPNS.values())
    found = {}
    for vpn in vpns:
        if vpn.state in ("deleted", "deleting"):
            continue
        name = next((t["value"] for t in vpn.get_tags() if t["key"] == "Name"), None)
        if name:
            found[name] = vpn.id
    return found


class Throttle:
    """Which API actions the lab answers with a throttling error, and how often it did."""

    def __init__(self) -> None:
        self._remaining: dict[str, int | None] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def set(self, action: str, times: int | None = None) -> None:
        """Throttle `action` (e.g. DescribeVpnConnections) `times` times, or until cleared."""
        with self._lock:
            self._remaining[action] = times

    def clear(self) -> None:
        with self._lock:
            self._remaining.clear()
            self.hits.clear()

    @property
    def active(self) -> bool:
        return bool(self._remaining)

    def take(self, action: str) -> bool:
        with self._lock:
            if action not in self._remaining:
                return False
            left = self._remaining[action]
            if left is not None:
                if left <= 1:
                    del self._remaining[action]
                else:
                    self._remaining[action] = left - 1
            self.hits[action] = self.hits.get(action, 0) + 1
            return True


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LabMiddleware:
    """WSGI layer in front of moto: /_cgw_lab/ hooks and injected throttling."""

    def __init__(self, app: WsgiApp, throttle: Throttle) -> None:
        self.app = app
        self.throttle = throttle

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(HOOK_PREFIX):
            return self._hook(path.removeprefix(HOOK_PREFIX), environ, start_response)
        if self.throttle.active:
            action, is_json = _action_of(environ)
            if action and self.throttle.take(action):
                return _throttled(is_json, start_response)
        return self.app(environ, start_response)

    def _hook(self, name: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            payload = json.loads(_read_body(environ) or b"{}")
            result = self._run_hook(name.strip("/"), payload)
            status, body = "200 OK", {"ok": True, **result}
        except (KeyError, ValueError, TypeError) as error:
            status, body = "400 Bad Request", {"ok": False, "error": str(error)}
        data = json.dumps(body).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def _run_hook(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        if name == "tunnel-status":
            set_tunnel_status(
                payload["vpn_id"],
                payload["outside_ip"],
                payload["status"],
                int(payload.get("accepted_routes", 0)),
                payload.get("message"),
            )
        elif name == "throttle":
            self.throttle.set(payload["action"], payload.get("times"))
        elif name == "throttle-clear":
            self.throttle.clear()
        elif name == "psk-arn":
            set_psk_arn(payload["vpn_id"], payload.get("arn"))
        elif name == "xml-reversed":
            set_xml_reversed(payload["vpn_id"], bool(payload.get("reversed", True)))
        elif name == "vpns":
            return {"vpn_ids": lab_vpn_ids()}
        else:
            raise KeyError(f"unknown lab hook {name!r}")
        return {}


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back so moto can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _action_of(environ: dict[str, Any]) -> tuple[str | None, bool]:
    """The API action of a query-protocol (EC2) or JSON-protocol (Secrets Manager) request."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1], True
    from urllib.parse import parse_qs

    body = _read_body(environ).decode(errors="replace")
    query = parse_qs(body) or parse_qs(str(environ.get("QUERY_STRING", "")))
    actions = query.get("Action")
    return (actions[0] if actions else None), False


def _throttled(is_json: bool, start_response: Callable[..., Any]) -> list[bytes]:
    if is_json:
        data = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        start_response(
            "400 Bad Request",
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
        )
        return [data]
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))],
    )
    return [data]


def post_lab_hook(endpoint: str, name: str, **payload: Any) -> dict[str, Any]:
    """Call a /_cgw_lab/ hook of a lab server in another process."""
    request = urllib.request.Request(
        f"{endpoint.rstrip('/')}{HOOK_PREFIX}{name}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


# --------------------------------------------------------------------------- server


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LabMotoServer(ThreadedMotoServer):
    """moto's threaded server with the lab middleware in front and no per-request log lines."""

    def __init__(self, host: str, port: int, throttle: Throttle) -> None:
        super().__init__(ip_address=host, port=port, verbose=False)
        self.throttle = throttle

    def _server_entry(self) -> None:
        app = LabMiddleware(DomainDispatcherApplication(create_backend_app), self.throttle)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=_QuietHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class LabAws:
    """A running lab AWS: where it listens, what it seeded, and its lab-only controls."""

    endpoint: str
    server: LabMotoServer
    vpn_ids: dict[str, str] = field(default_factory=dict)

    @property
    def throttle(self) -> Throttle:
        return self.server.throttle

    @property
    def env(self) -> dict[str, str]:
        """The environment a shell (or boto3) needs to talk to this lab."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **LAB_ENV}

    def set_tunnel_status(
        self, vpn_id: str, outside_ip: str, status: str, accepted_routes: int = 0
    ) -> None:
        set_tunnel_status(vpn_id, outside_ip, status, accepted_routes)

    def stop(self) -> None:
        self.server.stop()


def _check_loopback(host: str) -> None:
    if not ip_address(host).is_loopback:
        raise ValueError(f"the lab AWS binds loopback only, not {host}")


def run_lab_aws(port: int = 0, host: str = "127.0.0.1", seed: bool = True) -> LabAws:
    """Start the lab AWS in a daemon thread of this process and seed it; port 0 picks a free one."""
    _check_loopback(host)
    install()
    server = LabMotoServer(host, port, Throttle())
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    lab = LabAws(endpoint=f"http://{bound_host}:{bound_port}", server=server)
    if seed:
        from cgw.lab.seed import seed_lab

        try:
            lab.vpn_ids = seed_lab(lab.endpoint)
        except Exception:
            server.stop()
            raise
    return lab


def serve_forever(port: int = 5000, host: str = "127.0.0.1", seed: bool = True) -> None:
    """Run the lab AWS in the foreground (for `cgw lab aws`) until interrupted."""
    lab = run_lab_aws(port=port, host=host, seed=seed)
    print(f"lab AWS listening on {lab.endpoint}")
    for name, vpn_id in sorted(lab.vpn_ids.items()):
        print(f"  {name}: {vpn_id}")
    print("export these to use it:")
    for key, value in lab.env.items():
        print(f"  export {key}={value}")
    print("Ctrl-C stops it.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
