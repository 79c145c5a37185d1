"""Facts of one statement: clause stances, drugs from the lexicon, escalations, timing cues."""
from __future__ import annotations

import pytest

from checker.facts import NEGATIVE, POSITIVE, facts_of, polarity


def stances(text: str) -> list[str]:
    return [clause.stance for clause in facts_of(text).clauses]


def drug(text: str, name: str):
    return next(d for d in facts_of(text).drugs if d.name == name.lower())


@pytest.mark.parametrize("text, stance", [
    ("Do not drive for 48 hours.", "forbid"),
    ("Avoid alcohol.", "forbid"),
    ("You may drive the next day.", "permit"),
    ("There is no need to fast.", "no_need"),
])
def test_a_clause_stance_is_read_from_its_cue(text, stance):
    assert stances(text) == [stance]


def test_avoid_and_do_not_both_forbid_the_named_object():
    for text in ("Avoid alcohol.", "Do not drink alcohol."):
        (clause,) = facts_of(text).clauses
        assert clause.stance == "forbid" and "alcohol" in clause.objects


def test_do_not_stop_reads_as_keep_taking():
    assert facts_of("Do not stop taking warfarin unless your doctor tells you to.").clauses[0].stance == "continue"
    assert drug("Do not stop taking warfarin unless your doctor tells you to.", "warfarin").stance == "continue"


def test_polarity_groups_stances_into_positive_and_negative():
    assert polarity("permit") == polarity("oblige") == POSITIVE
    assert polarity("forbid") == polarity("cease") == NEGATIVE


@pytest.mark.parametrize("brand, generic", [("Aleve", "naproxen"), ("Tylenol", "acetaminophen"),
                                            ("Advil", "ibuprofen")])
def test_a_brand_name_maps_to_its_generic(brand, generic):
    assert drug(f"Take {brand} for the pain.", brand).generic == generic


def test_naproxen_and_ibuprofen_are_nsaids_but_acetaminophen_is_not():
    assert "nsaid" in drug("Take Aleve.", "Aleve").classes
    assert "nsaid" in drug("Take ibuprofen.", "ibuprofen").classes
    assert "nsaid" not in drug("Take Tylenol.", "Tylenol").classes


def test_a_drug_in_a_forbidding_clause_is_forbidden():
    mention = drug("While on warfarin, do not take NSAIDs.", "NSAIDs")
    assert mention.stance == "forbid" and not mention.generic and "nsaid" in mention.classes


def test_calling_911_outranks_mentioning_it_at_the_next_visit():
    emergency = max(e.level for e in facts_of("If you have chest pain, call 911.").escalations)
    routine = max(e.level for e in facts_of("If you have chest pain, tell your doctor at your next visit.").escalations)
    assert emergency > routine


def test_an_if_clause_is_the_condition_of_the_statement():
    facts = facts_of("If you have chest pain, call 911.")
    assert facts.is_conditional and {"chest", "pain"} <= facts.condition


def test_morning_and_meal_cues_are_found():
    assert [group for group, _, _ in facts_of("Take your tablet in the morning.").day_parts] == ["morning"]
    assert [group for group, _, _ in facts_of("Take the tablet on an empty stomach.").meal] == ["empty_stomach"]


def test_facts_are_cached_per_text():
    assert facts_of("Keep the wound dry.") is facts_of("Keep the wound dry.")


def test_what_a_passive_ban_forbids_stands_before_its_cue():
    (clause,) = facts_of("Balloons are not allowed in the children's ward.").clauses
    assert clause.stance == "forbid" and "balloon" in clause.objects


def test_a_condition_without_a_comma_ends_where_we_start_the_main_clause():
    assert stances("If you cancel late we charge a fee.") == ["condition", "assert"]


def test_no_need_to_stop_is_carrying_on():
    assert stances("You do not need to stop your inhaler.") == ["continue"]


def test_two_imperatives_joined_by_and_are_two_clauses():
    facts = facts_of("Stop the omeprazole and carry on with lansoprazole.")
    assert [(d.generic, d.stance) for d in facts.drugs] == [("omeprazole", "cease"), ("lansoprazole", "continue")]


def test_leave_out_stops_a_drug():
    assert drug("You can leave out your amlodipine today.", "amlodipine").stance == "cease"


def test_a_drug_left_out_by_an_exception_is_not_recommended():
    assert drug("Take your usual tablets with water, apart from ramipril.", "ramipril").stance == "forbid"


def test_a_trailing_condition_keeps_its_list_together():
    facts = facts_of("You need an ECG before the scan if you are over 70, have angina, or take digoxin.")
    assert drug(facts.text, "digoxin").stance == "condition"


def test_a_leading_condition_after_an_introduction_still_ends_at_its_comma():
    assert drug("At home, if the pain is bad, you can take ibuprofen.", "ibuprofen").stance == "permit"


def test_a_drug_referred_to_a_later_section_has_no_stance_here():
    assert drug("Take your usual tablets with water (see below for warfarin).", "warfarin").stance == "condition"


@pytest.mark.parametrize("text, stance", [
    ("For 24 hours after sedation, do not: drive, ride a bicycle or operate machinery", "forbid"),
    ("You can: swim in the sea", "permit"),
    ("Go to A&E if: you vomit", "condition"),
    ("It is normal to have: some bruising", "assert"),
])
def test_a_list_item_read_with_its_lead_in_takes_the_lead_ins_stance(text, stance):
    item = facts_of(text).clauses[-1]
    assert stance == item.stance
    assert text[item.start:item.end].strip() in text.split(":")[-1].strip()


@pytest.mark.parametrize("text, stance", [
    ("Constipation can block the tube.", "assert"),       # what may happen
    ("You can shower after a day.", "permit"),            # the reader may
    ("Your child may go back to nursery.", "permit"),
    ("Swimming can start after 2 weeks.", "permit"),      # an activity may
    ("Paracetamol can be taken with food.", "permit"),    # a passive permission
])
def test_can_and_may_permit_only_a_reader_an_activity_or_a_passive(text, stance):
    assert facts_of(text).clauses[0].stance == stance


@pytest.mark.parametrize("text", ["Hold the cold pack on the bruise.", "Wrap the ice in a towel.", "Change the bag weekly."])
def test_a_clause_opened_by_a_bare_verb_is_an_instruction(text):
    assert facts_of(text).clauses[0].stance == "oblige"


def test_stay_off_and_keep_off_forbid():
    assert facts_of("Stay off alcohol this week.").clauses[0].stance == "forbid"
    assert facts_of("Keep off the leg for two days.").clauses[0].stance == "forbid"


def test_a_second_instruction_after_and_is_its_own_clause():
    facts = facts_of("Use a shower rather than a bath, and leave the door unlocked.")
    stances = [(c.stance, facts.text[c.start:c.end].strip()) for c in facts.clauses]
    assert stances[-1] == ("oblige", "leave the door unlocked.")


def test_a_negation_in_what_to_check_is_not_a_denial():
    facts = facts_of("Check that the drain is not blocked.")
    assert all(c.stance != "deny" for c in facts.clauses)


def test_a_distance_away_from_something_forbids_nothing():
    facts = facts_of("Inject at least 5 cm away from the scar.")
    assert all(c.stance != "forbid" for c in facts.clauses)


def test_a_place_ruled_out_is_not_where_the_statement_sends_you():
    escalations = facts_of("There is no need for an ambulance; see your GP this week.").escalations
    assert [e.role for e in escalations] == ["primary care provider"]


def test_lay_names_of_drug_classes_are_read():
    assert {"antiepileptic"} <= set().union(*(d.classes for d in facts_of("Do not stop your seizure medication.").drugs))


@pytest.mark.parametrize("text, stance", [
    ("No dog is playing in the yard.", "deny"),            # says what is not so
    ("The patient has no rash on the back.", "deny"),
    ("No swimming for 2 weeks.", "forbid"),                # forbids
    ("No food or drink is allowed after midnight.", "forbid"),
])
def test_no_followed_by_is_denies_and_no_before_an_activity_forbids(text, stance):
    assert facts_of(text).clauses[0].stance == stance


def test_you_can_stop_is_a_permission_to_stop():
    assert facts_of("You can stop taking the tablets.").clauses[0].stance == "cease"


def test_an_alternative_situation_after_or_is_part_of_the_condition():
    facts = facts_of("If the swelling grows, or you cannot move your fingers after an hour, go to A&E.")
    assert [c.stance for c in facts.clauses][:2] == ["condition", "condition"]
    assert facts.condition >= facts_of("the swelling grows, you cannot move your fingers").stems - facts_of("you").stems


def test_a_member_word_also_names_its_kind():
    from checker.clauses import content
    assert content("a pint of lager") >= content("alcohol")
    assert content("black poo") >= content("stool")
    assert not content("a cup of water") & content("alcohol caffeine")


@pytest.mark.parametrize("text, stance", [
    ("Ice lollies don't count towards your fluid allowance.", "deny"),
    ("The dressing does not need changing.", "deny"),
    ("Don't count calories.", "forbid"),
    ("For 24 hours after the test, do not drive.", "forbid"),
    ("You do not lift anything heavy.", "forbid"),
])
def test_a_thing_that_does_not_do_something_is_a_statement_of_fact_not_a_ban(text, stance):
    stances = {clause.stance for clause in facts_of(text).clauses}
    assert stance in stances and not ({"deny", "forbid"} - {stance}) & stances
