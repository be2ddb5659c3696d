"""Eight slow sockets against gunicorn's sync workers: straight, then behind the sample nginx (deploy/nginx.conf).

A slow client sends its request one byte at a time. Straight to gunicorn, each one holds a sync
worker for as long as it trickles; with as many slow sockets as workers the site stops answering.
Behind nginx, nginx holds them and gunicorn only ever sees whole requests.

Run (needs nginx and openssl on the PATH; everything listens on 127.0.0.1 only, and stops by itself):
    .venv/bin/python bench/slow_clients.py [--workers 4] [--slow 8] [--requests 20] [--wait 5] [--hold 12]
Prints, for each setup, whether a normal request was answered while the slow sockets were
trickling, its latency, and how the slow sockets ended.

The nginx configuration is deploy/nginx.conf itself, changed only where a bench must: loopback
ports instead of 80 and 443 (no IPv6 listeners), the upstream's port, and a throwaway self-signed
certificate. If the sample stops matching those lines, this script says so instead of measuring
something else.
"""
from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "deploy" / "nginx.conf"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"process {proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {HOST}:{port} after {timeout} s")


def replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise SystemExit(f"deploy/nginx.conf: expected exactly one {old!r}; update bench/slow_clients.py")
    return text.replace(old, new)


def nginx_config(tmp: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf on loopback ports with a self-signed certificate, inside a minimal main config."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-days", "1",
                    "-subj", "/CN=forum.example.kz"], check=True, capture_output=True)
    site = SAMPLE.read_text()
    site = replace_once(site, "server 127.0.0.1:8000 ", f"server 127.0.0.1:{app_port} ")
    site = replace_once(site, "    listen 80;\n", f"    listen {HOST}:{http_port};\n")
    site = replace_once(site, "    listen [::]:80;\n", "")
    site = replace_once(site, "    listen 443 ssl http2;\n", f"    listen {HOST}:{https_port} ssl http2;\n")
    site = replace_once(site, "    listen [::]:443 ssl http2;\n", "")
    site = replace_once(site, "/etc/letsencrypt/live/forum.example.kz/fullchain.pem", str(tmp / "cert.pem"))
    site = replace_once(site, "/etc/letsencrypt/live/forum.example.kz/privkey.pem", str(tmp / "key.pem"))
    (tmp / "forum.conf").write_text(site)
    main = tmp / "nginx-main.conf"
    temp_paths = " ".join(f"{kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main.write_text(f"""pid {tmp / 'nginx.pid'};
error_log {tmp / 'nginx-error.log'};
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    {temp_paths}
    include {tmp / 'forum.conf'};
}}
""")
    return main


class SlowClient(threading.Thread):
    """Connects and sends a request one byte every `interval` seconds until stopped or cut off.

    kind "header": a GET whose headers never end; kind "body": a POST whose body trickles in.
    """

    def __init__(self, port: int, kind: str, interval: float, tls: bool, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.kind, self.interval, self.tls, self.stop = port, kind, interval, tls, stop
        self.sent = 0
        self.ended = "still trickling"
        self.connected = threading.Event()

    def run(self) -> None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=10)
            if self.tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                sock = ctx.wrap_socket(sock, server_hostname="forum.example.kz")
        except OSError as e:
            self.ended = f"could not connect: {e}"
            self.connected.set()
            return
        self.connected.set()
        if self.kind == "header":
            data = b"GET /login HTTP/1.1\r\nHost: forum.example.kz\r\nUser-Agent: " + b"s" * 100_000
        else:
            data = (b"POST /login HTTP/1.1\r\nHost: forum.example.kz\r\nContent-Type: application/x-www-form-urlencoded"
                    b"\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100_000)
        with sock:
            if self.kind == "body":  # the headers at once, then the body byte by byte
                head = data.index(b"\r\n\r\n") + 4
                sock.sendall(data[:head])
                data = data[head:]
            sock.settimeout(0.01)
            for b in data:
                if self.stop.wait(self.interval):
                    return
                try:
                    sock.sendall(bytes([b]))
                    self.sent += 1
                    answer = sock.recv(200)
                except (socket.timeout, ssl.SSLWantReadError):
                    continue
                except OSError as e:
                    self.ended = f"cut off ({type(e).__name__})"
                    return
                if answer:
                    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
                    self.ended = f"answered: {status_line}"
                else:
                    self.ended = "closed by the server"
                return


def normal_requests(port: int, tls: bool, n: int, timeout: float) -> tuple[list[float], list[str]]:
    """n sequential GET /login; latencies (s) of the answered ones and the failures."""
    latencies, failures = [], []
    for _ in range(n):
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            conn = http.client.HTTPSConnection(HOST, port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/login", headers={"Host": "forum.example.kz"})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                failures.append(f"HTTP {r.status}")
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"{type(e).__name__} after {time.perf_counter() - t0:.1f} s")
            if isinstance(e, (socket.timeout, TimeoutError)):
                break  # the site is not answering: one timeout says it, more only cost time
        finally:
            conn.close()
    return latencies, failures


def attack(name: str, port: int, tls: bool, args, hold: float = 0) -> None:
    stop = threading.Event()
    kinds = ["header", "body"] * args.slow
    slow = [SlowClient(port, kinds[i], args.interval, tls, stop) for i in range(args.slow)]
    for c in slow:
        c.start()
    for c in slow:
        c.connected.wait(10)
    time.sleep(1.0)  # every slow socket has sent a few bytes: the workers are taken, if they can be
    latencies, failures = normal_requests(port, tls, args.requests, args.wait)
    if hold:  # keep trickling past the proxy's timeouts, then ask again
        time.sleep(hold)
        more, more_failures = normal_requests(port, tls, args.requests, args.wait)
    stop.set()
    for c in slow:
        c.join(5)
    answered = len(latencies)
    print(f"\n== {name}: {args.slow} slow sockets ({args.slow - args.slow // 2} slow headers, {args.slow // 2} slow "
          f"bodies, one byte every {args.interval} s), then {args.requests} normal GET /login")
    print(f"   normal requests answered: {answered}/{args.requests}"
          + (f"; latency median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
             if latencies else "")
          + (f"; failures: {', '.join(failures)}" if failures else ""))
    if hold:
        print(f"   after {hold:g} s more of trickling: {len(more)}/{args.requests} answered"
              + (f", latency median {statistics.median(more) * 1000:.1f} ms" if more else "")
              + (f"; failures: {', '.join(more_failures)}" if more_failures else ""))
    for kind, label in (("header", "slow headers"), ("body", "slow bodies")):
        mine = [c for c in slow if c.kind == kind]
        ends: dict[str, int] = {}
        for c in mine:
            ends[c.ended] = ends.get(c.ended, 0) + 1
        print(f"   {label} (bytes sent {min(c.sent for c in mine)}–{max(c.sent for c in mine)}): "
              + ", ".join(f"{n} {what}" for what, n in ends.items()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    p.add_argument("--slow", type=int, default=8, help="slow sockets")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between two bytes of a slow socket")
    p.add_argument("--requests", type=int, default=20, help="normal requests while the slow sockets trickle")
    p.add_argument("--hold", type=float, default=12.0,
                   help="behind nginx: seconds more of trickling (past client_header_timeout), then ask again")
    p.add_argument("--wait", type=float, default=5.0, help="how long a normal request may take before it counts as not answered")
    args = p.parse_args()
    if not shutil.which("nginx") or not shutil.which("openssl"):
        raise SystemExit("needs nginx and openssl (apt-get install nginx-light openssl)")

    tmp = Path(tempfile.mkdtemp(prefix="forum-slow-"))
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp / "instance"), "FORUM_SECRET_KEY": "bench-" + os.urandom(8).hex(),
           "FORUM_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}", "FORUM_PROXY_COUNT": "1",
           "FORUM_RATELIMIT_ENABLED": "false"}
    env.pop("FORUM_ENV_NAME", None)
    subprocess.run([str(BIN / "forum"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    procs: list[subprocess.Popen] = []
    try:
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"{HOST}:{app_port}",
                                     "--timeout", "30", "--log-level", "warning", "wsgi:app"],
                                    env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        procs.append(gunicorn)
        wait_for_port(app_port, gunicorn)
        main_conf = nginx_config(tmp, app_port, http_port, https_port)
        nginx = subprocess.Popen(["nginx", "-c", str(main_conf), "-p", str(tmp), "-e", str(tmp / "nginx-error.log"),
                                  "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        procs.append(nginx)
        wait_for_port(https_port, nginx)
        print(f"gunicorn: {args.workers} sync workers on {HOST}:{app_port}; nginx (deploy/nginx.conf) on "
              f"{HOST}:{https_port} (TLS)")

        latencies, failures = normal_requests(https_port, True, 5, args.wait)
        print(f"warm-up through nginx: {len(latencies)}/5 answered {failures or ''}")

        attack("straight to gunicorn", app_port, False, args)
        # gunicorn's arbiter kills a worker that a slow client held past --timeout; give it a moment to be whole again.
        time.sleep(2)
        attack("behind nginx (deploy/nginx.conf)", https_port, True, args, hold=args.hold)
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
