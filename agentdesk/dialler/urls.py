from django.urls import path

from . import views

app_name = "dialler"
urlpatterns = [
    path("contacts/import", views.import_contact, name="import"),
    path("contacts", views.list_contacts, name="contacts"),
    path("contacts/<int:contact_id>", views.get_contact, name="contact"),
    path("campaigns", views.list_campaigns, name="campaigns"),
]
