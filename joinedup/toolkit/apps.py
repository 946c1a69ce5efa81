from django.apps import AppConfig


class ToolkitConfig(AppConfig):
    name = "joinedup.toolkit"
    verbose_name = "Partnership toolkit"
