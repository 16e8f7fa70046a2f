"""The API's endpoints and a request to each, shared by the web's access table (tests/access/test_every_route.py)
and the API's own, per token (tests/api/test_access.py)."""

API_ROUTES = {
    "api_account.me": ("GET", "/api/v1/me"),
    "api_account.list_notifications": ("GET", "/api/v1/notifications"),
    "api_patients.list_patients": ("GET", "/api/v1/patients"),
    "api_patients.get_patient": ("GET", "/api/v1/patients/{patient}"),
    "api_panels.list_panels": ("GET", "/api/v1/panels"),
    "api_panels.get_panel": ("GET", "/api/v1/panels/{panel}"),
    "api_panels.get_consultation": ("GET", "/api/v1/panels/{panel}/consultation"),
    "api_documents.Documents": ("GET", "/api/v1/panels/{panel}/documents"),  # and POST: an upload (test_access.py)
    "api_tasks.list_tasks": ("GET", "/api/v1/tasks"),
    "api_tasks.get_task": ("GET", "/api/v1/tasks/{task}"),
    "api_tasks.get_draft": ("GET", "/api/v1/tasks/{task}/draft"),
    "api_tasks.put_draft": ("PUT", "/api/v1/tasks/{task}/draft"),
    "api_tasks.complete": ("POST", "/api/v1/tasks/{task}/completion"),
    "api_reports.get_report": ("GET", "/api/v1/reports/EuroBloodNet?start=2026-01-01&end=2026-12-31"),
}
