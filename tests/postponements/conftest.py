from tests.notifications.conftest import smtp  # noqa: F401 - the loopback SMTP recorder, for the two workers
