"""The sample production deployment (deploy/): gunicorn behind nginx, which holds slow clients.

The nginx sample is checked by nginx itself (`nginx -t`) where nginx is installed; CI requires it
(FORUM_REQUIRE_NGINX=1), elsewhere a missing nginx skips that one test. What the proxy protects
against is measured, not asserted, in bench/slow_clients.py.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
NGINX = DEPLOY / "nginx.conf"


def directives(text: str) -> list[str]:
    """The configuration without comments, one directive per item, whitespace collapsed."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return [" ".join(d.split()) for d in re.split(r"[;{}]", code) if d.strip()]


def test_the_nginx_sample_passes_the_headers_the_app_trusts_behind_one_proxy():
    d = directives(NGINX.read_text())
    # ProxyFix(x_for=1, x_proto=1, x_host=1) with FORUM_PROXY_COUNT=1: each set by the proxy, not by the client.
    assert "proxy_set_header X-Forwarded-For $remote_addr" in d
    assert "proxy_set_header X-Forwarded-Proto $scheme" in d
    assert "proxy_set_header X-Forwarded-Host $host" in d
    assert "proxy_set_header Host $host" in d


def test_the_nginx_sample_keeps_slow_clients_away_from_gunicorn():
    d = directives(NGINX.read_text())
    assert "proxy_request_buffering on" in d and "proxy_buffering on" in d
    assert not any(x.endswith(" off") and x.startswith(("proxy_buffering", "proxy_request_buffering")) for x in d)
    for timeout in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert any(x.startswith(timeout + " ") for x in d), timeout
    assert "client_max_body_size 1m" in d  # the app's MAX_CONTENT_LENGTH: 1 MiB
    # Only the scan uploads take more: the app's DOCUMENT_SCAN_MAX_BYTES (20 MiB) plus the form.
    assert "client_max_body_size 21m" in d
    assert "server 127.0.0.1:8000 fail_timeout=0" in d  # gunicorn on loopback only
    assert "return 301 https://$host$request_uri" in d  # plain HTTP only redirects


def test_the_systemd_units_keep_gunicorn_on_loopback_and_run_the_worker():
    web = (DEPLOY / "forum-web.service").read_text()
    assert re.search(r"^ExecStart=.*gunicorn .*--bind 127\.0\.0\.1:8000 .*wsgi:app$", web, re.M)
    assert "FORUM_PROXY_COUNT=1" in web and "FORUM_BASE_URL=https://" in web
    assert re.search(r"^ExecStart=.*/forum worker$", (DEPLOY / "forum-worker.service").read_text(), re.M)


def test_nginx_accepts_the_sample(tmp_path):
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or not openssl:
        if os.environ.get("FORUM_REQUIRE_NGINX") == "1":
            pytest.fail("nginx and openssl are required here (FORUM_REQUIRE_NGINX=1): apt-get install nginx-light")
        pytest.skip("nginx is not installed (apt-get install nginx-light); FORUM_REQUIRE_NGINX=1 makes this fail")
    # The sample as it is, with a throwaway certificate where the real one would be.
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"), "-days", "1",
                    "-subj", "/CN=forum.example.kz"], check=True, capture_output=True)
    site = NGINX.read_text()
    for name, real in (("cert.pem", "/etc/letsencrypt/live/forum.example.kz/fullchain.pem"),
                       ("key.pem", "/etc/letsencrypt/live/forum.example.kz/privkey.pem")):
        assert site.count(real) == 1
        site = site.replace(real, str(tmp_path / name))
    (tmp_path / "forum.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
                    f"http {{ access_log off; include {tmp_path / 'forum.conf'}; }}\n")

    r = subprocess.run([nginx, "-t", "-q", "-c", str(main), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                       capture_output=True, text=True, timeout=60)

    assert r.returncode == 0, r.stderr


def test_gunicorn_and_nginx_wait_longer_than_the_longest_scheduler_run_from_the_page():
    from forum.meetings.scheduling import MAX_SECONDS

    unit = (DEPLOY / "forum-web.service").read_text()
    gunicorn = int(re.search(r"--timeout (\d+)", unit).group(1))
    read = [d for d in directives(NGINX.read_text()) if d.startswith("proxy_read_timeout ")]
    assert read, "nginx must set proxy_read_timeout"
    nginx = int(read[0].split()[1].rstrip("s"))
    assert gunicorn > MAX_SECONDS + 10 and nginx > MAX_SECONDS + 10


def test_the_larger_body_limit_covers_exactly_the_scan_upload_routes(app):
    """The nginx location with 21m matches the two routes that take a scan, and no other route of the app."""
    m = re.search(r"location ~ (\S+) \{\s*client_max_body_size 21m;", NGINX.read_text())
    assert m is not None
    pattern = re.compile(m.group(1))
    with app.test_request_context():
        from flask import url_for

        assert pattern.match(url_for("documents_scans.upload", slug="central-asia-japan", doc_id=17))
        assert pattern.match(url_for("documents_scans.verify", slug="central-asia-japan"))
    others = [r.rule for r in app.url_map.iter_rules()
              if r.endpoint not in ("documents_scans.upload", "documents_scans.verify", "documents_scans.scans")
              and "POST" in r.methods and pattern.match(r.rule.replace("<slug>", "x").replace("<int:doc_id>", "1"))]
    assert others == []


def test_the_batch_upload_has_a_body_limit_that_fits_the_largest_batch_and_only_that_route(app):
    """An offline phone's queue of 500 scans of the largest size the API accepts passes nginx; no other route
    gets the larger limit."""
    from forum.api import views

    m = re.search(r"location ~ (\S+) \{\s*client_max_body_size (\d+)m;\s*proxy_pass http://forum_app;\s*\}\s*\}\s*\}",
                  NGINX.read_text())
    assert m is not None, "the batch location is the last one"
    pattern, megabytes = re.compile(m.group(1)), int(m.group(2))
    assert views.BATCH_BODY_MAX <= megabytes * 1024 * 1024
    with app.test_request_context():
        from flask import url_for

        assert pattern.match(url_for("api.checkin_batch", slug="central-asia-japan"))
    others = [r.rule for r in app.url_map.iter_rules() if r.endpoint != "api.checkin_batch"
              and pattern.match(r.rule.replace("<slug>", "x"))]
    assert others == []


def test_only_the_scanner_data_is_gzipped(app):
    """The phones' minutely download is compressed; nothing else is (the HTML pages carry CSRF tokens: BREACH)."""
    text = NGINX.read_text()
    assert text.count("gzip on;") == 1
    m = re.search(r"location ~ (\S+) \{\s*gzip on;", text)
    assert m is not None
    pattern = re.compile(m.group(1))
    with app.test_request_context():
        from flask import url_for

        assert pattern.match(url_for("api.scanner_data", slug="central-asia-japan"))
    assert [r.rule for r in app.url_map.iter_rules()
            if r.endpoint != "api.scanner_data" and pattern.match(r.rule.replace("<slug>", "x"))] == []
