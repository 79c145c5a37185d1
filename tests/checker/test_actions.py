"""Action families: what a clause is about doing, so rules on different acts never clash."""
from __future__ import annotations

import pytest

from checker.actions import action_families, different_actions
from checker.detectors import negation
from tests.checker.test_detectors import detect


@pytest.mark.parametrize("text, family", [
    ("You can have a bath once the wound has healed.", "bathe"),
    ("Swimming is fine after a fortnight.", "bathe"),
    ("No driving for a week.", "drive"),
    ("Chewing gum is fine.", "ingest"),
    ("Do not lift the shopping.", "exert"),
    ("Take off the dressing after two days.", "remove"),
])
def test_a_clause_names_the_family_of_its_action(text, family):
    assert family in action_families(text)


def test_only_two_known_and_unrelated_actions_are_different():
    assert different_actions("You can shower with the drain in.", "Do not pull out the drain.")
    assert not different_actions("Sips of water are fine.", "Do not eat or drink after midnight.")
    assert not different_actions("The drain stays for a week.", "Do not pull out the drain.")  # one names none


@pytest.mark.parametrize("doc, src", [
    ("You can shower with the drain in place.", "Do not pull out the drain yourself."),
    ("There is a small clip on the drain tube.", "Do not remove the clip from the drain tube."),
    ("Replace the pad on the drain twice a day.", "Do not take off the pad, except when you replace it."),
])
def test_a_ban_and_a_different_act_on_the_same_thing_are_no_negation(doc, src):
    assert detect(negation, doc, src) is None


@pytest.mark.parametrize("doc, src", [
    ("Chewing gum is fine on the morning of your operation.", "Do not chew gum on the morning of your operation."),
    ("You can go swimming as soon as you get home.", "Do not swim for 2 weeks."),
])
def test_a_permission_of_the_banned_act_is_still_a_negation(doc, src):
    assert detect(negation, doc, src) is not None
