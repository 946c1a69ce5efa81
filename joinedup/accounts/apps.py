from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "joinedup.accounts"
    verbose_name = "Accounts"
