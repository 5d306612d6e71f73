from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.agent_page, name="page"),
    path("desk/next", views.next_contact, name="next"),
    path("desk/reserved", views.reserved_contact, name="reserved"),
    path("desk/skip", views.skip_contact, name="skip"),
    path("desk/add", views.add_contact, name="add"),
    path("desk/select", views.select, name="select"),
]
