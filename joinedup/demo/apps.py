from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Generates the synthetic demo area. Its own app because it draws on every other app
    and none of them may depend on it."""

    name = "joinedup.demo"
    verbose_name = "Demo area"
