"""Stances that look like instructions but are not: expectations, consequences, handling bans,
past visits, exceptions that defer to written advice, amounts restated in another unit."""
from __future__ import annotations

import pytest

from checker.facts import facts_of

ALIGNED = 0.8


def _stances(text: str) -> list[str]:
    return [clause.stance for clause in facts_of(text).clauses]


def _drug_stances(text: str) -> dict[str, str]:
    return {drug.name: drug.stance for drug in facts_of(text).drugs}


def test_may_have_to_is_an_expectation_not_a_permission():
    assert "permit" not in _stances("You may have to queue for an hour at the pharmacy.")
    assert "permit" in _stances("You may queue at the pharmacy.")


def test_a_gerund_opening_a_statement_of_consequence_is_not_an_instruction():
    assert _stances("Stopping your steroid tablets suddenly can make you very unwell.") == ["assert"]
    assert _stances("Stopping your statin is fine.") == ["cease"]


@pytest.mark.parametrize("text, drug", [
    ("Never freeze your insulin.", "insulin"),
    ("Do not crush the metformin tablets.", "metformin"),
    ("Do not leave your inhaler in a hot car; the salbutamol can stop working.", "salbutamol"),
])
def test_a_ban_on_handling_a_drug_is_not_a_ban_on_taking_it(text, drug):
    assert _drug_stances(text)[drug] != "forbid"


def test_a_ban_on_taking_a_drug_still_forbids_it():
    assert _drug_stances("Do not take ibuprofen.")["ibuprofen"] == "forbid"


def test_a_past_visit_to_the_emergency_department_sends_nobody_there():
    assert facts_of("Your dressing clinic appointment is within a week of your visit to A&E.").escalations == ()
    assert facts_of("If the bleeding does not stop, go to A&E.").escalations


@pytest.mark.parametrize("doc, src", [
    ("If you are sick more than twice, stop your lithium and ring the clinic: diarrhoea",
     "Never stop taking lithium unless you are following the sick-day advice in this leaflet."),
    ("If your sugar stays high, stop the metformin and call us.",
     "Do not stop metformin except as the rules below describe."),
], ids=["lithium-sick-day", "metformin-rules-below"])
def test_a_rule_that_defers_to_written_advice_does_not_clash_with_a_conditional_instruction(engine, doc, src):
    assert engine.judge.verdict(doc, src, ALIGNED) is None


def test_a_rule_excepting_only_a_doctors_say_so_still_clashes_with_stopping_on_your_own(engine):
    result = engine.judge.verdict("You can stop your warfarin when you feel better.",
                                  "Never stop taking warfarin unless your doctor tells you to.", ALIGNED)
    assert result is not None and result[0].kind == "medication"


def test_an_amount_restated_in_brackets_in_another_unit_agrees_when_either_form_agrees(engine):
    assert engine.judge.verdict("Give 4 to 5 fl oz (120 to 150 ml) of formula per feed.",
                                "Each feed is 120-160 ml of formula.", ALIGNED) is None
    result = engine.judge.verdict("Give 8 fl oz (240 ml) of formula per feed.",
                                  "Each feed is 120-160 ml of formula.", ALIGNED)
    assert result is not None and result[0].kind == "numeric"


@pytest.mark.parametrize("doc, src", [
    ("If you are not eating, you can leave out your Levemir.", "Never stop your background insulin."),
    ("Skip your insulin if you are not eating.", "Never stop taking your insulin, even when ill."),
], ids=["brand-vs-class", "insulin"])
def test_leaving_out_an_insulin_clashes_with_never_stopping_it(engine, doc, src):
    result = engine.judge.verdict(doc, src, ALIGNED)
    assert result is not None and result[0].kind == "medication"


def test_keeping_something_steady_agrees_with_a_ban_on_changing_or_starting_it(engine):
    assert engine.judge.verdict("Keep the amount of caffeine you drink about the same each day.",
                                "Do not suddenly change how much caffeine you drink.", ALIGNED) is None


def test_an_instruction_clashes_with_a_ban_only_on_the_same_act(engine):
    assert engine.judge.verdict("Rest the splint on a pillow next to the bath.",
                                "Do not put the splint in bath water.", ALIGNED) is None  # part of what is banned
    result = engine.judge.verdict("Hold the cold pack directly against your bare skin.",
                                  "Never put a cold pack directly on the skin.", ALIGNED)
    assert result is not None and result[0].kind == "negation"  # another verb, all that is banned
    result = engine.judge.verdict("Wear the splint in bed.", "Do not wear the splint in bed.", ALIGNED)
    assert result is not None and result[0].kind == "negation"


def test_help_that_one_statement_offers_among_others_is_no_escalation_clash(engine):
    assert engine.judge.verdict("If the rash spreads, ask your pharmacist or see your GP.",
                                "If the rash spreads, see your GP the same day.", ALIGNED) is None
    result = engine.judge.verdict("If the rash spreads, mention it to the nurse at your next visit.",
                                  "If the rash spreads, call the ward straight away.", ALIGNED)
    assert result is not None and result[0].kind == "action"  # a deferred visit is not the same help


def test_keeping_someone_off_or_away_from_something_forbids_it():
    (clause,) = facts_of("Keep your child off nursery for 10 days.").clauses
    assert clause.stance == "forbid" and "nursery" in clause.objects
    assert facts_of("Keep the dressing dry.").clauses[0].stance == "continue"


def test_rather_than_starts_a_clause_of_its_own():
    stances = [c.stance for c in facts_of("Keep the knee moving gently rather than holding it still.").clauses]
    assert stances == ["continue", "cease"]


@pytest.mark.parametrize("text", [
    "This leaflet is for adults with or without a pacemaker.",
    "Arnica cream can help bruising.",
])
def test_effects_and_either_way_phrases_carry_no_stance(text):
    assert {c.stance for c in facts_of(text).clauses} <= {"assert", "oblige"}


@pytest.mark.parametrize("doc, src", [
    ("Most small cuts heal without any stitches within about a week.", "Deep cuts need stitches."),
    ("A sling won't stop the shoulder from aching, so take your painkillers.", "Wear the sling to support the shoulder."),
    ("See your GP if: your knee isn't getting better after a week of rest", "Most knee sprains get better with rest."),
], ids=["without", "wont-consequence", "isnt-getting"])
def test_a_denied_circumstance_is_no_negation(engine, doc, src):
    result = engine.judge.verdict(doc, src, ALIGNED)
    assert result is None or result[0].kind != "negation"


def test_a_service_that_says_it_will_not_do_something_still_denies_it(engine):
    result = engine.judge.verdict("If you miss an appointment, we will not send you another one.",
                                  "If you miss an appointment, we send you another one.", ALIGNED)
    assert result is not None and result[0].kind == "negation"


def test_two_rules_up_to_one_moment_are_no_timing_clash(engine):
    result = engine.judge.verdict("Stick to cool, soft food until the numbness wears off.",
                                  "Avoid hot drinks until the numbness has worn off.", ALIGNED)
    assert result is None or result[0].kind != "timing"


def test_leaving_an_activity_for_a_while_puts_it_off():
    assert facts_of("Leave cycling for a month.").clauses[0].stance == "forbid"
    assert facts_of("Leave the plaster on for a week.").clauses[0].stance != "forbid"


@pytest.mark.parametrize("text", ["Naproxen is the first choice for gout pain.",
                                  "Codeine is a good alternative if you cannot take ibuprofen."])
def test_first_choice_and_good_alternative_recommend_a_drug(text):
    assert any(drug.stance == "permit" for drug in facts_of(text).drugs)


def test_a_ban_held_until_a_moment_and_a_permission_once_it_has_passed_name_one_moment():
    from checker.detectors.base import different_phases

    ban = facts_of("Do not drive until you can do an emergency stop without pain.")
    permission = facts_of("You can drive once you can do an emergency stop without pain.")
    assert not different_phases(permission, ban)
    phase = facts_of("Check your level every week until your dose is stable.")
    later = facts_of("Once your dose is stable, check your level every 3 months.")
    assert different_phases(later, phase)


def test_something_that_stops_something_else_is_described_not_instructed():
    assert facts_of("A cold pack stops the swelling getting worse.").clauses[0].stance == "assert"
    assert facts_of("Stop the tablets if you get a rash.").clauses[0].stance == "cease"


def test_a_plain_statement_that_something_is_not_happening_still_denies_it(engine):
    result = engine.judge.verdict("A man is not playing a guitar.", "A man is playing a guitar.", ALIGNED)
    assert result is not None and result[0].kind == "negation"
