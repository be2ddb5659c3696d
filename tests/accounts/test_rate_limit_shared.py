"""With Redis as the limiter's storage, sign-in attempts count across processes (gunicorn workers)."""
import os
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

REDIS = ("127.0.0.1", 6379)

WORKER = textwrap.dedent("""
    import sys
    from forum import create_app
    from flask_migrate import upgrade
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": sys.argv[2]})
    with app.app_context():
        upgrade()
    client = app.test_client()
    codes = [client.post("/login", data={"email": "x@example.org", "password": "nope"}).status_code
             for _ in range(int(sys.argv[3]))]
    print(" ".join(map(str, codes)))
""")


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def test_login_limit_is_shared_between_processes(tmp_path):
    if not _redis_up():
        if os.environ.get("FORUM_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not reachable on 127.0.0.1:6379 and FORUM_REQUIRE_REDIS=1")
        pytest.skip("Redis not reachable on 127.0.0.1:6379: shared rate-limit test skipped")
    prefix = "forum-test-" + uuid.uuid4().hex
    url = f"sqlite:///{tmp_path / 'rl.sqlite'}"

    def run(n: int) -> list[int]:
        out = subprocess.run([sys.executable, "-c", WORKER, url, prefix, str(n)], capture_output=True, text=True,
                             timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
        assert out.returncode == 0, out.stderr
        return [int(c) for c in out.stdout.split()]

    first = run(6)   # one worker process
    second = run(6)  # another: the first's attempts count here too
    assert first == [422] * 6
    assert second == [422] * 4 + [429] * 2
