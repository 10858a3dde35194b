"""The onboarding checklist a new publication sees on its dashboard until every step is done."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.studio.models import OnboardingStep
from hanji.subscribers.models import Import, Newsletter, Subscriber


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    url: str
    post: bool = False  # the step's view creates something: a form button, never a GET link


def checklist(publication: Publication) -> list[Step] | None:
    """The four first steps, or None once all are done (the dashboard then hides it)."""
    slug = publication.slug
    done = {
        OnboardingStep.PROFILE: bool(publication.description or publication.bio),
        OnboardingStep.SENDER: Newsletter.objects.filter(publication=publication)
        .exclude(sender_email="")
        .exists(),
        OnboardingStep.FIRST_POST: Post.objects.filter(publication=publication).exists(),
        OnboardingStep.IMPORT: Import.objects.filter(publication=publication).exists()
        or Subscriber.objects.filter(publication=publication).exists(),
    }
    if all(done.values()):
        return None
    urls = {
        OnboardingStep.PROFILE: reverse("studio:settings", args=[slug]),
        OnboardingStep.SENDER: reverse("studio:newsletters", args=[slug]),
        OnboardingStep.FIRST_POST: reverse("studio:post_new", args=[slug]),
        OnboardingStep.IMPORT: reverse("studio:import_start", args=[slug]),
    }
    return [
        Step(step.value, step.label, done[step], urls[step], post=step == OnboardingStep.FIRST_POST)
        for step in OnboardingStep
    ]
