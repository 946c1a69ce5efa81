from django.contrib import admin

from joinedup.toolkit.models import Exercise


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "partnership", "held_on", "status"]
    list_filter = ["kind", "status"]
