"""Portal forms of the account pages. Field names are the API's keys, so a service's errors
land next to the right field; the rules themselves live in accounts.services."""

from django import forms

ORGANIZATION_TYPES = [("Developer", "Developer"), ("Buyer", "Buyer"), ("ApiUser", "ApiUser")]


class RegisterForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150)
    lastName = forms.CharField(label="Last Name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    organizationType = forms.ChoiceField(label="Organization Type", choices=ORGANIZATION_TYPES)
    orgName = forms.CharField(label="Organization Name", max_length=255)
    orgAddress = forms.CharField(label="Organization Address", max_length=500, required=False)
    password = forms.CharField(label="Password", max_length=128, strip=False, widget=forms.PasswordInput)
    confirmPassword = forms.CharField(label="Confirm Password", max_length=128, strip=False, widget=forms.PasswordInput)

    # Which step of the three-step form shows each field.
    STEPS = (
        ("User Info", ("firstName", "lastName", "email")),
        ("Organization Info", ("organizationType", "orgName", "orgAddress")),
        ("Security Info", ("password", "confirmPassword")),
    )


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)


class ResetPasswordForm(forms.Form):
    newPassword = forms.CharField(label="Password", max_length=128, strip=False, widget=forms.PasswordInput)
    confirmPassword = forms.CharField(label="Confirm Password", max_length=128, strip=False, widget=forms.PasswordInput)


class ProfileForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150)
    lastName = forms.CharField(label="Last Name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(
        label="Current Password",
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Needed only to change your e-mail, which also signs out your API tokens.",
    )


class PasswordChangeForm(forms.Form):
    oldPassword = forms.CharField(label="Current Password", max_length=128, strip=False, widget=forms.PasswordInput)
    newPassword = forms.CharField(label="New Password", max_length=128, strip=False, widget=forms.PasswordInput)
    confirmPassword = forms.CharField(label="Confirm Password", max_length=128, strip=False, widget=forms.PasswordInput)
