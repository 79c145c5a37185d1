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


def test_two_names_for_one_moment_of_care_name_the_same_event():
    from checker.actions import events_named

    assert events_named("before your operation") == events_named("after surgery") == {"care_visit"}
    assert not events_named("until the swelling goes down")


@pytest.mark.parametrize("doc, src, clash", [
    ("Pay at the desk before your visit.", "Pay at the desk after your appointment.", True),
    ("Rest the knee for two days after starting the tablets.", "Keep resting the knee until the swelling settles.", False),
])
def test_before_and_after_clash_only_when_they_point_to_one_event(doc, src, clash):
    from checker.detectors import timing

    assert (detect(timing, doc, src) is not None) == clash


def test_only_if_restates_not_unless():
    assert detect(negation, "Only lift the splint if the nurse asks you to.",
                  "Do not lift the splint unless the nurse asks you to.") is None


def test_a_thing_merely_stated_in_a_clause_is_not_allowed_by_the_sentences_other_clause():
    assert detect(negation, "Drink plenty of water, because dehydration can block the tube.",
                  "Drink well and avoid dehydration, which can block the tube.") is None


def test_a_small_and_a_large_one_are_different_situations():
    from checker.records import Statement
    from checker.scope import compatible

    normal = Statement("protocols/p.md", "protocol", "It is normal to have a small bruise where you inject.", 0, 10)
    worry = Statement("documents/a/b.md", "document", "If you get a large bruise, ring the ward.", 0, 10)
    same = Statement("documents/a/b.md", "document", "If you get a bruise, ring the ward.", 0, 10)
    assert not compatible(worry, normal)
    assert compatible(same, normal)
