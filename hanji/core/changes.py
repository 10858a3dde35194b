"""One way to apply a settings screen's changes to a row: the fields a caller may change, the
model's own validation, and a save of only those fields. The settings actions (profile,
business information, engagement, sending, billing, newsletters) use it, so the studio, the
CLI and the tests change settings the same way and bad values are refused the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def apply_changes(
    instance: models.Model, changes: Mapping[str, Any], allowed: Iterable[str]
) -> list[str]:
    """Set `changes` (field name: value, as a form's cleaned data has them) on `instance`,
    validate the changed fields with the model's validators, and save them. Raises
    ValidationError for an unknown field or a bad value, before anything is written.
    Returns the names of the fields saved. A file field given None keeps its file (as a
    form does when nothing was uploaded), False clears it."""
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(f"Not a setting here: {', '.join(unknown)}")
    names = [name for name in changes if name in allowed]
    for name in names:
        instance._meta.get_field(name).save_form_data(instance, changes[name])
    every = {f.name for f in instance._meta.concrete_fields}
    instance.full_clean(exclude=sorted(every - set(names)), validate_unique=False)
    if instance.pk is None:
        instance.save()
    else:
        touched = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        instance.save(update_fields=names + touched)
    return names
