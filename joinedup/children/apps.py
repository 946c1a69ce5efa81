from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    name = "joinedup.children"
    verbose_name = "Children"
