from django.urls import path

from . import views

app_name = "monitor"
urlpatterns = [
    path("", views.monitor_home, name="home"),
    path("<int:team_id>/", views.team_page, name="team"),
    path("<int:team_id>/export.csv", views.export_csv, name="export"),
    path("<int:team_id>/history/", views.history, name="history"),
]
