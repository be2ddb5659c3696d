"""The real loopback SMTP server of the notification tests (`smtp`, with `refuse`), for the log's deliveries."""
from tests.notifications.conftest import smtp

__all__ = ["smtp"]
