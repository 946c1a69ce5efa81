from django.urls import path

from joinedup.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("two-factor/verify/", views.verify_two_factor, name="verify-two-factor"),
    path("two-factor/set-up/", views.set_up_two_factor, name="set-up-two-factor"),
    path("security/", views.security, name="security"),
    path("manage/", views.manage_list, name="manage-list"),
]
