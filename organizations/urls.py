from django.urls import path

from organizations import api, views

api_urlpatterns = [
    path("Organization/me", api.OrganizationMeView.as_view(), name="api-organization-me"),
    path("Organization/users", api.OrganizationUsersView.as_view(), name="api-organization-users"),
    path(
        "Organization/apiuser/all_organization",
        api.ApiUserOrganizationsView.as_view(),
        name="api-apiuser-organizations",
    ),
    path("Organization/user/<int:user_id>", api.OrganizationMemberRemoveView.as_view(), name="api-member-remove"),
    path("Organization/<int:organization_id>", api.OrganizationDetailView.as_view(), name="api-organization"),
    path("admin/organizations", api.AdminOrganizationsView.as_view(), name="api-admin-organizations"),
    path(
        "admin/organizations/user/<int:organization_id>",
        api.AdminOrganizationUsersView.as_view(),
        name="api-admin-organization-users",
    ),
    path(
        "admin/organizations/<int:organization_id>",
        api.AdminOrganizationDetailView.as_view(),
        name="api-admin-organization",
    ),
    path("admin/users", api.AdminUsersView.as_view(), name="api-admin-users"),
    path("admin/users/<int:user_id>", api.AdminUserDetailView.as_view(), name="api-admin-user"),
    path("admin/user/<int:user_id>", api.AdminUserDeleteView.as_view(), name="api-admin-user-delete"),
    path("invitation", api.InvitationsView.as_view(), name="api-invitations"),
    path("invitation/<int:invitation_id>", api.InvitationRespondView.as_view(), name="api-invitation-respond"),
]

urlpatterns = [
    path("organization/my/information", views.my_organization, name="my-organization"),
    path("organization/user/invitation", views.invitations, name="organization-invitations"),
    path("admin/All_organization", views.all_organizations, name="all-organizations"),
    path("admin/AllOrganization_users/<int:organization_id>", views.organization_users, name="organization-users"),
    path("admin/All_users", views.all_users, name="all-users"),
    path("apiuser/All_users", views.all_users, name="apiuser-all-users"),
    path("admin/edit_user/<int:user_id>", views.member_edit, name="member-edit"),
    path("admin/user/<int:user_id>/delete", views.member_delete, name="member-delete"),
    path("admin/add_user", views.admin_add_organization, name="admin-add-organization"),
    path("apiuser/add_user", views.apiuser_add_organization, name="apiuser-add-organization"),
    path("user/acceptInvitaion", views.accept_invitation, name="accept-invitation"),
]
