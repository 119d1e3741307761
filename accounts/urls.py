"""Portal pages of accounts. Sign-in and sign-out are django-allauth's views at the
original portal's addresses (/login, /logout)."""

from allauth.account import views as allauth_views
from django.urls import path

urlpatterns = [
    path("login", allauth_views.login, name="account_login"),
    path("logout", allauth_views.logout, name="account_logout"),
    path("accounts/inactive/", allauth_views.account_inactive, name="account_inactive"),
    # allauth links to its sign-up page; ours is closed (accounts come with an organization).
    path("accounts/signup/", allauth_views.signup, name="account_signup"),
]
