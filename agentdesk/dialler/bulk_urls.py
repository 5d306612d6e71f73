from django.urls import path

from . import bulk_views

app_name = "imports"
urlpatterns = [
    path("<int:team_id>/", bulk_views.upload, name="upload"),
    path("<int:team_id>/<int:job_id>/", bulk_views.job_page, name="job"),
    path("<int:team_id>/<int:job_id>/start", bulk_views.start_job, name="start"),
    path("<int:team_id>/<int:job_id>/results.csv", bulk_views.results, name="results"),
]
