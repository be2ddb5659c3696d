"""Entry point for WSGI servers: `gunicorn -w 4 wsgi:app`."""
from forum import create_app

app = create_app()
