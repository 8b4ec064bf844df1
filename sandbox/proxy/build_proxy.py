"""The package proxy of participant builds: CONNECT and plain HTTP to allow-listed hosts only.

It runs in its own container (``podium/build-proxy``), the only thing a build's network can
reach. A build's ``pip install`` and ``apt-get`` go through it (HTTP(S)_PROXY build arguments);
it forwards to the package indexes named on its command line and to nothing else: not the build
host, not the platform's services, not a metadata address, whatever a name resolves to. This
file uses the standard library only, because it is copied into a bare runtime image.

    python3 build_proxy.py --port 3128 --allow pypi.org,files.pythonhosted.org,deb.debian.org
"""

from __future__ import annotations

import argparse
import ipaddress
import select
import socket
import socketserver
import sys
import threading

IDLE_SECONDS = 120
MAX_HEADER_BYTES = 64 * 1024
MAX_CONNECTIONS = 64
PORTS = {"CONNECT": 443, "HTTP": 80}
# Never forwarded to, whatever an allowed name resolves to (loopback, private, link-local with
# the metadata address, carrier-grade NAT, multicast, reserved).
BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)  # fmt: skip


class Policy:
    """Which host names may be reached (exact, or ``*.suffix``), and which addresses never."""

    def __init__(self, hosts: list[str], blocked: list[str]) -> None:
        self.exact = {h.lower() for h in hosts if not h.startswith("*.")}
        self.suffixes = tuple(h[1:].lower() for h in hosts if h.startswith("*."))
        self.blocked = BLOCKED + tuple(ipaddress.ip_network(net) for net in blocked)

    def allows_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    def address(self, host: str, port: int) -> tuple[str, int] | None:
        """The first resolved address of ``host`` that is not blocked, or None."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return None
        for _family, _kind, _proto, _name, address in infos:
            ip = ipaddress.ip_address(address[0])
            if not any(ip in net for net in self.blocked):
                return str(ip), port
        return None


class Handler(socketserver.BaseRequestHandler):
    """One client connection: read the request head, check it, then splice both ways."""

    policy: Policy
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def handle(self) -> None:
        if not self.slots.acquire(blocking=False):
            self._answer(503, "too many connections")
            return
        try:
            self.request.settimeout(IDLE_SECONDS)
            self._serve()
        except OSError:
            pass
        finally:
            self.slots.release()

    def _serve(self) -> None:
        head = self._read_head()
        if head is None:
            return self._answer(400, "malformed request")
        method, target, rest = head
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            kind = "CONNECT"
        else:
            if not target.lower().startswith("http://"):
                return self._answer(400, "only absolute http:// URLs and CONNECT are proxied")
            authority, _, path = target[7:].partition("/")
            host, _, port_text = (
                authority.rpartition(":") if ":" in authority else (authority, "", "80")
            )
            kind = "HTTP"
        port = int(port_text) if port_text.isdigit() else -1
        if port != PORTS[kind] or not self.policy.allows_name(host):
            _log(f"refused {method} {host}:{port_text}")
            return self._answer(403, f"{host}:{port_text} is not a package index builds may reach")
        address = self.policy.address(host, port)
        if address is None:
            _log(f"refused {method} {host}: no allowed address")
            return self._answer(403, f"{host} resolves to no address builds may reach")
        upstream = socket.create_connection(address, timeout=IDLE_SECONDS)
        with upstream:
            if kind == "CONNECT":
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
            else:
                upstream.sendall(_origin_request(method, "/" + path, rest))
            _log(f"{method} {host}:{port}")
            _splice(self.request, upstream)

    def _read_head(self) -> tuple[str, str, bytes] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_HEADER_BYTES:
                return None
        line, _, _ = data.partition(b"\r\n")
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return None
        if parts[0] == "CONNECT":
            _, _, rest = data.partition(b"\r\n\r\n")
            return parts[0], parts[1], rest
        return parts[0], parts[1], data[len(line) + 2 :]

    def _answer(self, status: int, message: str) -> None:
        body = (message + "\n").encode()
        head = f"HTTP/1.1 {status} {message}\r\nContent-Length: {len(body)}\r\n"
        try:
            self.request.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
        except OSError:
            pass


def _origin_request(method: str, path: str, rest: bytes) -> bytes:
    """The request as the origin server takes it: origin-form path, no proxy headers, close."""
    headers, _, body = rest.partition(b"\r\n\r\n")
    kept = [
        line
        for line in headers.split(b"\r\n")
        if line and not line.lower().startswith((b"proxy-", b"connection:", b"keep-alive:"))
    ]
    kept.append(b"Connection: close")
    return f"{method} {path} HTTP/1.1\r\n".encode() + b"\r\n".join(kept) + b"\r\n\r\n" + body


def _splice(client: socket.socket, upstream: socket.socket) -> None:
    sockets = [client, upstream]
    while True:
        ready, _, _ = select.select(sockets, [], [], IDLE_SECONDS)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (upstream if sock is client else client).sendall(data)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3128)
    parser.add_argument("--allow", required=True, help="comma-separated host names, *.suffix")
    parser.add_argument("--block", default="", help="extra comma-separated networks to refuse")
    args = parser.parse_args(argv)
    Handler.policy = Policy(
        [h.strip() for h in args.allow.split(",") if h.strip()],
        [n.strip() for n in args.block.split(",") if n.strip()],
    )
    with Server(("0.0.0.0", args.port), Handler) as server:  # noqa: S104 - its own network only
        _log(f"podium build proxy on port {args.port}")
        server.serve_forever()


if __name__ == "__main__":
    main()
