"""The detectors and the judge on single pairs: each kind of contradiction, and its traps.

Judge-level tests go through ``engine.judge.verdict(doc_text, src_text, similarity)`` exactly
as the engine does; detector-level tests call one detector so the kind is pinned down.
"""
from __future__ import annotations

import pytest

from checker import detectors
from checker.detectors import PairContext
from checker.facts import facts_of

ALIGNED = 0.8


def verdict(engine, doc: str, src: str, similarity: float = ALIGNED):
    """(Verdict, score) or None, from the engine's judge."""
    return engine.judge.verdict(doc, src, similarity)


def flagged_kind(engine, doc: str, src: str, similarity: float = ALIGNED) -> str | None:
    result = verdict(engine, doc, src, similarity)
    return result[0].kind if result else None


def detect(detector, doc: str, src: str, similarity: float = ALIGNED, doc_vs_doc: bool = False):
    return detector(facts_of(doc), facts_of(src), PairContext(similarity, doc_vs_doc))


# --- unit normalisation: the same rule in other units is no finding ---------------------------

@pytest.mark.parametrize("doc, src", [
    ("Keep the dressing dry for 2 days after surgery.", "Keep the dressing dry for 48 hours after surgery."),
    ("Call us if your temperature is above 100.4 °F.", "Call us if your temperature is above 38 °C."),
    ("Do not take more than 4,000 mg of acetaminophen in 24 hours.",
     "Do not take more than 4 g of acetaminophen in 24 hours."),
    ("Do not drive for one week after the operation.", "Do not drive for 7 days after the operation."),
    ("Take the antibiotic every 6 hours.", "Take the antibiotic 4 times a day."),
    ("Take the tablets twice a day.", "Take the tablets every 12 hours."),
    ("Do not eat for six hours before your surgery.", "Do not eat for 6 hours before your surgery."),
    ("Put in your eye drops four times daily.", "Use the eye drops 4 times a day."),
    ("Please stay in the clinic for half an hour after your vaccination.",
     "Wait 30 minutes after your vaccination before leaving the clinic."),
    ("Do not eat for 6 to 8 hours before your surgery.", "Do not eat for 6 to 8 hours before your surgery."),
    ("Call us if your temperature is 38.5 °C or higher.", "Call us if your temperature is 101.3 °F or higher."),
    ("Do not drive for 2 weeks after surgery.", "Do not drive for 14 days after surgery."),
    ("Drink 1.5 L of fluid a day.", "Drink 1,500 mL of fluid a day."),
    ("Take 500 mg of amoxicillin three times a day.", "Take 0.5 g of amoxicillin three times a day."),
    ("Wait 90 minutes before eating.", "Wait 1.5 hours before eating."),
    ("Give the syrup every 4 hours.", "Give the syrup every 4 to 6 hours."),
    ("Arrive at the clinic at 08:00.", "Arrive at the clinic at 8 a.m."),
], ids=["hours-days", "celsius-fahrenheit", "g-mg", "week-days", "every-6h-4-a-day", "twice-every-12h",
        "words-digits", "four-times-daily", "half-hour", "same-range", "decimal-temperature", "weeks-days",
        "litres-millilitres", "mg-decimal-g", "minutes-hours", "interval-inside-range", "24h-clock"])
def test_the_same_amount_in_other_units_or_words_is_no_finding(engine, doc, src):
    assert verdict(engine, doc, src) is None


# --- numeric: a different number for the same rule ------------------------------------------

@pytest.mark.parametrize("doc, src, values", [
    ("Do not eat for 8 hours before your surgery.", "Do not eat for 6 hours before your surgery.",
     ("8 hours", "6 hours")),
    ("Wait 1 hour before eating after the procedure.", "Wait at least 2 hours before eating after the procedure.",
     ("1 hour", "2 hours")),
    ("Stop eating 6 to 8 hours before your surgery.", "Stop eating 4 hours before your surgery.",
     ("6 to 8 hours", "4 hours")),
    ("Take the tablets 3 times a day.", "Take the tablets every 12 hours.", ("3 times a day", "12 hours")),
    ("Call us if your temperature is above 101 °F.", "Call us if your temperature is above 38 °C.",
     ("101 °F", "38 °C")),
    ("Call us if your temperature is 37.5 °C or higher.", "Call us if your temperature is 38 °C or higher.",
     ("37.5 °C", "38 °C")),
    ("Fast for at least 4 hours before your surgery.", "Fast for at least 6 hours before your surgery.",
     ("4 hours", "6 hours")),
    ("Give the syrup every 2 hours.", "Give the syrup every 4 to 6 hours.", ("2 hours", "4 to 6 hours")),
    ("Do not lift anything heavier than 20 lb for 6 weeks.", "Do not lift more than 10 lb for 6 weeks.",
     ("20 lb", "10 lb")),
])
def test_a_different_number_is_a_numeric_finding_naming_both_values(engine, doc, src, values):
    result = verdict(engine, doc, src)
    assert result is not None and result[0].kind == "numeric"
    assert all(value in result[0].explanation for value in values)


def test_a_numeric_finding_highlights_the_numbers_in_both_statements(engine):
    doc, src = "Do not eat for 8 hours before your surgery.", "Do not eat for 6 hours before your surgery."
    found = verdict(engine, doc, src)[0]
    (ds, de), (ss, se) = found.doc_spans[0], found.source_spans[0]
    assert doc[ds:de] == "8 hours" and src[ss:se] == "6 hours"


def test_a_bound_inside_the_protocol_limit_is_consistent(engine):
    assert verdict(engine, "You can take up to 800 mg of ibuprofen a day without a prescription.",
                   "Without a prescription, do not take more than 1,200 mg of ibuprofen in 24 hours.") is None


def test_a_looser_bound_than_the_protocol_limit_is_a_clash(engine):
    result = verdict(engine, "You can take up to 2,400 mg of ibuprofen a day without a prescription.",
                     "Without a prescription, do not take more than 1,200 mg of ibuprofen in 24 hours.")
    assert result is not None and result[0].kind == "numeric" and "2,400 mg" in result[0].explanation


def test_a_stricter_minimum_than_the_protocol_is_consistent(engine):
    assert verdict(engine, "Please don't drive for 48 hours after your sedation.",
                   "Do not drive for at least 24 hours after sedation.") is None
    assert verdict(engine, "Fast for at least 8 hours before your surgery.",
                   "Fast for at least 6 hours before your surgery.") is None


def test_the_same_number_for_different_rules_is_no_numeric_finding():
    assert detect(detectors.numeric, "Your biopsy results are usually ready within 48 hours.",
                  "Keep the dressing dry for 48 hours.") is None


def test_a_numeric_clash_is_not_raised_between_different_drugs():
    assert detect(detectors.numeric, "Take 400 mg of ibuprofen up to 3 times a day.",
                  "Take 500 mg of amoxicillin 3 times a day.") is None


def test_a_looser_acetaminophen_limit_is_a_clash(engine):
    assert flagged_kind(engine, "You can take up to 6 g of acetaminophen in 24 hours.",
                        "Do not take more than 4 g of acetaminophen in 24 hours.") == "numeric"


def test_a_strict_bound_in_days_agrees_with_the_same_bound_in_hours(engine):
    assert verdict(engine, "Call the clinic if the fever lasts more than three days.",
                   "Call the clinic if the fever lasts more than 72 hours.") is None


def test_a_strict_bound_of_two_days_clashes_with_seventy_two_hours(engine):
    assert flagged_kind(engine, "Call the clinic if the fever lasts more than two days.",
                        "Call the clinic if the fever lasts more than 72 hours.") == "numeric"


# --- negation: allowed in one, forbidden in the other ---------------------------------------

@pytest.mark.parametrize("doc, src", [
    ("You may shower the day after surgery.", "Do not shower for 48 hours after surgery."),
    ("You can drive after the operation.", "Do not drive after the operation."),
    ("Do not drive after the operation.", "You can drive after the operation."),
])
def test_allowed_against_forbidden_is_a_negation_finding(engine, doc, src):
    result = verdict(engine, doc, src)
    assert result is not None and result[0].kind == "negation"
    assert "allowed" in result[0].explanation and "forbidden" in result[0].explanation


@pytest.mark.parametrize("doc, src", [
    ("Avoid alcohol while taking metronidazole.", "Do not drink alcohol while taking metronidazole."),
    ("Keep taking your warfarin unless your doctor tells you to stop.",
     "Do not stop taking warfarin unless your doctor tells you to."),
    ("Avoid lifting heavy objects for 6 weeks.", "Do not lift anything heavy for 6 weeks."),
    ("Leave the dressing in place for 5 days.", "Do not remove the dressing for 5 days."),
    ("You may take a bath after 2 weeks.", "Do not take a bath for 2 weeks after surgery."),
    ("You can shower once the stitches are out.", "Do not shower until the stitches are out."),
], ids=["avoid-do-not", "keep-taking-do-not-stop", "avoid-lifting", "leave-do-not-remove", "after-vs-for",
        "once-vs-until"])
def test_a_paraphrased_rule_is_not_a_negation(engine, doc, src):
    assert verdict(engine, doc, src) is None


def test_forbidding_one_activity_does_not_clash_with_allowing_another():
    assert detect(detectors.negation, "You may shower the day after surgery.",
                  "Do not take a bath for 2 weeks after surgery.") is None


@pytest.mark.parametrize("doc, src", [
    ("Most people can be looked after safely at home.", "Do not smoke around your baby, in your home or in your car."),
    ("Most adults can be cared for safely in their own bed.", "Do not vape near your partner, in your bed or in the bedroom."),
    ("Keep your bedroom and car smoke-free.", "Do not smoke around your child, in your bedroom or in your car."),
], ids=["place-only", "other-place-only", "agreeing-rule-sharing-the-places"])
def test_a_ban_does_not_clash_with_a_statement_that_only_shares_its_place_or_thing(doc, src):
    assert detect(detectors.negation, doc, src) is None


@pytest.mark.parametrize("doc, src", [
    ("You can smoke in the car if the window is open.", "Never smoke in the car with children inside."),
    ("A kitchen drawer is a handy place to keep spare needles.", "Never store spare needles in a kitchen drawer."),
    ("You will need a monthly blood test at the clinic to check your kidneys.",
     "You do not need regular blood tests to check your kidneys."),
], ids=["same-action", "store-vs-keep-by-the-object", "adjective-before-the-object"])
def test_a_ban_clashes_with_doing_what_it_bans(doc, src):
    found = detect(detectors.negation, doc, src)
    assert found is not None and found.kind == "negation"


# --- action: a different escalation for the same trigger -------------------------------------

def test_waiting_for_a_routine_visit_instead_of_going_to_the_emergency_department_is_an_action_finding():
    found = detect(detectors.action, "If the wound bleeds heavily, wait until your next clinic visit to mention it.",
                   "If the wound bleeds heavily, go to the Emergency Department straight away.")
    assert found is not None and found.kind == "action" and found.severity == "high"


def test_the_same_escalation_in_other_words_is_no_action_finding():
    assert detect(detectors.action, "If the wound bleeds heavily, go to the nearest Emergency Department at once.",
                  "If the wound bleeds heavily, go to the Emergency Department straight away.") is None


def test_escalations_for_different_triggers_are_not_compared():
    assert detect(detectors.action, "If your ankle is swollen, mention it at your next visit.",
                  "Call 911 if you have chest pain.") is None


# --- timing: before vs after, morning vs evening, with food vs empty stomach -----------------

@pytest.mark.parametrize("doc, src", [
    ("Take your simvastatin in the evening.", "Take simvastatin once a day in the morning."),
    ("Take the tablet with food.", "Take the tablet on an empty stomach."),
    ("Stop your iron tablets 7 days after the colonoscopy.", "Stop your iron tablets 7 days before the colonoscopy."),
    ("Take your levothyroxine at bedtime.", "Take levothyroxine in the morning."),
    ("Take the tablet after breakfast.", "Take the tablet before breakfast."),
], ids=["evening-morning", "food-empty-stomach", "after-before-offset", "bedtime-morning", "after-before-meal"])
def test_a_different_time_for_the_same_rule_is_a_timing_finding(doc, src):
    found = detect(detectors.timing, doc, src)
    assert found is not None and found.kind == "timing"


@pytest.mark.parametrize("doc, src", [
    ("Take the tablet with a meal.", "Take the tablet with food."),
    ("Take your simvastatin at bedtime.", "Take simvastatin once a day in the evening."),
    ("Take your evening antibiotic dose at 5 p.m.", "The Fracture Clinic is open until 5 p.m."),
    ("Take your levothyroxine first thing in the morning.", "Take levothyroxine in the morning."),
    ("Use the numbing cream an hour before the blood test.",
     "Apply the numbing cream 60 minutes before the blood test."),
    ("Take the tablet with your evening meal.", "Take the tablet at night."),
    ("Take alendronate on an empty stomach.", "Take alendronate before breakfast, on an empty stomach."),
])
def test_the_same_time_in_other_words_is_no_timing_finding(engine, doc, src):
    assert verdict(engine, doc, src) is None


def test_once_a_day_is_not_an_after_cue(engine):
    assert verdict(engine, "Take your simvastatin at night before bed.",
                   "Take simvastatin once a day in the evening.") is None


# --- contact: another number or other hours for the same service -----------------------------

def test_another_number_for_the_same_service_is_a_contact_finding():
    found = detect(detectors.contact, "Call the Fracture Clinic at 555-0162.", "Call the Fracture Clinic at 555-0126.")
    assert found is not None and "555-0162" in found.explanation and "555-0126" in found.explanation


def test_the_same_number_written_differently_is_no_contact_finding():
    assert detect(detectors.contact, "Call the Fracture Clinic at 555-0126 to change your appointment.",
                  "You can reach the Fracture Clinic at 555-0126.") is None


def test_numbers_of_different_services_are_not_compared():
    assert detect(detectors.contact, "Call the Fracture Clinic at 555-0162.",
                  "Call the Eye Emergency Line at 555-0126.") is None


def test_other_opening_hours_for_the_same_service_are_a_contact_finding():
    found = detect(detectors.contact, "The Blood Test Center is open Monday to Friday, 8 a.m. to 12 noon.",
                   "The Blood Test Center is open Monday to Friday, 7 a.m. to 5 p.m.")
    assert found is not None and found.kind == "contact"


def test_weekdays_and_monday_to_friday_are_the_same_hours():
    assert detect(detectors.contact, "The Blood Test Center is open weekdays from 7 a.m. to 5 p.m.",
                  "The Blood Test Center is open Monday to Friday, 7 a.m. to 5 p.m.") is None


# --- medication: a forbidden drug or class recommended, often by brand name --------------------

def test_aleve_is_naproxen_an_nsaid_so_recommending_it_against_an_nsaid_ban_is_a_medication_finding():
    found = detect(detectors.medication, "While you take warfarin, you can use Aleve for back pain.",
                   "Patients taking warfarin must not take NSAIDs such as ibuprofen.")
    assert found is not None and found.kind == "medication" and found.severity == "high"
    assert "naproxen" in found.explanation and "nsaid" in found.explanation.lower()


def test_tylenol_is_not_an_nsaid_so_it_does_not_break_an_nsaid_ban():
    assert detect(detectors.medication, "While you take warfarin, you can use Tylenol for back pain.",
                  "Patients taking warfarin must not take NSAIDs such as ibuprofen.") is None


def test_tylenol_is_acetaminophen_so_it_restates_an_acetaminophen_rule(engine):
    assert verdict(engine, "For fever, give Tylenol.", "For fever, give acetaminophen.") is None


def test_tylenol_is_acetaminophen_so_it_breaks_an_acetaminophen_ban():
    found = detect(detectors.medication, "For fever, give Tylenol.", "Do not give acetaminophen for fever in babies.")
    assert found is not None and "acetaminophen" in found.explanation


def test_banning_a_combination_does_not_ban_each_drug():
    assert detect(detectors.medication, "You can give your child ibuprofen for fever.",
                  "Do not give acetaminophen and ibuprofen at the same time.") is None


# --- the judge -----------------------------------------------------------------------------

def test_a_loosely_aligned_pair_scores_lower_than_a_tightly_aligned_one(engine):
    doc, src = "Do not eat for 8 hours before your surgery.", "Do not eat for 6 hours before your surgery."
    assert verdict(engine, doc, src, 0.45)[1] < verdict(engine, doc, src, 0.95)[1]


def test_a_day_and_a_half_is_thirty_six_hours(engine):
    assert verdict(engine, "Keep the dressing on for a day and a half.", "Keep the dressing on for 36 hours.") is None


# --- general mechanisms added for unseen corpora (sentences written for these tests) ----------

@pytest.mark.parametrize("doc, src", [
    ("You can skip your evening metformin if you are not eating.", "Keep taking your metformin even when you feel unwell."),
    ("If you feel sick, you can leave out your bisoprolol until you feel better.",
     "Never stop taking bisoprolol suddenly."),
    ("From next week, stop the apixaban and carry on with aspirin.",
     "Carry on with apixaban for three months and stop the aspirin now."),
])
def test_a_drug_stopped_in_one_statement_and_kept_in_the_other_is_a_medication_finding(engine, doc, src):
    assert flagged_kind(engine, doc, src) == "medication"


def test_the_same_drug_kept_in_both_statements_is_no_finding(engine):
    assert verdict(engine, "Keep taking your metformin as usual.", "Carry on with metformin as normal.") is None


@pytest.mark.parametrize("doc, src", [
    ("Co-codamol is a suitable painkiller after the birth.", "Do not take codeine while you are breastfeeding."),
    ("Two Brufen tablets three times a day are fine for the pain.", "Do not take NSAIDs after a kidney transplant."),
])
def test_brand_and_combination_names_are_read_as_their_drug(engine, doc, src):
    assert flagged_kind(engine, doc, src) == "medication"


def test_a_wait_expressed_after_a_fortnight_is_compared_with_a_ban_for_a_month(engine):
    assert flagged_kind(engine, "You can start riding your bicycle again after a fortnight.",
                        "Do not ride a bicycle for 1 month after the operation.") == "numeric"


def test_waiting_for_the_midwife_s_next_visit_is_a_downgrade_from_999(engine):
    result = verdict(engine, "If you faint at home, lie down and tell your midwife at her next visit.",
                     "Call 999 if you faint at home.")
    assert result and result[0].kind == "action"


@pytest.mark.parametrize("doc, src", [
    ("Have your coffee just before the test, so it wears off by the next one.",
     "If you drink coffee, have it just after the test, not before it."),
    ("We will take your swab after the scan, so there is no need to have one beforehand.",
     "You need a swab taken in the week before your scan."),
])
def test_a_negated_time_reads_as_the_opposite_time(engine, doc, src):
    result = verdict(engine, doc, src)
    assert result and result[0].kind == "timing"
    assert result[0].explanation.split()[0] != result[0].explanation.split(" vs ")[1].split()[0]


def test_another_episode_and_a_new_one_are_the_same_situation(engine):
    result = verdict(engine, "If you have another seizure, book a GP appointment for the same week.",
                     "Call 999 if you have a new seizure, even if it stops quickly.", 0.6)
    assert result and result[0].kind == "action"


def test_the_same_purpose_still_clashes(engine):
    result = verdict(engine, "Paracetamol is fine for a temperature.",
                     "Do not take paracetamol to lower a temperature before you have called us.")
    assert result and result[0].kind == "medication"


# Consistent pairs written for the general mechanisms: none may be flagged.
CONSISTENT = [
    pytest.param("Swimming is off-limits until the wound has healed.",
                 "You must not swim until the wound has healed.", id="off-limits is a ban"),
    pytest.param("Antihistamines like Piriton can make you drowsy, so take cetirizine instead.",
                 "Avoid sedating antihistamines such as Piriton before driving.", id="a possible side effect"),
    pytest.param("If it has healed by then, you do not need to see the nurse.",
                 "If it still leaks after 5 days, you must see the nurse.", id="conditions that share nothing"),
    pytest.param("Children need a booster dose at 4 years.",
                 "Children who had the combined vaccine do not need a booster dose.", id="a subgroup named by who"),
    pytest.param("Day-case patients usually have a shorter fast, set by the nurse.",
                 "It does not apply to day-case patients.", id="whom a rule applies to"),
    pytest.param("Take your usual medicines with water (see below for insulin).",
                 "Take your usual medicines, apart from insulin, which you should stop.", id="see below for"),
    pytest.param("Call the Stoma Nurse on 555-0188 if the skin around your stoma is sore.",
                 "Call the Stoma Nurse at 555-0188 straight away if the skin around your stoma is sore.", id="the same help, more urgent"),
    pytest.param("Paracetamol is fine for toothache.",
                 "Do not take paracetamol to lower a temperature before you have called us.", id="two purposes"),
    pytest.param("Paracetamol is fine for the aches.",
                 "Do not take anti-inflammatory painkillers such as naproxen.", id="anti-inflammatory painkillers"),
    pytest.param("Wear the splint at night for six weeks.",
                 "You do not need to wear the splint during the day.", id="night and day"),
]


@pytest.mark.parametrize("doc, src", CONSISTENT)
def test_consistent_pairs_the_general_mechanisms_keep_apart_are_no_finding(engine, doc, src):
    assert verdict(engine, doc, src) is None


@pytest.mark.parametrize("doc, src, clash", [
    ("A nurse changes the catheter every 8 to 10 weeks.", "The catheter is changed at least every 10 weeks.", False),
    ("A nurse changes the catheter every 14 weeks.", "The catheter is changed at least every 10 weeks.", True),
    ("Check your sugar three times a day.", "Check your blood sugar at least every 4 hours.", True),
])
def test_at_least_every_n_is_a_gap_of_at_most_n(doc, src, clash):
    assert (detect(detectors.numeric, doc, src) is not None) == clash


def test_two_peoples_ages_are_descriptions_not_rules():
    assert detect(detectors.numeric, "Mr A., aged 71, after a knee scope.", "Mrs B., aged 64, after a hip scope.",
                  doc_vs_doc=True) is None
    assert detect(detectors.numeric, "Aspirin can be used for children over 12.",
                  "Do not give aspirin to anyone younger than 16 years.") is not None


def test_an_imperative_under_a_do_not_lead_in_is_forbidden():
    facts = facts_of("After the sedation, do not: take sleeping tablets")
    assert facts.clauses[-1].stance == "forbid"


def test_once_a_period_is_a_rate_not_a_condition():
    assert [c.stance for c in facts_of("Empty the drainage bag once a fortnight.").clauses] == ["oblige"]
    assert facts_of("Once the wound heals, you can swim.").clauses[0].stance == "condition"
    assert detect(detectors.numeric, "Empty the drainage bag once a fortnight.", "Empty the drainage bag every 7 days.")
    assert detect(detectors.numeric, "Empty the drainage bag once a week.", "Empty the drainage bag every 7 days.") is None


def test_a_drug_named_in_a_condition_takes_the_stance_of_the_clause_that_refers_to_it():
    facts = facts_of("If you already take metformin, keep taking it as usual.")
    assert [(d.generic, d.stance) for d in facts.drugs] == [("metformin", "continue")]
    assert detect(detectors.medication, "Stop your metformin on the day.", "If you take metformin, keep taking it.")


def test_low_dose_aspirin_is_another_use_than_aspirin_for_pain():
    assert detect(detectors.medication, "If you take low-dose aspirin for your heart, keep taking it.",
                  "Do not take aspirin for pain relief.") is None


def test_doses_in_a_period_compare_with_times_a_day():
    assert detect(detectors.numeric, "You can give paracetamol up to six times in a day.",
                  "Give no more than 4 doses of paracetamol in 24 hours.")
    assert detect(detectors.numeric, "Give paracetamol up to four times a day.",
                  "Give no more than 4 doses of paracetamol in 24 hours.") is None


def test_offsets_from_two_different_moments_are_not_compared():
    assert detect(detectors.numeric, "Wait an hour before your first meal.",
                  "You can have a meal up to 2 hours before your appointment.") is None
    assert detect(detectors.numeric, "You can eat up to 1 hour before your appointment.",
                  "Do not eat for 2 hours before your appointment.")


def test_before_and_after_one_event_clash_only_for_one_act():
    assert detect(detectors.timing, "Avoid wine until the rash has gone.",
                  "Use the cream until the rash has gone.") is None


def test_a_ban_before_an_event_and_a_permission_after_another_are_two_moments():
    assert detect(detectors.negation, "Once the numbness wears off, you can eat.",
                  "Do not eat for 6 hours before your test.") is None


def test_a_drug_rule_under_another_condition_is_no_clash_but_even_if_is_no_condition():
    assert detect(detectors.medication, "You need not stop metformin if your kidneys work normally.",
                  "If your eGFR is below 30, stop metformin on the day of the scan.") is None
    assert detect(detectors.medication, "If you cannot eat, you can leave out your insulin.",
                  "Never stop taking your insulin, even if you are not eating.")


def test_a_drug_setting_the_scene_before_a_comma_is_not_what_is_forbidden():
    facts = facts_of("For a scan with contrast, do not eat for four hours.")
    assert all(d.stance != "forbid" for d in facts.drugs)


def test_amounts_of_two_different_acts_are_not_compared():
    assert detect(detectors.numeric, "Avoid eye make-up for a month.", "Wear the eye shield at night for 1 week.") is None


def test_equal_offsets_from_two_moments_are_no_before_after_clash():
    assert detect(detectors.timing, "Wait an hour before your first drink.",
                  "Do not drink for 1 hour after the throat spray.") is None
    assert detect(detectors.timing, "Stop the tablets 2 days before the scan.",
                  "Stop the tablets for 2 days after the scan.")


def test_after_that_is_not_matched_to_a_named_event():
    assert detect(detectors.timing, "Before you drive, check your mirrors.", "After that, drive only if you can see well.") is None


def test_a_before_or_beforehand_cue_is_not_the_moment_it_points_to():
    assert detect(detectors.numeric, "Stop the tablets 7 days before your operation.",
                  "Before surgery, stop the tablets 48 hours beforehand.")


def test_a_class_named_on_its_own_can_be_stopped_against_kept():
    assert detect(detectors.medication, "Once you feel better, you can stop taking the antibiotic.",
                  "Keep taking the antibiotic until the course is finished.")


def test_a_course_length_given_under_a_brand_name_is_compared_with_the_generic_rule():
    found = detect(detectors.numeric, "Keflex is taken as one 500 mg capsule four times a day for 10 days.",
                   "First choice: cefalexin 500 mg four times a day for 7 days.")
    assert found is not None and found.kind == "numeric" and "10 days" in found.explanation


def test_a_brand_and_another_drug_with_other_course_lengths_are_not_compared():
    assert detect(detectors.numeric, "Keflex is taken as one 500 mg capsule four times a day for 10 days.",
                  "First choice: nitrofurantoin 100 mg twice a day for 3 days.") is None


def test_how_often_a_drug_may_be_used_is_not_what_it_is_for():
    found = detect(detectors.medication, "Naproxen is fine for occasional use.",
                   "Do not take naproxen or aspirin for pain.")
    assert found is not None and found.kind == "medication"


def test_doses_of_two_drugs_are_not_compared_because_a_condition_names_the_first():
    assert detect(detectors.numeric, "Keflex is taken as one 500 mg capsule four times a day for 10 days.",
                  "If cefalexin is not suitable, clarithromycin 250 mg twice a day for 7 days may be used.") is None


def test_a_maximum_of_four_doses_a_day_restates_four_times_a_day():
    assert detect(detectors.numeric,
                  "Tylenol can ease the pain; don't take more than 1,000 mg in one dose or more than four doses in 24 hours.",
                  "You can take acetaminophen for pain, up to 1 g four times a day.") is None


# --- general readers added for held-out corpora ------------------------------------------------

def test_a_dose_given_as_a_count_of_tablets_agrees_with_the_same_dose_in_grams(engine):
    protocol = "Adults may take 1 g of paracetamol up to four times in 24 hours."
    assert verdict(engine, "Take two 500 mg paracetamol tablets up to four times in 24 hours.", protocol) is None
    assert flagged_kind(engine, "Take three 500 mg paracetamol tablets up to four times in 24 hours.",
                        protocol) == "numeric"


def test_a_drug_named_by_its_class_in_one_statement_is_the_subject_of_the_other(engine):
    protocol = "Use your reliever inhaler: 2 puffs, up to a maximum of 8 puffs in an hour."
    assert flagged_kind(engine, "Use 2 puffs of salbutamol, up to a maximum of 16 puffs in an hour.",
                        protocol) == "numeric"


def test_a_limit_that_differs_is_a_clash_even_where_another_number_is_quoted(engine):
    protocol = "Take 1 capsule of loperamide after each loose stool, up to a maximum of 8 capsules."
    assert flagged_kind(engine, "Take 1 capsule of loperamide after each loose stool, up to a maximum of 12 capsules.",
                        protocol) == "numeric"


def test_every_four_weeks_is_once_a_month(engine):
    protocol = "Change the filter once a month."
    assert verdict(engine, "Change the filter every four weeks.", protocol) is None
    assert flagged_kind(engine, "Change the filter every two weeks.", protocol) == "numeric"


def test_opening_hours_of_two_named_services_are_not_compared():
    assert detect(detectors.contact, "Pharmacy Help Desk: 555-0101, 8 am to 8 pm, seven days a week.",
                  "The Pain Clinic Nurse Line is on 555-0102, Monday to Friday, 9 am to 5 pm.") is None
    assert detect(detectors.contact, "Pharmacy Help Desk: 555-0101, 8 am to 8 pm, seven days a week.",
                  "The Pharmacy Help Desk is on 555-0101, Monday to Friday, 9 am to 5 pm.") is not None


def test_stopping_a_drug_against_keeping_its_class_is_a_medication_finding():
    found = detect(detectors.medication, "When you feel well, it is fine to stop your Pulmicort inhaler.",
                   "Do not stop your preventer inhaler when you feel well.")
    assert found is not None and found.kind == "medication"
    assert detect(detectors.medication, "When you feel well, keep taking your Pulmicort inhaler.",
                  "Do not stop your preventer inhaler when you feel well.") is None


def test_either_of_two_situations_sent_to_a_gp_instead_of_999_is_an_action_finding(engine):
    protocol = "If your lips turn blue, or you are no better after 10 minutes, call 999 for an ambulance."
    assert flagged_kind(engine, "If you are no better after 10 minutes, ring your GP surgery for an appointment.",
                        protocol, similarity=0.75) == "action"


def test_a_member_of_a_banned_kind_allowed_is_a_finding(engine):
    assert flagged_kind(engine, "A pint of lager with your dinner is fine.",
                        "Do not drink alcohol while you take metronidazole.", similarity=0.6) is not None


def test_once_daily_does_not_quote_once_a_week(engine):
    assert flagged_kind(engine, "Take methotrexate once daily.", "Methotrexate is taken once a week.") == "numeric"


def test_a_ban_on_how_often_a_drug_is_taken_is_not_a_ban_on_the_drug():
    assert detect(detectors.medication, "Take your alendronate once a week, on the same day.",
                  "Never take alendronate every day.") is None
    assert detect(detectors.medication, "Take alendronate for your bones.", "Never take alendronate.") is not None


def test_a_dose_under_another_drug_s_heading_is_not_compared_with_a_named_drug(engine):
    from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement
    doc_text, src_text = "Give the enoxaparin injection once a day, at the same time.", "Give the injection once a week, on the same day."
    doc = Statement("documents/a/b.md", ROLE_DOCUMENT, doc_text, 0, len(doc_text))
    other_drug = Statement("protocols/p.md", ROLE_PROTOCOL, src_text, 0, len(src_text), context=("Methotrexate",))
    same_drug = Statement("protocols/p.md", ROLE_PROTOCOL, src_text, 0, len(src_text), context=("Enoxaparin",))
    assert engine.judge.judge_pair(doc, other_drug, 0.8) is None
    assert engine.judge.judge_pair(doc, same_drug, 0.8) is not None


def test_a_level_in_mg_per_dl_compares_with_the_same_level_in_mmol_per_l(engine):
    protocol = "Treat a low blood sugar if your glucose is below 4 mmol/L."
    assert verdict(engine, "Treat a low blood sugar if your glucose is below 72 mg/dL.", protocol) is None
    assert flagged_kind(engine, "Treat a low blood sugar if your glucose is below 54 mg/dL.", protocol) == "numeric"


def test_doses_taken_several_times_a_day_add_up_against_a_daily_limit(engine):
    protocol = "Do not take more than 4 g of paracetamol in 24 hours."
    assert verdict(engine, "You can take two 500 mg paracetamol tablets up to 4 times a day.", protocol) is None
    assert flagged_kind(engine, "You can take two 500 mg paracetamol tablets up to 6 times a day.",
                        protocol) == "numeric"


def test_a_drug_endorsed_in_plain_words_is_recommended():
    found = detect(detectors.medication, "For the aches, Advil every six hours usually does the trick.",
                   "Do not take ibuprofen or other anti-inflammatory painkillers during radiotherapy.")
    assert found is not None and found.kind == "medication"


def test_stopping_breastfeeding_clashes_with_no_need_to_stop_feeding(engine):
    assert flagged_kind(engine, "If you are breastfeeding, stop feeding for 24 hours after the scan.",
                        "You do not need to stop breastfeeding after the scan.") == "negation"


def test_a_rule_until_something_happens_and_one_once_it_has_are_two_phases(engine):
    protocol = "Have a blood count every 2 weeks until your dose is steady."
    assert verdict(engine, "Once your dose is steady, a blood count every three months is enough.", protocol) is None
    assert flagged_kind(engine, "Have a blood count every 6 weeks until your dose is steady.", protocol) == "numeric"


def test_opening_hours_alone_say_nothing_of_whose_they_are(engine):
    assert verdict(engine, "Monday to Friday, 8am to 6.30pm", "Monday to Friday, 8am to 6pm") is None
    result = verdict(engine, "The pharmacy is open Monday to Friday, 8am to 6.30pm.",
                     "The pharmacy is open Monday to Friday, 8am to 6pm.")
    assert result is not None and result[0].kind == "contact"
