from django.urls import path

from . import callback_views, compliance_views, views

app_name = "monitor"
urlpatterns = [
    path("", views.monitor_home, name="home"),
    path("<int:team_id>/", views.team_page, name="team"),
    path("<int:team_id>/export.csv", views.export_csv, name="export"),
    path("<int:team_id>/history/", views.history, name="history"),
    path("<int:team_id>/dnc/", compliance_views.dnc_upload, name="dnc"),
    path(
        "<int:team_id>/agents/<int:agent_id>/release",
        compliance_views.release_contact,
        name="release",
    ),
    path(
        "<int:team_id>/callbacks/<int:callback_id>/reassign",
        callback_views.reassign,
        name="reassign_callback",
    ),
]
