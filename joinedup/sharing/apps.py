from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "joinedup.sharing"
    verbose_name = "Information sharing and audit"
