"""The JSON API for scanning devices: token authentication, JSON errors, OpenAPI (issue 8)."""
