from django.urls import path

from acl import api, views

api_urlpatterns = [
    path("access-control-layer-module-service", api.ModuleListView.as_view(), name="api-acl-modules"),
    path(
        "access-control-layer-module-service/update/<int:module_id>",
        api.ModuleUpdateView.as_view(),
        name="api-acl-module-update",
    ),
    path("permission", api.PermissionListView.as_view(), name="api-permissions"),
    path("permission/role/<int:role_id>", api.RolePermissionView.as_view(), name="api-role-permissions"),
    path("permission/user/<int:user_id>", api.UserPermissionView.as_view(), name="api-user-permissions"),
    path("permission/module", api.PermissionCreateView.as_view(), name="api-permission-create"),
    path("permission/update/<int:permission_id>", api.PermissionUpdateView.as_view(), name="api-permission-update"),
    path("permission/module/apiuser/request", api.ApiUserRequestView.as_view(), name="api-permission-request"),
    path(
        "permission/module/verify/ByAdmin/<uuid:api_user_id>",
        api.ApiUserVerifyView.as_view(),
        name="api-permission-verify",
    ),
    path("admin/apiusers", api.AdminApiUsersView.as_view(), name="api-admin-apiusers"),
]

urlpatterns = [
    path("admin/permission/acl_module", views.acl_modules, name="admin-acl-modules"),
    path("admin/permission/user_role/list", views.role_permissions, name="admin-role-permissions"),
    path("admin/permission/api_user_role/list", views.api_user_picker, name="admin-api-user-permissions"),
    path(
        "admin/permission/api_user_role/list/<int:user_id>",
        views.api_user_permissions,
        name="admin-api-user-permission-detail",
    ),
    path("admin/All_apiusers", views.api_users, name="admin-api-users"),
    path("apiuser/permission/request/form", views.permission_request, name="apiuser-permission-request"),
    path("apiuser/permission/list", views.my_permissions, name="apiuser-permissions"),
]
