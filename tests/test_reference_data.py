"""Reference data comes back after the tables were emptied (flush, transactional tests)."""

import pytest

from joinedup.casework.models import AssessmentElement, Outcome
from joinedup.reference_data import ensure_reference_data
from joinedup.referrals.models import Need

pytestmark = pytest.mark.django_db


def test_reference_data_is_loaded_again_after_the_tables_were_emptied():
    counts = (Outcome.objects.count(), AssessmentElement.objects.count(), Need.objects.count())
    assert counts[0] == 5 and all(counts)
    Need.objects.all().delete()
    Outcome.objects.filter(desired_outcomes__isnull=True).delete()

    ensure_reference_data()
    ensure_reference_data()  # safe to run twice

    assert (
        Outcome.objects.count(),
        AssessmentElement.objects.count(),
        Need.objects.count(),
    ) == counts
