"""Portal pages of accounts: register, the api user's key, e-mail confirmation, password
reset and the profile. Every rule is in accounts.services, shared with the API."""

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import forms, selectors, services
from accounts.fields import new_account
from accounts.keys import private_key_download
from accounts.models import Role
from accounts.rules import API_USER_KEYS, OWN_ACCOUNT, SIGN_UP
from drec.errors import DomainError
from drec.forms import show_error
from drec.permissions import PUBLIC, Action, page, portal_view

BACKEND = "accounts.backends.AuthenticationBackend"
KEY_PENDING = "api_user_key_pending"  # registered, the key pair not generated yet
KEY_UNCONFIRMED = "api_user_key_unconfirmed"  # handed out, "I have saved my key" not ticked yet


@portal_view({"GET": page(SIGN_UP, no_twin="the registration form"), "POST": Action(SIGN_UP, twin="POST api-register")})
def register(request):
    """The three-step registration of the seed (user, organization, security)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.organization_sign_up(account=new_account(data))
        except DomainError as error:
            show_error(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Registration successful. We sent you an email to confirm your address.")
            if user.role == Role.API_USER:
                request.session[KEY_PENDING] = True
                return redirect("api-user-key")
            return redirect("home")
    first_step_with_error = next(
        (index for index, (_title, names) in enumerate(form.STEPS) if any(form.errors.get(n) for n in names)), 0
    )
    steps = [(title, [form[name] for name in names]) for title, names in form.STEPS]
    return render(
        request, "accounts/register.html", {"form": form, "steps": steps, "current_step": first_step_with_error}
    )


@portal_view(
    {
        "GET": page(API_USER_KEYS, no_twin="the one-time key download page"),
        # "I have saved my key": only ends the page (the session's mark), a step of the download.
        "POST": Action(API_USER_KEYS, twin="POST api-keys", changes=False),
    }
)
def api_user_key(request):
    """After registering, an api user downloads its private key, once, and stays here until it
    confirms it saved it. The key is never kept by the server: the page's script holds the one
    download in the browser's memory to save it again; leaving the page forgets it."""
    pending, unconfirmed = request.session.get(KEY_PENDING), request.session.get(KEY_UNCONFIRMED)
    if not pending and not unconfirmed:
        return redirect("apiuser-permission-request")
    error = ""
    if request.method == "POST":
        if pending:
            error = "Download your private key first."
        elif request.POST.get("saved") != "1":
            error = "Tick “I have saved my key” to continue."
        else:
            del request.session[KEY_UNCONFIRMED]
            messages.success(request, "Now ask for the permissions your application needs.")
            return redirect("apiuser-permission-request")
    context = {"next": reverse("apiuser-permission-request"), "handed_out": not pending, "error": error}
    return render(request, "accounts/api_user_key.html", context, status=400 if error else 200)


@portal_view({"POST": Action(API_USER_KEYS, twin="POST api-keys")})
def api_user_key_download(request):
    """Generate the key pair in memory, keep the public half, stream the private key."""
    generated = None
    if request.session.pop(KEY_PENDING, False):
        generated = services.api_user_first_key_generate(api_user=request.user.api_user)
    if generated is None:
        return render(request, "accounts/api_user_key_gone.html", status=410)
    key, private_pem = generated
    request.session[KEY_UNCONFIRMED] = True
    return private_key_download(private_pem, key.kid)


@portal_view(
    {"GET": page(PUBLIC, no_twin="the confirmation link's page"), "POST": Action(PUBLIC, twin="PUT api-confirm-email")}
)
def confirm_email(request):
    token = request.POST.get("token") or request.GET.get("token", "")
    context = {"token": token}
    if request.method == "POST":
        try:
            _user, newly = services.email_confirm(key=token)
        except DomainError as error:
            context["error"] = error.message
        else:
            context["confirmed"] = "Email confirmed successfully" if newly else "Email already confirmed"
    return render(request, "accounts/confirm_email.html", context)


@portal_view({"GET": page(PUBLIC, no_twin="the form"), "POST": Action(PUBLIC, twin="POST api-forget-password")})
def forgot_password(request):
    form = forms.ForgotPasswordForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(email=form.cleaned_data["email"])
        except DomainError:
            form.add_error(None, "Members of organizations managed by an api user cannot reset passwords here.")
        else:
            sent = True
    return render(request, "accounts/forgot_password.html", {"form": form, "sent": sent})


@portal_view(
    {"GET": page(PUBLIC, no_twin="the reset link's page"), "POST": Action(PUBLIC, twin="PUT api-reset-password")}
)
def reset_password(request):
    token = request.POST.get("token") or request.GET.get("token", "")
    try:
        account = services.password_reset_user(token=token)
    except DomainError as error:
        return render(request, "accounts/reset_password.html", {"invalid": error.message}, status=400)
    form = forms.ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset(
                token=token,
                new_password=form.cleaned_data["newPassword"],
                confirm_password=form.cleaned_data["confirmPassword"],
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(request, "Your password was changed. Log in with the new one.")
            return redirect("account_login")
    return render(request, "accounts/reset_password.html", {"form": form, "token": token, "account": account})


@portal_view(
    {
        "GET": page(OWN_ACCOUNT, twin="GET api-me"),
        "POST details": Action(OWN_ACCOUNT, twin="PUT api-profile"),
        "POST password": Action(OWN_ACCOUNT, twin="PUT api-password"),
        "POST resend": Action(OWN_ACCOUNT, twin="PUT api-resend-confirm-email"),
    },
    action_field="tab",
)
def profile(request):
    """User Details and Security Setting tabs (seed §3.7), the latter with the current password."""
    user = request.user
    tab = request.POST.get("tab") or request.GET.get("tab") or "details"
    details = forms.ProfileForm(
        request.POST if tab == "details" and request.method == "POST" else None,
        initial={"firstName": user.first_name, "lastName": user.last_name, "email": user.email},
    )
    password = forms.PasswordChangeForm(request.POST if tab == "password" and request.method == "POST" else None)
    if request.method == "POST" and tab == "resend":
        try:
            services.email_confirmation_resend(user=user)
            messages.success(request, f"We sent a new confirmation link to {user.email}.")
        except DomainError as error:
            messages.info(request, error.message)
        return redirect("profile")
    if request.method == "POST":
        form = details if tab == "details" else password
        if form.is_valid():
            data = form.cleaned_data
            try:
                if tab == "details":
                    services.user_profile_update(
                        user=user,
                        first_name=data["firstName"],
                        last_name=data["lastName"],
                        email=data["email"],
                        password=data["password"] or None,
                    )
                    messages.success(request, "Your details were saved.")
                else:
                    services.user_password_change(
                        user=user,
                        old_password=data["oldPassword"],
                        new_password=data["newPassword"],
                        confirm_password=data["confirmPassword"],
                    )
                    # Changing the password ends other sessions; keep this one signed in.
                    update_session_auth_hash(request, user)
                    messages.success(request, "Your password was changed.")
            except DomainError as error:
                show_error(form, error)
            else:
                return redirect(f"{reverse('profile')}?tab={tab}")
    return render(
        request,
        "accounts/profile.html",
        {
            "tab": tab,
            "details": details,
            "password": password,
            "email_confirmed": selectors.email_confirmed(user),
        },
    )
