"""Account routes: the API's under /api/, the portal's at the original portal's addresses."""

from allauth.account import views as allauth_views
from django.urls import path

from accounts import api, views

api_urlpatterns = [
    path("user/register", api.RegisterView.as_view(), name="api-register"),
    path("user/me", api.MeView.as_view(), name="api-me"),
    path("user/profile", api.ProfileView.as_view(), name="api-profile"),
    path("user/password", api.PasswordView.as_view(), name="api-password"),
    path("user/confirm-email/<str:token>", api.ConfirmEmailView.as_view(), name="api-confirm-email"),
    path("user/resend-confirm-email", api.ResendConfirmEmailView.as_view(), name="api-resend-confirm-email"),
    path("user/forget-password", api.ForgetPasswordView.as_view(), name="api-forget-password"),
    path("user/reset/password/<str:token>", api.ResetPasswordView.as_view(), name="api-reset-password"),
    path("auth/login", api.LoginView.as_view(), name="api-login"),
    path("auth/logout", api.LogoutView.as_view(), name="api-logout"),
    path("auth/getAccess", api.GetAccessView.as_view(), name="api-get-access"),
    path("auth/keys", api.KeyListView.as_view(), name="api-keys"),
    path("auth/keys/<str:kid>", api.KeyDetailView.as_view(), name="api-key"),
    path("auth/token", api.TokenView.as_view(), name="api-token"),
]

urlpatterns = [
    path("login", allauth_views.login, name="account_login"),
    path("logout", allauth_views.logout, name="account_logout"),
    path("accounts/inactive/", allauth_views.account_inactive, name="account_inactive"),
    # allauth links to its sign-up page; ours is /register (an account comes with an organization).
    path("accounts/signup/", allauth_views.signup, name="account_signup"),
    path("register", views.register, name="register"),
    path("apiuser/key", views.api_user_key, name="api-user-key"),
    path("apiuser/key/private_key.pem", views.api_user_key_download, name="api-user-key-download"),
    path("confirm-email", views.confirm_email, name="confirm-email"),
    path("forgot-password", views.forgot_password, name="forgot-password"),
    path("reset-password", views.reset_password, name="reset-password"),
    path("user/profile", views.profile, name="profile"),
]
