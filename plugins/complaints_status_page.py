"""Airflow plugin: the Complaints page in the UI (``/complaints/``) and its JSON API.

The app (``csc_complaints.status_app``) is mounted in the api-server under ``/complaints``
(``fastapi_apps``); ``external_views`` puts the page in the UI's navigation, shown inside the
Airflow UI. Every route of the app requires a signed-in user (Airflow's own token check); the
page and the API are described in docs/operations.md.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from csc_complaints.status_app import URL_PREFIX, create_app


class ComplaintsStatusPagePlugin(AirflowPlugin):
    """Mounts the Complaints status app and adds "Complaints" to the UI's navigation."""

    name = "complaints_status_page"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Complaints status"}]
    external_views = [
        {
            "name": "Complaints",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "complaints",
            "nav_top_level": True,
        }
    ]
