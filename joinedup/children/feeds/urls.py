from django.urls import path

from joinedup.children.feeds import views

app_name = "feeds"

urlpatterns = [
    path("", views.feed_list, name="index"),
    path("upload/", views.upload, name="upload"),
    path("format/", views.format_page, name="format"),
    path("format/joined-up-feed-template.csv", views.template_csv, name="template-csv"),
    path("format/joined-up-feed-template.xlsx", views.template_xlsx, name="template-xlsx"),
    path("agencies/<int:agency_id>/mapping/", views.mapping, name="mapping"),
    path("<int:feed_id>/", views.detail, name="detail"),
    path("<int:feed_id>/progress/", views.progress, name="progress"),
    path("<int:feed_id>/rejects.csv", views.rejects, name="rejects"),
    path("rejects/<int:reject_id>/dealt-with/", views.deal_with_reject, name="deal-with-reject"),
]
