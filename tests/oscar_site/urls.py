"""URLs of the test shop: django-oscar-api under ``/api/`` and Oscar's own storefront."""

from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("api/", include("oscarapi.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
