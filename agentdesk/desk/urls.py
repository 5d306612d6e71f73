from django.urls import path

from . import views, wrapup_views

app_name = "desk"
urlpatterns = [
    path("", views.agent_page, name="page"),
    path("desk/next", views.next_contact, name="next"),
    path("desk/reserved", views.reserved_contact, name="reserved"),
    path("desk/skip", views.skip_contact, name="skip"),
    path("desk/add", views.add_contact, name="add"),
    path("desk/select", views.select, name="select"),
    path("desk/confirm-dial", views.confirm_dial, name="confirm_dial"),
    path("desk/hand-back", views.hand_back, name="hand_back"),
    path("desk/preview-expired", views.preview_expired, name="preview_expired"),
    path("desk/wrapup", wrapup_views.panel, name="wrapup"),
    path("desk/wrapup/callback", wrapup_views.book_callback, name="book_callback"),
    path("desk/wrapup/dial", wrapup_views.dial_other, name="dial_other"),
    path("desk/wrapup/fields", wrapup_views.correct_fields, name="correct_fields"),
    path("desk/wrapup/number", wrapup_views.set_number, name="set_number"),
]
