"""The held-out gate (seba.content.gate) on fabricated score sets: counted in messages, per
variety and measure, a slack of 2% of the messages (at least one)."""

import copy

from seba.content import gate


def variety(n=180, accuracy=0.94, oos=0.8, n_oos=10, rejected=0.012):
    return {
        "examples": n,
        "intent_accuracy": accuracy,
        "oos_detected": oos,
        "oos_examples": n_oos,
        "in_scope_rejected": rejected,
        "in_scope_examples": n - n_oos,
    }


LIVE = {
    "bn": variety(182, 171 / 182, 8 / 10, 10, 2 / 172),
    "en": variety(155, 148 / 155, 8 / 9, 9, 1 / 146),
    "banglish": variety(164, 153 / 164, 9 / 10, 10, 4 / 154),
}


def changed(variety_key, **values):
    scores = copy.deepcopy(LIVE)
    scores[variety_key].update(values)
    return scores


def test_the_same_scores_pass():
    assert gate.compare(copy.deepcopy(LIVE), LIVE) == []


def test_the_slack_is_three_in_a_hundred_messages_and_at_least_one():
    assert [gate.slack(n) for n in (10, 25, 79, 146, 155, 182)] == [1, 1, 2, 4, 5, 5]
    assert gate.compare(changed("bn", intent_accuracy=166 / 182), LIVE) == []  # 5 worse
    reasons = gate.compare(changed("bn", intent_accuracy=165 / 182), LIVE)
    assert reasons == [
        "Bangla: understood correctly went from 94.0% to 90.7% "
        "(6 messages worse of 182; at most 5 may change)."
    ]
    assert gate.compare(changed("bn", intent_accuracy=170 / 182), LIVE, tolerance=0)


def test_out_of_scope_and_false_rejections_are_gated_per_variety():
    reasons = gate.compare(changed("banglish", oos_detected=7 / 10), LIVE)
    assert len(reasons) == 1 and reasons[0].startswith(
        "Banglish: out-of-scope messages caught went from 90.0% to 70.0%"
    )
    reasons = gate.compare(changed("en", in_scope_rejected=6 / 146), LIVE)
    assert len(reasons) == 1 and reasons[0].startswith(
        "English: real questions wrongly rejected went from 0.7% to 4.1% (5 messages worse"
    )
    assert gate.compare(changed("en", in_scope_rejected=5 / 146), LIVE) == []


def test_better_is_always_fine_and_one_variety_cannot_pay_for_another():
    better_elsewhere = changed("en", intent_accuracy=1.0)
    better_elsewhere["bn"]["intent_accuracy"] = 160 / 182
    reasons = gate.compare(better_elsewhere, LIVE)
    assert [r.split(":")[0] for r in reasons] == ["Bangla"]


def test_a_variety_the_candidate_was_not_scored_on_is_refused():
    scores = copy.deepcopy(LIVE)
    del scores["banglish"]
    assert gate.compare(scores, LIVE) == [
        "Banglish: the new model was not scored on the Banglish messages."
    ]


def test_a_grown_split_compares_rates_with_the_same_slack():
    # The held-out split got 20 more Bangla messages: 94% of 202 (190) is the bar now.
    assert gate.compare(changed("bn", examples=202, intent_accuracy=184 / 202), LIVE) == []
    assert gate.compare(changed("bn", examples=202, intent_accuracy=183 / 202), LIVE)


def test_no_live_scores_means_nothing_to_keep():
    assert gate.compare(LIVE, {}) == []
    assert gate.summary(LIVE)["Bangla"]["intent_accuracy"] == "94.0%"
