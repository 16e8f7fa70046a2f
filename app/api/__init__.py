"""The REST API under /api/v1: personal access tokens, the same access policy as the web app, problem details."""
